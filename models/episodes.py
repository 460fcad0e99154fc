"""Occupation episodes: when an insurgent group held territory, and the phase of each region-month.

The catalog is a CSV shipped in ``models/data/episodes.csv`` (schema in ``docs/episodes.md``); users
extend it by passing their own file with the same columns. A region-month is ``never`` (no episode
has started in the region by then), ``during`` (an episode started and had not ended by then) or
``after`` (every started episode has ended), with the months since the latest end. Overlapping
episodes of one region are allowed: the region stays ``during`` while any of them is under way.

Catalog version history:
    1.0: three northern-Mali episodes.
    1.1: 23 episodes in 9 countries; ``source`` column (``catalog``/``detected``/``demo``/...);
        validation of user files (columns, months, countries, duplicate ids, end before start).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pycountry

from models.regions import COUNTRY_OVERRIDES, country_iso3, region_id, slug

CATALOG_VERSION: Final = "1.1"
SHIPPED_CATALOG: Final = Path(__file__).resolve().parent / "data" / "episodes.csv"
"""The catalog shipped with threatcast (package data next to this module)."""
CATALOG_COLUMNS: Final[tuple[str, ...]] = (
    "episode_id", "country", "admin1", "start_month", "end_month", "groups", "note", "source",
)
REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("episode_id", "country", "admin1", "start_month", "end_month")
"""Columns a user catalog must have; ``groups`` and ``note`` default to ``""``, ``source`` to ``user``."""
OPTIONAL_DEFAULTS: Final[dict[str, str]] = {"groups": "", "note": "", "source": "user"}
PHASES: Final[tuple[str, ...]] = ("never", "during", "after")
STATUS_COLUMNS: Final[tuple[str, ...]] = (
    "region_id", "phase", "months_since_start", "months_since_end", "episode_id", "episode_start",
    "episode_end",
)

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_KNOWN_ISO3: Final[frozenset[str]] = frozenset(
    {str(c.alpha_3) for c in pycountry.countries} | set(COUNTRY_OVERRIDES.values()))


class CatalogError(ValueError):
    """An episode catalog that cannot be used, with a message naming the offending rows."""


def load_catalog(path: str | Path | None = None) -> pd.DataFrame:
    """Read an episode catalog (the shipped one by default), validate it and add ``region_id``.

    Args:
        path: a CSV file with the catalog columns; ``None`` reads the catalog shipped with threatcast.

    Returns:
        The catalog: :data:`CATALOG_COLUMNS` plus ``region_id``; ``start_month``/``end_month`` are
        ``Period[M]`` (``end_month`` is NaT for an ongoing episode).

    Raises:
        CatalogError: (a ``ValueError``) on an unreadable file, missing columns, unparseable months,
            unknown countries, empty or duplicate ids, or an end before the start.
    """
    if path is None:
        raw = pd.read_csv(SHIPPED_CATALOG, dtype=str, keep_default_na=False)
    else:
        file = Path(path)
        if not file.is_file():
            raise CatalogError(f"episode catalog {file} does not exist")
        try:
            raw = pd.read_csv(file, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise CatalogError(f"episode catalog {file} is not a readable CSV file: {exc}") from exc
    return parse_catalog(raw)


def parse_catalog(raw: pd.DataFrame) -> pd.DataFrame:
    """Validate a catalog given as text columns (as read from CSV) and return it typed.

    Args:
        raw: one row per episode with at least :data:`REQUIRED_COLUMNS`; values are strings
            (``YYYY-MM`` months, an empty ``end_month`` for an ongoing episode).

    Returns:
        The typed catalog, as :func:`load_catalog` returns it.

    Raises:
        CatalogError: on any violation; the message names the offending rows (file line numbers,
            the header being line 1).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise CatalogError(f"episode catalog lacks columns {missing}; it needs {list(REQUIRED_COLUMNS)}")
    frame = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for col in CATALOG_COLUMNS:
        values = raw[col] if col in raw.columns else pd.Series(OPTIONAL_DEFAULTS[col], index=raw.index)
        frame[col] = [_text(v) for v in values]
    if "source" in raw.columns:
        frame.loc[frame["source"] == "", "source"] = OPTIONAL_DEFAULTS["source"]
    line = np.arange(len(frame)) + 2
    problems: list[str] = []

    empty_id = frame["episode_id"] == ""
    problems += [f"line {n}: empty episode_id" for n in line[empty_id.to_numpy()]]
    dup = frame["episode_id"].duplicated(keep=False) & ~empty_id
    problems += [f"line {n}: duplicate episode_id {e!r}" for n, e in
                 zip(line[dup.to_numpy()], frame.loc[dup, "episode_id"], strict=True)]
    for n, code in zip(line, frame["country"], strict=True):
        if code not in _KNOWN_ISO3:
            hint = country_iso3(code) if code else None
            suggestion = f" (use the ISO3 code {hint})" if hint else ""
            problems.append(f"line {n}: unknown country {code!r}{suggestion}; expected an ISO3 code")
    for n, name in zip(line, frame["admin1"], strict=True):
        if not slug(name):
            problems.append(f"line {n}: admin1 {name!r} is empty or has no letters or digits")
    for col, allow_empty in (("start_month", False), ("end_month", True)):
        for n, text in zip(line, frame[col], strict=True):
            if not _valid_month(text, allow_empty):
                expected = "YYYY-MM or empty" if allow_empty else "YYYY-MM"
                problems.append(f"line {n}: {col} {text!r} is not a month ({expected})")
    if problems:
        raise CatalogError(_summary(problems))

    frame["start_month"] = pd.PeriodIndex(list(frame["start_month"]), freq="M")
    frame["end_month"] = pd.PeriodIndex([m or None for m in frame["end_month"]], freq="M")
    ended = frame["end_month"].notna().to_numpy()
    before = np.zeros(len(frame), dtype=bool)
    before[ended] = (frame.loc[ended, "end_month"] < frame.loc[ended, "start_month"]).to_numpy()
    if before.any():
        raise CatalogError(_summary([
            f"line {n}: episode {e!r} ends ({end}) before it starts ({start})"
            for n, e, start, end in zip(line[before], frame.loc[before, "episode_id"],
                                         frame.loc[before, "start_month"], frame.loc[before, "end_month"],
                                         strict=True)]))
    frame["region_id"] = [region_id(c, a) for c, a in zip(frame["country"], frame["admin1"], strict=True)]
    return frame


