"""Candidate occupation episodes detected from sources that code territorial control.

ACLED codes "Non-state actor overtakes territory" (canonical attack type ``territory_seizure``) and
"Government regains territory" (not a threat event: the reader rejects it as ``not_threat_event``
and keeps the raw row). In one admin1, a candidate episode starts at the month of the first seizure
and ends at the month of the first government regain on or after it; the next seizure after that
starts a new candidate. A seizure left without a regain for more than ``max_open_months`` is
dropped as stale, unless the data end within that window: then the candidate is ongoing (empty end).

Candidates come back in the catalog schema (:mod:`models.episodes`) with ``source = "detected"``:
an analyst reviews them and adds the ones that hold to a user catalog.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Final

import pandas as pd

from models.episodes import parse_catalog
from models.regions import country_iso3, slug

DETECTED_SOURCE: Final = "detected"
LOCATION_COLUMNS: Final[tuple[str, ...]] = ("country", "admin1", "date")
"""Columns of the seizure and regain frames given to :func:`detect_episodes`."""
REGAIN_SUB_EVENT: Final = "government regains territory"
SEIZURE_TYPE: Final = "territory_seizure"


def detect_episodes(seizures: pd.DataFrame, regains: pd.DataFrame, *, max_open_months: int = 36,
                    data_end: pd.Period | str | None = None) -> pd.DataFrame:
    """Propose occupation episodes from territory-seizure and government-regain events.

    Args:
        seizures: one row per seizure with ``country`` (ISO3), ``admin1`` and ``date``; an optional
            ``perpetrator`` column names the groups of the candidate.
        regains: one row per government regain with ``country`` (ISO3), ``admin1`` and ``date``.
        max_open_months: a seizure with no regain within this many months is dropped as stale.
        data_end: last month of data (default: the latest month in either frame); a candidate still
            open at ``data_end`` and started at most ``max_open_months`` before it is ongoing.

    Returns:
        Candidate episodes in the catalog schema, ``source = "detected"``, sorted by country, admin1
        and start. Rows with an empty admin1 or no date are ignored.

    Raises:
        ValueError: when a frame lacks a location column or ``max_open_months`` is negative.
    """
    if max_open_months < 0:
        raise ValueError(f"max_open_months must be >= 0, got {max_open_months}")
    seize = _located(seizures, "seizures")
    regain = _located(regains, "regains")
    if data_end is not None:
        end_of_data = pd.Period(data_end, freq="M")
    elif len(seize) or len(regain):
        end_of_data = max(m for m in (seize["month"].max(), regain["month"].max()) if not pd.isna(m))
    else:
        return parse_catalog(pd.DataFrame(columns=["episode_id", "country", "admin1", "start_month",
                                                   "end_month", "groups", "note", "source"]))
    seize = seize[seize["month"] <= end_of_data]
    regain = regain[regain["month"] <= end_of_data]
    regain_months = {key: sorted(set(group["month"])) for key, group in regain.groupby(["country", "admin1"])}
    rows: list[dict[str, str]] = []
    for (country, admin1), group in seize.groupby(["country", "admin1"], sort=True):
        spans = _spans(sorted(set(group["month"])), regain_months.get((country, admin1), []),
                       max_open_months, end_of_data)
        for start, end in spans:
            inside = group[(group["month"] >= start) & ((group["month"] <= end) if end is not None
                                                       else True)]
            rows.append(_candidate(str(country), str(admin1), start, end, inside, end_of_data))
    frame = pd.DataFrame(rows, columns=["episode_id", "country", "admin1", "start_month", "end_month",
                                        "groups", "note", "source"])
    return parse_catalog(frame)


def regains_from_rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    """Government-regain events recovered from the raw rows kept with a reader's rejects.

    Args:
        rejects: a rejects frame (:data:`models.schema.REJECT_COLUMNS`) whose ``raw`` column holds
            each original row as JSON with the source's column names (ACLED: ``sub_event_type``,
            ``country``, ``admin1``, ``event_date``).

    Returns:
        Frame with ``country`` (ISO3), ``admin1`` and ``date`` of every reject that is an ACLED
        "Government regains territory" row with a known country, an admin1 and a date.
    """
    out: list[tuple[str, str, pd.Timestamp]] = []
    for raw in rejects.get("raw", pd.Series([], dtype=object)):
        row = _json_row(raw)
        if str(row.get("sub_event_type", "")).strip().lower() != REGAIN_SUB_EVENT:
            continue
        iso3 = country_iso3(str(row.get("iso3") or row.get("country") or ""))
        admin1 = str(row.get("admin1") or "").strip()
        date = pd.to_datetime(str(row.get("event_date") or ""), errors="coerce", format="mixed")
        if iso3 and admin1 and not pd.isna(date):
            out.append((iso3, admin1, date))
    return pd.DataFrame(out, columns=list(LOCATION_COLUMNS))


def seizures_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """The territory-seizure events of a canonical events frame, as detection input."""
    rows = events[events["attack_type"] == SEIZURE_TYPE]
    return rows[["country", "admin1", "date", "perpetrator"]].reset_index(drop=True)


def _spans(seizure_months: list[pd.Period], regain_months: list[pd.Period], max_open: int,
           end_of_data: pd.Period) -> list[tuple[pd.Period, pd.Period | None]]:
    """Walk one admin1's months in order and pair each opening seizure with the next regain."""
    seized, regained = set(seizure_months), set(regain_months)
    spans: list[tuple[pd.Period, pd.Period | None]] = []
    start: pd.Period | None = None
    for month in sorted(seized | regained):
        if start is not None and _months_between(start, month) > max_open:
            start = None
        if start is None and month in seized:
            start = month
        if start is not None and month in regained:
            spans.append((start, month))
            start = None
    if start is not None and _months_between(start, end_of_data) <= max_open:
        spans.append((start, None))
    return spans


