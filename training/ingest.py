"""Ingestion: event files in, one validated canonical events table and its rejects out.

:func:`ingest` reads every file (or in-memory table) in order, so an id accepted from an earlier file
rejects its repeats in later ones; :func:`write_ingest` stores ``events.parquet``, ``rejected.csv``
and ``ingest_summary.json`` in a data directory; :func:`load_events` reads the events back validated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from models.schema import (
    EVENT_COLUMNS,
    REJECT_COLUMNS,
    conform_events,
    empty_events,
    empty_rejects,
    validate_events,
)
from models.taxonomy import TAXONOMY_VERSION
from training.sources import SourceResult, accepted_ids, convert_table, read_source
from training.sources.triage import TEXT_COLUMNS

EVENTS_FILE: Final = "events.parquet"
REJECTS_FILE: Final = "rejected.csv"
SUMMARY_FILE: Final = "ingest_summary.json"

Input = str | Path | pd.DataFrame


@dataclass(frozen=True)
class IngestResult:
    """Accepted events, rejected rows and the figures that reconcile them.

    Attributes:
        events: canonical events, validated, sorted by date then event id.
        rejects: rejected rows (:data:`models.schema.REJECT_COLUMNS`), in input order.
        summary: JSON-ready figures (see :func:`summarise`).
    """

    events: pd.DataFrame
    rejects: pd.DataFrame
    summary: dict[str, Any]


class IngestOutputs(NamedTuple):
    """Where :func:`write_ingest` stored its files."""

    events: Path
    rejects: Path
    summary: Path


def _empty_events() -> pd.DataFrame:
    """An empty canonical frame whose text columns carry the ``str`` dtype the readers produce."""
    frame = empty_events()
    for name in TEXT_COLUMNS:
        frame[name] = frame[name].astype("str")
    return frame


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def summarise(parts: Sequence[SourceResult], events: pd.DataFrame, rejects: pd.DataFrame,
              perpetrator_filter: bool) -> dict[str, Any]:
    """Figures of one ingest: totals, reasons, attack types, countries, dates, per source and file."""
    by_source: dict[str, dict[str, int]] = {}
    files = []
    for part in parts:
        files.append({"path": part.source_file, "format": part.format, "rows_read": part.rows_read,
                      "accepted": len(part.events), "rejected": len(part.rejects)})
        entry = by_source.setdefault(part.format, {"rows_read": 0, "accepted": 0, "rejected": 0})
        entry["rows_read"] += part.rows_read
        entry["accepted"] += len(part.events)
        entry["rejected"] += len(part.rejects)
    dates = events["date"]
    return {
        "rows_read": sum(p.rows_read for p in parts),
        "accepted": len(events),
        "rejected": len(rejects),
        "rejected_by_reason": _counts(rejects["reason"]),
        "by_attack_type": _counts(events["attack_type"]),
        "by_country": _counts(events["country"]),
        "by_source": by_source,
        "first_date": None if events.empty else dates.min().date().isoformat(),
        "last_date": None if events.empty else dates.max().date().isoformat(),
        "regions": int(events["region_id"].nunique()),
        "perpetrator_filter": perpetrator_filter,
        "taxonomy_version": TAXONOMY_VERSION,
        "files": files,
    }


def ingest(paths: Input | Sequence[Input], fmt: str = "auto",
           perpetrator_filter: bool = True) -> IngestResult:
    """Read event files into canonical events; every row is accepted or rejected with a reason.

    Args:
        paths: file paths (CSV, ``.csv.gz``, Parquet, XLSX) and/or raw tables, read in order.
        fmt: ``auto`` (detect each file from its header) or one of ``acled``, ``ucdp``, ``gtd``,
            ``canonical`` for every input.
        perpetrator_filter: keep only events with a non-state armed perpetrator (source rules in
            ``docs/data.md``).

    Returns:
        The validated events, the rejects and the summary; ``rows_read == accepted + rejected``.

    Raises:
        SourceFormatError: when an input cannot be read, is not a known format or lacks columns.
    """
    inputs = [paths] if isinstance(paths, str | Path | pd.DataFrame) else list(paths)
    parts: list[SourceResult] = []
    seen: pd.Series | None = None
    for number, item in enumerate(inputs, start=1):
        if isinstance(item, pd.DataFrame):
            part = convert_table(item, fmt, f"<frame {number}>", perpetrator_filter, seen)
        else:
            part = read_source(item, fmt, perpetrator_filter, seen)
        parts.append(part)
        if len(part.events):
            where = accepted_ids(part.source_file, part.events, part.accepted_rows)
            seen = where if seen is None else pd.concat([seen, where])
    frames = [p.events for p in parts if len(p.events)]
    events = pd.concat(frames, ignore_index=True) if frames else _empty_events()
    events = events.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True)
    events = validate_events(events)
    reject_frames = [p.rejects for p in parts if len(p.rejects)]
    rejects = pd.concat(reject_frames, ignore_index=True) if reject_frames else empty_rejects()
    summary = summarise(parts, events, rejects, perpetrator_filter)
    return IngestResult(events=events, rejects=rejects[list(REJECT_COLUMNS)], summary=summary)


def write_ingest(result: IngestResult, data_dir: str | Path) -> IngestOutputs:
    """Write ``events.parquet``, ``rejected.csv`` and ``ingest_summary.json`` into ``data_dir``."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    outputs = IngestOutputs(folder / EVENTS_FILE, folder / REJECTS_FILE, folder / SUMMARY_FILE)
    result.events.to_parquet(outputs.events, index=False)
    pa_csv.write_csv(pa.Table.from_pandas(result.rejects, preserve_index=False), outputs.rejects)
    outputs.summary.write_text(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n",
                               encoding="utf-8")
    return outputs


def load_events(data_dir: str | Path) -> pd.DataFrame:
    """Read ``events.parquet`` from ``data_dir``, conformed to canonical dtypes and validated.

    Raises:
        FileNotFoundError: when the directory holds no ingested events.
        pandera.errors.SchemaError: when the stored events break the canonical schema.
    """
    path = Path(data_dir) / EVENTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no ingested events at {path}; run `threatcast ingest` first")
    frame = pd.read_parquet(path)
    if list(frame.columns) != list(EVENT_COLUMNS):
        frame = conform_events(frame)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return validate_events(frame)