def catalog_to_csv_frame(catalog: pd.DataFrame) -> pd.DataFrame:
    """The catalog as text columns in file order (months as ``YYYY-MM``, ongoing end as ``""``)."""
    out = catalog[list(CATALOG_COLUMNS)].copy()
    for col in ("start_month", "end_month"):
        out[col] = ["" if pd.isna(m) else str(m) for m in catalog[col]]
    return out


def write_catalog(catalog: pd.DataFrame, path: str | Path) -> Path:
    """Write a catalog to a CSV file that :func:`load_catalog` reads back unchanged.

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog_to_csv_frame(catalog).to_csv(target, index=False)
    return target


def episode_spans(catalog: pd.DataFrame) -> list[tuple[str, int, int | None, str]]:
    """``(region_id, start, end or None, episode_id)`` of every episode, months as period ordinals."""
    starts = pd.PeriodIndex(catalog["start_month"], freq="M")
    ends = pd.PeriodIndex(catalog["end_month"], freq="M")
    missing = ends.isna()
    return [(str(rid), int(starts.asi8[k]), None if missing[k] else int(ends.asi8[k]), str(ep))
            for k, (rid, ep) in enumerate(zip(catalog["region_id"], catalog["episode_id"], strict=True))]


def overlapping_episodes(episodes: pd.DataFrame, catalog: pd.DataFrame) -> list[list[str]]:
    """For each row of ``episodes``, the ids of ``catalog`` episodes of its region whose span overlaps.

    Ongoing episodes (no end) overlap everything after their start.
    """
    by_region: dict[str, list[tuple[int, int | None, str]]] = {}
    for rid, start, end, ep_id in episode_spans(catalog):
        by_region.setdefault(rid, []).append((start, end, ep_id))
    out: list[list[str]] = []
    for rid, start, end, _ in episode_spans(episodes):
        last = end if end is not None else np.iinfo(np.int64).max
        out.append([ep_id for c_start, c_end, ep_id in by_region.get(rid, [])
                    if c_start <= last and (c_end is None or c_end >= start)])
    return out


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
        region is still ``during``. While several episodes of a region are under way, the earliest
        started one is reported; once all have ended, the one that ended last.
    """
    regions = np.asarray(region_ids, dtype=object)
    month_ord = np.asarray(months.asi8, dtype=np.int64)
    n_r, n_m = len(regions), len(month_ord)
    phase = np.zeros((n_r, n_m), dtype=np.int8)
    since_start = np.full((n_r, n_m), np.nan)
    since_end = np.full((n_r, n_m), np.nan)
    episode = np.full((n_r, n_m), "", dtype=object)
    position = {r: i for i, r in enumerate(regions)}
    by_region: dict[int, list[tuple[int, int | None, str]]] = {}
    for rid, start, end, ep_id in episode_spans(catalog.sort_values("start_month", kind="stable")):
        i = position.get(rid)
        if i is not None:
            by_region.setdefault(i, []).append((start, end, ep_id))
    for i, episodes in by_region.items():
        active_start = np.full(n_m, np.iinfo(np.int64).max)
        active_id = np.full(n_m, "", dtype=object)
        last_end = np.full(n_m, np.iinfo(np.int64).min)
        last_start = np.zeros(n_m, dtype=np.int64)
        last_id = np.full(n_m, "", dtype=object)
        for start, end, ep_id in episodes:
            active = month_ord >= start
            if end is not None:
                active &= month_ord <= end
                ended = (month_ord > end) & (end > last_end)
                last_end[ended], last_start[ended], last_id[ended] = end, start, ep_id
            take = active & (active_id == "")
            active_start[take], active_id[take] = start, ep_id
        during = active_id != ""
        after = ~during & (last_id != "")
        phase[i, during], phase[i, after] = 1, 2
        since_start[i, during] = month_ord[during] - active_start[during]
        since_start[i, after] = month_ord[after] - last_start[after]
        since_end[i, after] = month_ord[after] - last_end[after]
        episode[i, during], episode[i, after] = active_id[during], last_id[after]
    return pd.DataFrame({
        "region_id": np.repeat(regions, n_m),
        "month": pd.PeriodIndex(np.tile(months, n_r), freq="M") if n_r else pd.PeriodIndex([], freq="M"),
        "phase": np.asarray(PHASES, dtype=object)[phase.ravel()],
        "months_since_start": since_start.ravel(),
        "months_since_end": since_end.ravel(),
        "episode_id": episode.ravel(),
    })


