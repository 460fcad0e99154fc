"""The post-occupation effect applied to a region's forecasts, taken from the bundle's episode study.

A region is in a post-occupation window when one of its forecast months falls 1 to
:data:`models.study_design.POST_MONTHS` months after the end of one of its catalog episodes
(:func:`models.episodes.occupation_status`: the end month itself is still occupied). Its forecasts
then carry the episode, its end month, the months from the end to the horizon-1 target month, the
phase of that month (:data:`models.study_design.PHASE_BINS`; ``during`` when the episode ends
inside the horizon) and the study's pooled effects of that phase per attack type, with the share
of placebo estimates at or above each. Nothing is fitted here: the effects are the study's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.episodes import occupation_status
from models.study_design import PHASE_BINS, POST_MONTHS

EFFECT_FIELDS = ("attack_type", "phase", "rate_ratio", "ci_low", "ci_high", "unbounded",
                 "placebo_share_above", "n_events")
"""The fields of each applied effect, in order."""


def phase_of(months_since_end: int) -> str:
    """The study phase of a month ``months_since_end`` months after an episode's end (``during`` if <= 0).

    Raises:
        ValueError: beyond :data:`POST_MONTHS` months after the end.
    """
    if months_since_end <= 0:
        return "during"
    for name, low, high in PHASE_BINS:
        if low <= months_since_end <= high:
            return name
    raise ValueError(f"{months_since_end} months after the end is outside the post-occupation window")


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def applied_effects(study: Mapping[str, Any] | None, phase: str) -> list[dict[str, Any]]:
    """The study's pooled effects of ``phase``, one per attack type, with the placebo share above.

    ``unbounded`` is true where the phase has events and the months before the occupation none
    (no finite ratio, a lower bound only); ``placebo_share_above`` is ``None`` without placebo draws.
    """
    if not study:
        return []
    placebo = {(str(p.get("attack_type")), str(p.get("phase"))): p.get("share_above")
               for p in study.get("placebo", []) or []}
    out = []
    for effect in study.get("effects", []) or []:
        if effect.get("phase") != phase:
            continue
        attack = str(effect.get("attack_type"))
        ratio, low, n = effect.get("rate_ratio"), effect.get("ci_low"), int(effect.get("n_events") or 0)
        share = placebo.get((attack, phase))
        out.append({"attack_type": attack, "phase": phase, "rate_ratio": _opt(ratio), "ci_low": _opt(low),
                    "ci_high": _opt(effect.get("ci_high")),
                    "unbounded": bool(ratio is None and n > 0 and low is not None),
                    "placebo_share_above": _opt(share), "n_events": n})
    return out


def post_occupation(region_ids: Sequence[str], cutoff: pd.Period, horizon: int, catalog: pd.DataFrame,
                    study: Mapping[str, Any] | None) -> dict[str, dict[str, Any] | None]:
    """Per region, the post-occupation effect its forecasts from ``cutoff`` carry, or ``None``.

    Args:
        region_ids: the regions forecast.
        cutoff: the forecast origin (horizon 1 is the next month).
        horizon: the forecast horizons 1..``horizon``.
        catalog: the episode catalog.
        study: the bundle's episode study (``provenance["study"]``), or ``None``.

    Returns:
        ``{episode_id, end_month, months_since_end, phase, effects}`` for every region whose
        forecast months meet a post-occupation window, ``None`` for the others.
    """
    regions = np.asarray(list(region_ids), dtype=object)
    out: dict[str, dict[str, Any] | None] = {str(r): None for r in regions}
    if len(regions) == 0 or catalog.empty or horizon < 1:
        return out
    first = pd.Period(cutoff, freq="M") + 1
    months = pd.period_range(first, periods=horizon, freq="M")
    status = occupation_status(regions, months, catalog)
    since = pd.to_numeric(status["months_since_end"], errors="coerce")
    inside = status[(status["phase"] == "after") & (since >= 1) & (since <= POST_MONTHS)]
    if inside.empty:
        return out
    ends = dict(zip(catalog["episode_id"].astype(str), catalog["end_month"], strict=True))
    by_phase: dict[str, list[dict[str, Any]]] = {}
    for region, rows in inside.groupby("region_id", sort=False):
        episode = str(rows["episode_id"].iloc[0])
        end = pd.Period(str(ends[episode]), freq="M")
        months_since = int(first.ordinal - end.ordinal)
        phase = phase_of(months_since)
        if phase not in by_phase:
            by_phase[phase] = applied_effects(study, phase)
        out[str(region)] = {"episode_id": episode, "end_month": str(end), "months_since_end": months_since,
                            "phase": phase, "effects": by_phase[phase]}
    return out
