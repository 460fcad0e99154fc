"""The episode study: what happened to each attack type after the catalog's occupations ended.

:func:`run_study` lays out the episodes (:mod:`models.study_design`), fits the pooled event-study
model per attack type (:mod:`models.study_fit`), measures the tactic-share shift
(:mod:`models.study_shares`), counts the events by target class and measures the target-share
shift (:mod:`models.study_targets`) and runs the placebo test (:mod:`models.study_placebo`). The
result serialises to the JSON object documented in ``docs/episodes.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from models.panel import Panel
from models.study_design import PHASES, Design, design, months_between, never_occupied
from models.study_fit import Effect, fit_effects
from models.study_placebo import PlaceboSummary, run_placebo
from models.study_shares import ShareShift, share_shifts
from models.study_targets import class_counts, phase_counts, shift_record, target_shifts
from models.targets import TARGET_CLASSES
from models.taxonomy import ALL, ATTACK_TYPES

STUDY_VERSION: Final = "1.1"
PLACEBO_DRAWS: Final = 20


@dataclass(frozen=True)
class Study:
    """The episode study's result.

    Attributes:
        episodes: per catalog episode: id, region, months, ``used``, ``reason``, ``counts``
            (phase -> attack type -> events in the region's window) and ``counts_by_target``
            (phase -> target class -> events); both empty when not used.
        effects: per attack type, the rate ratio of each phase against ``before``.
        shares: per attack type, the share shift after against before/during.
        placebo: per attack type and phase, the placebo distribution.
        data: what the study ran on (months, regions, treated and control regions).
        timeline: per studied region: month, months since the end, phase and counts by type.
        target_shares: per target class, the share shift after against before/during.
        target_timeline: the rows of ``timeline`` with counts by target class instead of type.
    """

    episodes: list[dict[str, Any]]
    effects: dict[str, list[Effect]]
    shares: list[ShareShift]
    placebo: list[PlaceboSummary]
    data: dict[str, Any]
    timeline: pd.DataFrame = field(repr=False)
    target_shares: list[ShareShift] = field(default_factory=list)
    target_timeline: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def effect_records(self) -> list[dict[str, Any]]:
        """Effects as flat records (``attack_type``, ``phase``, ``rate_ratio``, ``ci_low``, ...)."""
        return [{"attack_type": t, **asdict(e)} for t, effects in self.effects.items() for e in effects]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready study: ``episodes``, ``effects``, (target) ``shares``, ``placebo``, ``data``."""
        return {"version": STUDY_VERSION, "episodes": self.episodes, "effects": self.effect_records(),
                "shares": [asdict(s) for s in self.shares],
                "target_shares": [shift_record(s) for s in self.target_shares],
                "placebo": [asdict(p) for p in self.placebo], "data": self.data}


def type_counts(panel: Panel, rows: pd.DataFrame, attack_type: str) -> np.ndarray:
    """The panel's monthly count of ``attack_type`` on each of ``rows`` (``region_id``, ``month``)."""
    part = panel.counts[panel.counts["attack_type"] == attack_type]
    series = pd.Series(part["count"].to_numpy(), index=pd.MultiIndex.from_arrays(
        [part["region_id"].to_numpy(), pd.PeriodIndex(part["month"], freq="M").asi8]))
    keys = pd.MultiIndex.from_arrays([rows["region_id"].to_numpy(),
                                      pd.PeriodIndex(rows["month"], freq="M").asi8])
    return series.reindex(keys).fillna(0).to_numpy(dtype=np.int64)


def _timeline(panel: Panel, plan: Design, types: Sequence[str]) -> pd.DataFrame:
    treated = plan.rows[plan.rows["treated"].to_numpy(dtype=bool)].reset_index(drop=True)
    ends = {s.region_id: s.end for s in plan.spans}
    out = treated[["region_id", "month", "phase"]].copy()
    out["months_since_end"] = [months_between(m, ends[str(r)])
                               for r, m in zip(out["region_id"], out["month"], strict=True)]
    for name in (*types, ALL):
        out[name] = type_counts(panel, treated, name)
    return out


def _target_timeline(panel: Panel, timeline: pd.DataFrame) -> pd.DataFrame:
    """The timeline's rows with their events by target class."""
    base = timeline[["region_id", "month", "phase", "months_since_end"]].copy()
    counts = class_counts(panel, timeline, timeline[ALL].to_numpy())
    return pd.concat([base, counts], axis=1)


def _episode_records(plan: Design, timeline: pd.DataFrame, targets: pd.DataFrame,
                     types: Sequence[str]) -> list[dict[str, Any]]:
    by_region: dict[str, dict[str, dict[str, int]]] = {}
    for region, group in timeline.groupby("region_id"):
        sums = group.groupby("phase")[[*types, ALL]].sum().to_dict("index")
        by_region[str(region)] = {p: {t: int(sums[p][t]) for t in (*types, ALL)}
                                  for p in PHASES if p in sums}
    by_target = {str(region): phase_counts(group, PHASES) for region, group in targets.groupby("region_id")}
    records = []
    for row in plan.status.itertuples(index=False):
        region = str(row.region_id)
        records.append({"episode_id": row.episode_id, "region_id": row.region_id,
                        "start_month": row.start_month, "end_month": row.end_month,
                        "used": bool(row.used), "reason": row.reason,
                        "counts": by_region.get(region, {}) if row.used else {},
                        "counts_by_target": by_target.get(region, {}) if row.used else {}})
    return records


def run_study(panel: Panel, catalog: pd.DataFrame, attack_types: Sequence[str] = ATTACK_TYPES,
              placebo_draws: int = PLACEBO_DRAWS, seed: int = 0) -> Study:
    """Run the episode study of ``catalog`` on ``panel``.

    Args:
        panel: the region-month panel.
        catalog: the episode catalog (:func:`models.episodes.load_catalog`).
        attack_types: the types to study.
        placebo_draws: placebo draws (0 skips the placebo test).
        seed: random seed of the bootstrap and the placebo draws.

    Returns:
        The :class:`Study`; with no usable episode its effects, shares, target shares and placebo
        are empty and every episode says why it was left out.
    """
    types = [t for t in attack_types if t != ALL]
    plan = design(panel, catalog)
    timeline = _timeline(panel, plan, types)
    targets = _target_timeline(panel, timeline)
    controls = never_occupied(panel, catalog)
    countries = sorted({s.country for s in plan.spans})
    data = {"first_month": str(panel.months[0]), "cutoff": str(panel.cutoff),
            "regions": len(panel.regions), "treated_regions": [s.region_id for s in plan.spans],
            "control_regions": sorted({str(r) for r in plan.rows.loc[~plan.rows["treated"], "region_id"]}),
            "countries": countries, "placebo_draws": int(placebo_draws),
            "sources": dict(panel.meta.get("sources", {})),
            "target_classes": "events" if getattr(panel, "targets", None) is not None else "absent"}
    episodes = _episode_records(plan, timeline, targets, types)
    if not plan.spans:
        return Study(episodes, {}, [], [], data, timeline, [], targets)
    effects = {t: fit_effects(plan.rows, type_counts(panel, plan.rows, t)) for t in types}
    shares = share_shifts(timeline, {t: timeline[t].to_numpy() for t in types}, timeline[ALL].to_numpy(),
                          seed=seed)
    country_of = panel.regions["country"].astype(str).to_dict()
    placebo = run_placebo(panel, plan.spans, [c for c in controls if country_of[c] in countries],
                          lambda rows, t: type_counts(panel, rows, t), types, effects,
                          placebo_draws, seed) if placebo_draws > 0 else []
    target_shares = target_shifts(timeline, targets[list(TARGET_CLASSES)], timeline[ALL].to_numpy(),
                                  seed=seed)
    return Study(episodes, effects, shares, placebo, data, timeline, target_shares, targets)