def regions_status(region_ids: Iterable[str], month: pd.Period | str,
                   catalog: pd.DataFrame) -> pd.DataFrame:
    """Occupation status of each region at one month: one row per region, in the given order.

    Args:
        region_ids: the regions.
        month: the month (``Period[M]`` or ``YYYY-MM``).
        catalog: an episode catalog from :func:`load_catalog`.

    Returns:
        Frame with :data:`STATUS_COLUMNS`: ``phase``, ``months_since_start`` and
        ``months_since_end`` (NaN where not applicable), the reported ``episode_id`` (``""`` for
        ``never``) and its ``episode_start``/``episode_end`` as ``YYYY-MM`` text (``None`` when there
        is no episode or it is ongoing).
    """
    ids = list(region_ids)
    when = pd.Period(month, freq="M")
    status = occupation_status(np.asarray(ids, dtype=object), pd.period_range(when, when, freq="M"),
                               catalog)
    starts = {str(e): str(s) for e, s in zip(catalog["episode_id"], catalog["start_month"], strict=True)}
    ends = {str(e): None if pd.isna(m) else str(m)
            for e, m in zip(catalog["episode_id"], catalog["end_month"], strict=True)}
    out = status.drop(columns="month")
    out["episode_start"] = pd.Series([starts.get(e) for e in out["episode_id"]], dtype=object)
    out["episode_end"] = pd.Series([ends.get(e) for e in out["episode_id"]], dtype=object)
    return out[list(STATUS_COLUMNS)].reset_index(drop=True)


def _text(value: object) -> str:
    """A cell as stripped text (missing values become ``""``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _valid_month(text: str, allow_empty: bool) -> bool:
    """Whether ``text`` is a ``YYYY-MM`` month with a month in 1..12 (or empty when allowed)."""
    if not text:
        return allow_empty
    return bool(_MONTH.match(text)) and 1 <= int(text[5:]) <= 12


def _summary(problems: list[str], limit: int = 10) -> str:
    """One readable message listing at most ``limit`` problems."""
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "invalid episode catalog:\n  " + "\n  ".join(problems[:limit]) + more