def _candidate(country: str, admin1: str, start: pd.Period, end: pd.Period | None,
               seizures: pd.DataFrame, end_of_data: pd.Period) -> dict[str, str]:
    """One candidate row in catalog text form."""
    groups: list[str] = []
    if "perpetrator" in seizures:
        counts = Counter(short for p in seizures["perpetrator"].astype(str) if (short := _short_name(p)))
        groups = [name for name, _ in counts.most_common(3)]
    first = pd.Timestamp(seizures["date"].min()).strftime("%Y-%m-%d")
    closing = (f"first government regain on or after it in {end}" if end is not None
               else f"no government regain by {end_of_data} (ongoing)")
    return {
        "episode_id": f"det-{country.lower()}-{slug(admin1)}-{start}",
        "country": country,
        "admin1": admin1,
        "start_month": str(start),
        "end_month": "" if end is None else str(end),
        "groups": "; ".join(groups),
        "note": f"Detected from {len(seizures)} territory-seizure event(s), the first on {first}; {closing}.",
        "source": DETECTED_SOURCE,
    }


def _short_name(actor: str) -> str:
    """An actor's short name: ACLED writes ``"MNLA: National Movement for ..."``, keep ``MNLA``."""
    return actor.split(":", 1)[0].strip()


def _located(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with clean location columns and a ``month`` column; unusable rows dropped."""
    missing = [c for c in LOCATION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}; it needs {list(LOCATION_COLUMNS)}")
    out = frame.copy()
    out["country"] = out["country"].astype(str).str.strip().str.upper()
    out["admin1"] = out["admin1"].fillna("").astype(str).str.strip()
    out["date"] = pd.to_datetime(out["date"], errors="coerce")
    out = out[(out["admin1"] != "") & out["date"].notna()].copy()
    out["month"] = out["date"].dt.to_period("M")
    return out


def _months_between(a: pd.Period, b: pd.Period) -> int:
    """Whole months from ``a`` to ``b``."""
    return int(b.ordinal - a.ordinal)


def _json_row(raw: object) -> dict[str, object]:
    """A raw reject row parsed from JSON (``{}`` when it is not a JSON object)."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


__all__ = ["detect_episodes", "regains_from_rejects", "seizures_from_events"]
