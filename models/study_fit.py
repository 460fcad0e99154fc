"""The pooled event-study model of one attack type: a negative-binomial GLM with fixed effects.

``log E[y_rt] = a_r + c_(country(r), year(t)) + sum_p b_p * 1[phase(r, t) = p]``: region fixed
effects, country-year effects (estimated on the treated and the never-occupied regions of the same
countries) and one term per phase after the reference ``before``. The dispersion comes from a
Poisson fit and the Cameron-Trivedi auxiliary regression; the NB fit then uses cluster-robust
standard errors by region. ``exp(b_p)`` is the phase's rate ratio against the months before the
occupation, net of the country's year-to-year swings.

Where a phase has no event of the type in the treated regions (or no event before the occupation),
the GLM has no finite estimate; the phase then gets an exact conditional (binomial) interval on
the rate ratio from the pooled counts and exposures, marked ``method = "exact"``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from models.study_design import EFFECT_PHASES

Z95: Final = float(stats.norm.ppf(0.975))
MAX_LOG_RR: Final = 8.0
"""Estimates beyond ``exp(±8)`` or with a standard error above 4 are treated as not estimable."""
MAX_SE: Final = 4.0
ALPHA_BOUNDS: Final = (1e-4, 20.0)


@dataclass(frozen=True)
class Effect:
    """One phase's rate ratio against the months before the occupation.

    Attributes:
        phase: the phase.
        rate_ratio: the estimate (``None`` when there is none: no events in the phase and before).
        ci_low: lower 95% bound (``None`` when unknown).
        ci_high: upper 95% bound (``None`` when unbounded).
        p_value: two-sided p-value of "no change" (``None`` when unknown).
        n_events: events of the type in the treated regions' months of this phase.
        method: ``glm`` (the pooled NB model) or ``exact`` (pooled counts, see the module notes).
        note: why the GLM estimate was not used, or ``""``.
    """

    phase: str
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_events: int
    method: str
    note: str = ""

    @property
    def unbounded(self) -> bool:
        """Events in the phase but none before the occupation: the ratio has no finite upper value."""
        return self.rate_ratio is None and self.n_events > 0 and self.ci_low is not None


def _design_matrix(rows: pd.DataFrame, phases: list[str]) -> tuple[np.ndarray, list[str]]:
    """Region dummies, country-year dummies (the first year of each country dropped), phase dummies."""
    region = pd.get_dummies(rows["region_id"], dtype=float)
    cy = rows["country"].astype(str) + ":" + rows["year"].astype(str)
    firsts = {f"{c}:{y}" for c, y in rows.groupby("country")["year"].min().items()}
    years = pd.get_dummies(cy, dtype=float)
    years = years[[c for c in years.columns if c not in firsts]]
    phase = pd.DataFrame({p: (rows["phase"] == p).astype(float) for p in phases}, index=rows.index)
    frame = pd.concat([region, years, phase], axis=1)
    return frame.to_numpy(dtype=float), [str(c) for c in frame.columns]


def _dispersion(y: np.ndarray, x: np.ndarray) -> float:
    """NB2 dispersion from a Poisson fit and the Cameron-Trivedi auxiliary regression."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mu = sm.GLM(y, x, family=sm.families.Poisson()).fit(maxiter=100).mu
    aux = ((y - mu) ** 2 - y) / np.maximum(mu, 1e-9)
    alpha = float(np.sum(aux * mu) / max(float(np.sum(mu * mu)), 1e-12))
    return float(np.clip(alpha, *ALPHA_BOUNDS))


def exact_effect(phase: str, n_phase: int, exp_phase: int, n_before: int, exp_before: int,
                 note: str) -> Effect:
    """Rate ratio of pooled counts with the exact conditional (Clopper-Pearson) 95% interval.

    Given ``n_phase + n_before`` events, ``n_phase`` is binomial with probability
    ``RR * e1 / (RR * e1 + e0)``; the interval on that probability maps to one on ``RR``.
    """
    total = n_phase + n_before
    if total == 0 or exp_phase == 0 or exp_before == 0:
        return Effect(phase, None, None, None, None, n_phase, "exact", note)
    scale = exp_before / exp_phase
    low_p = 0.0 if n_phase == 0 else float(stats.beta.ppf(0.025, n_phase, total - n_phase + 1))
    high_p = 1.0 if n_phase == total else float(stats.beta.ppf(0.975, n_phase + 1, total - n_phase))
    ratio = None if n_before == 0 else n_phase / n_before * scale
    p_value = float(stats.binomtest(n_phase, total, exp_phase / (exp_phase + exp_before)).pvalue)
    return Effect(phase, ratio, low_p / (1 - low_p) * scale if low_p < 1 else None,
                  None if high_p >= 1 else high_p / (1 - high_p) * scale, p_value, n_phase, "exact", note)


