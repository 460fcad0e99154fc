"""Episode-study design: which episodes can be studied, and the phase of every studied region-month.

An episode is studied in a window from :data:`PRE_MONTHS` months before its start to
:data:`POST_MONTHS` months after its end. Episodes of one region are pooled into one *span* (the
region is occupied while any of them is under way; the end that counts is the last one). The end
month itself is the last occupied month, as in :func:`models.episodes.occupation_status`; month 1
after the end is the first month the region is free.

Control rows are every month, inside the treated countries' windows, of the regions of those
countries that no episode of the catalog ever touched. Episodes that cannot be studied are kept
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

import numpy as np
import pandas as pd

from models.panel import Panel

PRE_MONTHS: Final = 24
"""Months before an episode's start in its study window."""
POST_MONTHS: Final = 36
"""Months after an episode's end in its study window."""
MIN_PRE_MONTHS: Final = 6
"""Months of data before the start an episode needs to be studied."""
MIN_POST_MONTHS: Final = 6
"""Months of data after the end an episode needs to be studied."""
PHASE_BINS: Final[tuple[tuple[str, int, int], ...]] = (
    ("after_1_6", 1, 6), ("after_7_12", 7, 12), ("after_13_24", 13, 24), ("after_25_36", 25, 36),
)
"""Post-occupation phases: ``(name, first, last)`` months after the end month."""
PHASES: Final[tuple[str, ...]] = ("before", "during", *(name for name, _, _ in PHASE_BINS))
"""Every phase of a studied month, ``before`` being the reference."""
EFFECT_PHASES: Final[tuple[str, ...]] = PHASES[1:]
"""The phases that get a rate ratio against ``before``."""
CONTROL: Final = "control"
"""Phase label of the control rows."""


@dataclass(frozen=True)
class Span:
    """One studied region: its pooled episodes and its window, months as ``Period[M]``.

    Attributes:
        region_id: the region.
        country: its ISO3 code.
        episode_ids: the catalog episodes pooled in it (one unless they share the region).
        start: the first episode's start month.
        end: the last episode's end month.
        first: the window's first month (clipped to the region's data).
        last: the window's last month (clipped to the data cutoff).
    """

    region_id: str
    country: str
    episode_ids: tuple[str, ...]
    start: pd.Period
    end: pd.Period
    first: pd.Period
    last: pd.Period

    def phase(self, month: pd.Period) -> str:
        """The phase of ``month`` in this span (``before``/``during``/``after_*``)."""
        if month < self.start:
            return "before"
        if month <= self.end:
            return "during"
        since = months_between(month, self.end)
        for name, low, high in PHASE_BINS:
            if low <= since <= high:
                return name
        raise ValueError(f"{month} is outside the study window of {self.region_id}")


@dataclass(frozen=True)
class Design:
    """The study's spans, the episodes left out and the long frame of studied rows.

    Attributes:
        spans: the studied spans, one per treated region.
        status: one row per catalog episode: ``episode_id``, ``region_id``, ``end_month``,
            ``used`` and ``reason`` (why it is left out, or which episodes it is pooled with).
        rows: ``region_id``, ``country``, ``month``, ``year``, ``phase`` (a :data:`PHASES` name or
            :data:`CONTROL`) and ``treated`` (bool), one per studied region-month.
    """

    spans: tuple[Span, ...]
    status: pd.DataFrame
    rows: pd.DataFrame


def first_month(panel: Panel, region: str) -> pd.Period:
    """The first month of ``region``'s data."""
    return cast(pd.Period, panel.regions.at[region, "first_month"])


def months_between(later: pd.Period, earlier: pd.Period) -> int:
    """Whole months from ``earlier`` to ``later``."""
    return int(later.ordinal - earlier.ordinal)


def _reason(panel: Panel, region: str, start: pd.Period, end: pd.Period | None) -> str:
    """Why an episode cannot be studied, or ``""`` when it can."""
    if region not in panel.regions.index:
        return "region has no events in the data"
    if end is None:
        return "episode is ongoing: no months after its end"
    first = first_month(panel, region)
    if months_between(start, first) < MIN_PRE_MONTHS:
        return f"fewer than {MIN_PRE_MONTHS} months of data before the start (data from {first})"
    if months_between(panel.cutoff, end) < MIN_POST_MONTHS:
        return f"fewer than {MIN_POST_MONTHS} months of data after the end (data to {panel.cutoff})"
    return ""


