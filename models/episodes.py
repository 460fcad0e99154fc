"""Occupation episodes: when an insurgent group held territory, and the phase of each region-month.

The catalog is a CSV shipped in ``models/data/episodes.csv`` (schema in ``docs/episodes.md``); users
extend it by passing their own file with the same columns. A region-month is ``never`` (no episode
has started in the region by then), ``during`` (an episode started and had not ended by then) or
``after`` (the latest started episode ended before it), with the months since that end.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from models.regions import region_id

CATALOG_VERSION: Final = "1.0"
CATALOG_COLUMNS: Final[tuple[str, ...]] = (
    "episode_id", "country", "admin1", "start_month", "end_month", "groups", "note", "source",
)
PHASES: Final[tuple[str, ...]] = ("never", "during", "after")


def load_catalog(path: str | Path | None = None) -> pd.DataFrame:
    """Read an episode catalog (the shipped one by default) and add ``region_id``.

    Raises:
        ValueError: on missing columns, unparseable months, or an end before the start.
    """
    if path is None:
        with resources.files("models").joinpath("data/episodes.csv").open("r", encoding="utf-8") as fh:
            raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CATALOG_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"episode catalog lacks columns {missing}")
    frame = raw[list(CATALOG_COLUMNS)].copy()
    try:
        frame["start_month"] = pd.PeriodIndex(frame["start_month"], freq="M")
        frame["end_month"] = pd.PeriodIndex(
            [m if m else None for m in frame["end_month"]], freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"episode catalog has an unparseable month: {exc}") from exc
    bad = frame[frame["end_month"].notna() & (frame["end_month"] < frame["start_month"])]
    if len(bad):
        raise ValueError(f"episodes end before they start: {list(bad['episode_id'])}")
    frame["region_id"] = [region_id(c, a) for c, a in zip(frame["country"], frame["admin1"], strict=True)]
    return frame.reset_index(drop=True)


def occupation_status(region_ids: np.ndarray | pd.Index, months: pd.PeriodIndex,
                      catalog: pd.DataFrame) -> pd.DataFrame:
    """Occupation phase of every region x month, using only what was known at that month.

    Args:
        region_ids: the regions.
        months: the months (``Period[M]``).
        catalog: an episode catalog from :func:`load_catalog`.

    Returns:
        Long frame with ``region_id``, ``month``, ``phase`` (``never``/``during``/``after``),
        ``months_since_start`` and ``months_since_end`` (NaN where not applicable), ``episode_id``.
        An episode's end is only known once the end month has passed: at the end month itself the
        region is still ``during``.
    """
    regions = np.asarray(region_ids, dtype=object)
    month_ord = np.asarray(months.asi8, dtype=np.int64)
    n_r, n_m = len(regions), len(month_ord)
    phase = np.zeros((n_r, n_m), dtype=np.int8)
    since_start = np.full((n_r, n_m), np.nan)
    since_end = np.full((n_r, n_m), np.nan)
    episode = np.full((n_r, n_m), "", dtype=object)
    position = {r: i for i, r in enumerate(regions)}
    for ep in catalog.sort_values("start_month").itertuples(index=False):
        i = position.get(ep.region_id)
        if i is None:
            continue
        start = ep.start_month.ordinal
        started = month_ord >= start
        phase[i, started] = 1
        since_start[i, started] = month_ord[started] - start
        since_end[i, started] = np.nan
        episode[i, started] = ep.episode_id
        if not pd.isna(ep.end_month):
            end = ep.end_month.ordinal
            ended = month_ord > end
            phase[i, ended] = 2
            since_end[i, ended] = month_ord[ended] - end
    return pd.DataFrame({
        "region_id": np.repeat(regions, n_m),
        "month": pd.PeriodIndex(np.tile(months, n_r), freq="M") if n_r else pd.PeriodIndex([], freq="M"),
        "phase": np.asarray(PHASES, dtype=object)[phase.ravel()],
        "months_since_start": since_start.ravel(),
        "months_since_end": since_end.ravel(),
        "episode_id": episode.ravel(),
    })