def fit_effects(rows: pd.DataFrame, y: np.ndarray) -> list[Effect]:
    """Rate ratios of every :data:`EFFECT_PHASES` phase for one attack type.

    Args:
        rows: the studied rows of :class:`models.study_design.Design` (treated and control).
        y: the type's monthly count on each row.

    Returns:
        One :class:`Effect` per phase in :data:`EFFECT_PHASES` order.
    """
    y = np.asarray(y, dtype=float)
    treated = rows["treated"].to_numpy(dtype=bool)
    phase = rows["phase"].to_numpy(dtype=object)
    counts = {p: int(y[treated & (phase == p)].sum()) for p in ("before", *EFFECT_PHASES)}
    exposure = {p: int((treated & (phase == p)).sum()) for p in ("before", *EFFECT_PHASES)}
    notes: dict[str, str] = {}
    if counts["before"] == 0:
        notes = {p: "no events of this type before the occupation: the rate ratio has no finite estimate"
                 for p in EFFECT_PHASES}
    for p in EFFECT_PHASES:
        if exposure[p] == 0:
            notes[p] = "no studied months in this phase"
        elif counts[p] == 0 and p not in notes:
            notes[p] = "no events of this type in this phase: the rate ratio has no finite estimate"
    fitted = [p for p in EFFECT_PHASES if p not in notes]
    glm = _glm(rows, y, fitted) if fitted else {}
    effects: list[Effect] = []
    for p in EFFECT_PHASES:
        if p in glm:
            effects.append(glm[p])
            continue
        note = notes.get(p, "the pooled model did not give a finite estimate")
        effects.append(exact_effect(p, counts[p], exposure[p], counts["before"], exposure["before"], note))
    return [e if e.method == "exact" else Effect(e.phase, e.rate_ratio, e.ci_low, e.ci_high, e.p_value,
                                                 counts[e.phase], e.method) for e in effects]


def _glm(rows: pd.DataFrame, y: np.ndarray, phases: list[str]) -> dict[str, Effect]:
    """The NB GLM on the rows whose phase is reference, control or one of ``phases``."""
    keep = rows["phase"].isin(["before", "control", *phases]).to_numpy()
    sub, ys = rows[keep], y[keep]
    region_total = pd.Series(ys, index=sub.index).groupby(sub["region_id"]).transform("sum")
    cy = sub["country"].astype(str) + ":" + sub["year"].astype(str)
    cy_total = pd.Series(ys, index=sub.index).groupby(cy).transform("sum")
    informative = (region_total > 0).to_numpy() & (cy_total > 0).to_numpy()
    sub, ys = sub[informative], ys[informative]
    if not sub["treated"].any():
        return {}
    x, names = _design_matrix(sub, phases)
    groups = pd.factorize(sub["region_id"])[0]
    if groups.max(initial=0) < 1 or len(ys) <= x.shape[1]:
        return {}  # one region (no cluster-robust errors) or no residual degrees of freedom
    try:
        alpha = _dispersion(ys, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.GLM(ys, x, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
                maxiter=200, cov_type="cluster", cov_kwds={"groups": groups})
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        return {}
    out: dict[str, Effect] = {}
    params, bse, pvalues = np.asarray(result.params), np.asarray(result.bse), np.asarray(result.pvalues)
    for p in phases:
        k = names.index(p)
        beta, se = float(params[k]), float(bse[k])
        if not (math.isfinite(beta) and math.isfinite(se)) or abs(beta) > MAX_LOG_RR or se > MAX_SE:
            continue
        out[p] = Effect(p, math.exp(beta), math.exp(beta - Z95 * se), math.exp(beta + Z95 * se),
                        float(pvalues[k]), 0, "glm")
    return out
