"""Placebo test of the episode study: the same estimate on fake occupations where none happened.

Each draw gives every real span a fake twin: a never-occupied region of the same country (distinct
within the draw) with an occupation of the same length and a random end month such that the fake
window has the data a real one needs. The real occupied regions are left out of placebo fits, the
other never-occupied regions stay controls. The spread of the placebo rate ratios is what noise and
model misspecification alone produce; the share of placebo ratios at or above the real one is a
permutation-style p-value for an increase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.panel import Panel
from models.study_design import (
    EFFECT_PHASES,
    MIN_POST_MONTHS,
    MIN_PRE_MONTHS,
    POST_MONTHS,
    PRE_MONTHS,
    Span,
    first_month,
    months_between,
    study_rows,
)
from models.study_fit import Effect, fit_effects


@dataclass(frozen=True)
class PlaceboSummary:
    """Placebo rate ratios of one attack type and phase.

    Attributes:
        attack_type: the type.
        phase: the phase.
        draws: placebo draws run.
        estimable: draws that gave a finite rate ratio.
        unbounded: draws with events in the phase and none before (an unbounded ratio, ranked
            above every finite one).
        p5: 5th percentile of the placebo rate ratios (``None`` without estimable draws).
        p50: median.
        p95: 95th percentile.
        share_above: share of placebo draws with a ratio at or above the real one, among the
            estimable and unbounded ones (``None`` when neither the real ratio nor any placebo
            ratio exists).
    """

    attack_type: str
    phase: str
    draws: int
    estimable: int
    unbounded: int
    p5: float | None
    p50: float | None
    p95: float | None
    share_above: float | None


def placebo_spans(panel: Panel, spans: Sequence[Span], controls: Sequence[str],
                  rng: np.random.Generator) -> list[Span]:
    """One draw of fake spans: a twin in a never-occupied region of the same country per real span."""
    fakes: list[Span] = []
    country_of = panel.regions["country"].astype(str).to_dict()
    free = {c: [r for r in controls if country_of[r] == c]
            for c in {s.country for s in spans}}
    for span in spans:
        pool = free[span.country]
        if not pool:
            continue
        region = pool.pop(int(rng.integers(0, len(pool))))
        length = months_between(span.end, span.start)
        first = first_month(panel, region)
        low = first + MIN_PRE_MONTHS + length
        high = panel.cutoff - MIN_POST_MONTHS
        if low > high:
            continue
        end = low + int(rng.integers(0, months_between(high, low) + 1))
        start = end - length
        fakes.append(Span(region, span.country, (f"placebo:{region}",), start, end,
                          max(start - PRE_MONTHS, first), min(end + POST_MONTHS, panel.cutoff)))
    return fakes


def run_placebo(panel: Panel, spans: Sequence[Span], controls: Sequence[str],
                counts: Callable[[pd.DataFrame, str], np.ndarray], attack_types: Sequence[str],
                real: dict[str, list[Effect]], draws: int, seed: int = 0) -> list[PlaceboSummary]:
    """Run ``draws`` placebo studies and summarise their rate ratios against the ``real`` ones.

    Args:
        panel: the panel.
        spans: the real spans.
        controls: the never-occupied regions.
        counts: ``counts(rows, attack_type)`` gives the type's monthly count on ``rows``.
        attack_types: the types to test.
        real: the real effects per type (as :func:`models.study_fit.fit_effects` returns them).
        draws: number of placebo draws.
        seed: random seed (the draws are reproducible).

    Returns:
        One summary per type and phase.
    """
    rng = np.random.default_rng(seed)
    ratios: dict[tuple[str, str], list[float]] = {(t, p): [] for t in attack_types for p in EFFECT_PHASES}
    unbounded: dict[tuple[str, str], int] = dict.fromkeys(ratios, 0)
    for _ in range(draws):
        fakes = placebo_spans(panel, spans, controls, rng)
        if not fakes:
            continue
        used = {s.region_id for s in fakes}
        rows = study_rows(panel, fakes, [r for r in controls if r not in used])
        for attack_type in attack_types:
            for effect in fit_effects(rows, counts(rows, attack_type)):
                if effect.rate_ratio is not None and np.isfinite(effect.rate_ratio):
                    ratios[(attack_type, effect.phase)].append(effect.rate_ratio)
                elif effect.unbounded:
                    unbounded[(attack_type, effect.phase)] += 1
    out: list[PlaceboSummary] = []
    for attack_type in attack_types:
        by_phase = {e.phase: e for e in real.get(attack_type, [])}
        for phase in EFFECT_PHASES:
            key = (attack_type, phase)
            sample = np.asarray(ratios[key], dtype=float)
            out.append(_summary(attack_type, phase, draws, sample, unbounded[key], by_phase.get(phase)))
    return out


def _summary(attack_type: str, phase: str, draws: int, sample: np.ndarray, unbounded: int,
             real: Effect | None) -> PlaceboSummary:
    """Percentiles of the finite placebo ratios and the rank of the real one among all placebos."""
    p5 = p50 = p95 = None
    if len(sample):
        p5, p50, p95 = (float(v) for v in np.quantile(sample, [0.05, 0.5, 0.95]))
    ranked = len(sample) + unbounded
    share: float | None = None
    if real is not None and ranked:
        if real.rate_ratio is not None:
            share = (int(np.sum(sample >= real.rate_ratio)) + unbounded) / ranked
        elif real.unbounded:
            share = unbounded / ranked
    return PlaceboSummary(attack_type, phase, draws, len(sample), unbounded, p5, p50, p95, share)
