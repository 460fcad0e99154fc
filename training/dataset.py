"""One way from events to a panel and its backtest origins: events -> panel -> origins.

``train``, ``backtest``, ``forecast`` and the demo all read their data here, so they share one path
splitter, one month parser (:func:`training.backtest.parse_month`), one cutoff rule and one
default-origins rule. Every problem with the input is a :class:`ValueError` with one readable line
(:class:`~training.sources.SourceFormatError` is one too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.panel import Panel, build_panel, event_months
from models.schema import conform_events, validate_events
from training.backtest import MIN_HISTORY, parse_month, parse_origins
from training.ingest import IngestResult, ingest
from training.sources import FORMAT_CHOICES

EventsInput = pd.DataFrame | IngestResult | str | Path | Sequence[str | Path]
"""Event file path(s), an ingest result, or a canonical events frame."""


@dataclass(frozen=True)
class Dataset:
    """Events read and the panel built from them up to the cutoff.

    Attributes:
        ingested: the events read (accepted and rejected rows, and their summary).
        panel: the zero-filled panel up to the cutoff.
    """

    ingested: IngestResult
    panel: Panel

    def used_events(self) -> pd.DataFrame:
        """The accepted events up to the panel's cutoff (what the panel counts)."""
        events = self.ingested.events
        return events[(event_months(events["date"]) <= self.panel.cutoff).to_numpy()]


def split_paths(values: Iterable[str | Path]) -> list[Path]:
    """Expand comma-separated entries (``-e a.csv,b.csv``) into one path each."""
    return [Path(p.strip()) for v in values for p in str(v).split(",") if p.strip()]


def check_paths(paths: Sequence[str | Path]) -> list[Path]:
    """``paths`` as :class:`~pathlib.Path` objects, once each exists as a file.

    Raises:
        ValueError: when no file is given or one does not exist.
    """
    found = [Path(p) for p in paths]
    if not found:
        raise ValueError("no event files given (--events FILE)")
    missing = [str(p) for p in found if not p.is_file()]
    if missing:
        raise ValueError(f"event file(s) not found: {', '.join(missing)}")
    return found


def check_format(fmt: str) -> str:
    """``fmt`` when it is a known input format.

    Raises:
        ValueError: on an unknown format.
    """
    if fmt not in FORMAT_CHOICES:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}")
    return fmt


def read_events(events: EventsInput, fmt: str = "auto") -> IngestResult:
    """Read ``events`` into canonical events (files through :func:`training.ingest.ingest`).

    Raises:
        ValueError: on an unknown format, a missing or unreadable file, a frame that is not
            canonical, or no usable events.
    """
    if isinstance(events, IngestResult):
        ingested = events
    elif isinstance(events, pd.DataFrame):
        frame = validate_events(conform_events(events))
        ingested = IngestResult(frame, pd.DataFrame(), {"rows_read": len(frame), "accepted": len(frame),
                                                        "rejected": 0, "rejected_by_reason": {},
                                                        "by_source": {"in-memory": {"accepted": len(frame)}}})
    else:
        check_format(fmt)
        paths = check_paths([events] if isinstance(events, str | Path) else list(events))
        ingested = ingest(paths, fmt=fmt)
    if ingested.events.empty:
        raise ValueError("the events hold no usable rows")
    return ingested


def cutoff_month(text: str | None, months: pd.Series) -> pd.Period:
    """The panel's last month: ``text`` (``YYYY-MM``) or, when ``None``, the latest event's month.

    Raises:
        ValueError: on a malformed month or one outside ``months``.
    """
    if text is None:
        return pd.Period(months.max(), freq="M")
    try:
        end = parse_month(text)
    except ValueError:
        raise ValueError(f"bad cutoff {text!r}: use YYYY-MM") from None
    if end < months.min() or end > months.max():
        raise ValueError(f"cutoff {end} is outside the data ({months.min()} .. {months.max()})")
    return end


def load(events: EventsInput, fmt: str = "auto", cutoff: str | None = None) -> Dataset:
    """Read ``events`` and build the panel up to ``cutoff`` (default: the latest event's month).

    Raises:
        ValueError: as :func:`read_events` and :func:`cutoff_month` do.
    """
    ingested = read_events(events, fmt)
    end = cutoff_month(cutoff, event_months(ingested.events["date"]))
    return Dataset(ingested, build_panel(ingested.events, end))


def default_origins(panel: Panel, horizon: int, count: int) -> str:
    """The ``count`` origins ending ``horizon`` months before the cutoff (each scored at every horizon).

    Origins start no earlier than the 24th month of data (:data:`training.backtest.MIN_HISTORY`
    months of history); for data 2014-01 .. 2018-12, horizon 6 and 30 origins that is
    ``2016-01:2018-06``.

    Raises:
        ValueError: when the data are too short for a single origin with that history.
    """
    last = panel.cutoff - max(horizon, 1)
    first = max(last - (count - 1), panel.months[0] + (MIN_HISTORY - 1))
    if first > last:
        raise ValueError(f"the data ({panel.months[0]} .. {panel.cutoff}) are too short for a backtest "
                         f"with {MIN_HISTORY} months of history and horizon {horizon}")
    return f"{first}:{last}"


def origins(panel: Panel, text: str | None, horizon: int, count: int) -> list[pd.Period]:
    """The backtest origins: ``text`` (a range or a list) or the :func:`default_origins`.

    Raises:
        ValueError: on unparseable origins, ones with nothing to score or too little history.
    """
    return parse_origins(text or default_origins(panel, horizon, count), panel)