def _spans(panel: Panel, usable: pd.DataFrame) -> list[Span]:
    """One span per region of the usable episodes (episodes of a region pooled)."""
    spans: list[Span] = []
    for region, group in usable.groupby("region_id", sort=True):
        start = pd.Period(group["start_month"].min(), freq="M")
        end = pd.Period(group["end_month"].max(), freq="M")
        first = max(start - PRE_MONTHS, first_month(panel, str(region)))
        spans.append(Span(str(region), str(panel.regions.at[region, "country"]),
                          tuple(str(e) for e in group["episode_id"]), start, end, first,
                          min(end + POST_MONTHS, panel.cutoff)))
    return spans


def study_rows(panel: Panel, spans: list[Span], control_regions: list[str]) -> pd.DataFrame:
    """The studied rows of ``spans`` (treated) and ``control_regions`` (inside their countries' windows)."""
    parts: list[pd.DataFrame] = []
    for span in spans:
        months = pd.period_range(span.first, span.last, freq="M")
        parts.append(pd.DataFrame({"region_id": span.region_id, "country": span.country,
                                   "month": months, "phase": [span.phase(m) for m in months],
                                   "treated": True}))
    windows: dict[str, tuple[pd.Period, pd.Period]] = {}
    for span in spans:
        low, high = windows.get(span.country, (span.first, span.last))
        windows[span.country] = (min(low, span.first), max(high, span.last))
    for region in control_regions:
        country = str(panel.regions.at[region, "country"])  # type: ignore[str-bytes-safe]
        if country not in windows:
            continue
        low, high = windows[country]
        low = max(low, first_month(panel, region))
        if low > high:
            continue
        months = pd.period_range(low, high, freq="M")
        parts.append(pd.DataFrame({"region_id": region, "country": country, "month": months,
                                   "phase": CONTROL, "treated": False}))
    if not parts:
        return pd.DataFrame({"region_id": pd.Series(dtype=object), "country": pd.Series(dtype=object),
                             "month": pd.PeriodIndex([], freq="M"), "year": pd.Series(dtype=np.int64),
                             "phase": pd.Series(dtype=object), "treated": pd.Series(dtype=bool)})
    rows = pd.concat(parts, ignore_index=True)
    rows["year"] = pd.PeriodIndex(rows["month"], freq="M").year.astype(np.int64)
    return rows[["region_id", "country", "month", "year", "phase", "treated"]]


def never_occupied(panel: Panel, catalog: pd.DataFrame) -> list[str]:
    """Regions of the panel that no catalog episode (of any status) touches, sorted."""
    touched = set(catalog["region_id"])
    return sorted(str(r) for r in panel.regions.index if r not in touched)


def design(panel: Panel, catalog: pd.DataFrame) -> Design:
    """Lay out the study of ``catalog``'s episodes on ``panel``.

    Args:
        panel: the region-month panel (its cutoff is "today").
        catalog: an episode catalog from :func:`models.episodes.load_catalog`.

    Returns:
        The spans, the per-episode status and the studied rows.
    """
    reasons = [_reason(panel, str(r), pd.Period(s, freq="M"), None if pd.isna(e) else pd.Period(e, freq="M"))
               for r, s, e in zip(catalog["region_id"], catalog["start_month"], catalog["end_month"],
                                  strict=True)]
    used = np.array([not r for r in reasons], dtype=bool)
    spans = _spans(panel, catalog[used])
    pooled = {ep: span.episode_ids for span in spans for ep in span.episode_ids}
    for k, ep in enumerate(catalog["episode_id"]):
        others = [e for e in pooled.get(str(ep), ()) if e != ep]
        if used[k] and others:
            reasons[k] = f"pooled with {', '.join(others)} (same region)"
    status = pd.DataFrame({
        "episode_id": catalog["episode_id"].astype(str).to_numpy(),
        "region_id": catalog["region_id"].astype(str).to_numpy(),
        "start_month": [None if pd.isna(m) else str(m) for m in catalog["start_month"]],
        "end_month": [None if pd.isna(m) else str(m) for m in catalog["end_month"]],
        "used": used, "reason": reasons,
    })
    return Design(tuple(spans), status, study_rows(panel, spans, never_occupied(panel, catalog)))
