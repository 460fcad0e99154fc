"""Time-weighted logistic regression of P(at least one attack of type k in region r at t + h).

One L2-regularised scikit-learn ``LogisticRegression`` per attack type (``all`` included) and horizon
(direct multi-horizon), pooled across known regions, on a short design of what is known at ``t``:
``log1p`` of the type's exponentially weighted means (half-lives 3 and 12 months), months since its
last event, the country's 3- and 12-month activity and, for single types, the region's ``all``
counts (``ewm3``, ``ewm12``, months since the last event).

Conflict escalates and subsides: while it escalates, a relationship learned ten years ago says
less about next month than one learned last year; while it is steady, the whole window says more.
Training rows ``(r, t)`` may therefore be weighted by ``0.5 ** (age / half_life)``, ``age`` the months
between ``t`` and the last feasible training origin, over a long window (120 months by default).
The half-life is chosen per type and horizon *out of time*: each candidate (equal weights, 24 and
12 months by default) is fitted on the rows whose target falls before the window's last
``holdout_months`` (12) and scored by Brier on those months; the best is refitted on every row.
The weights also scale the penalty's effect: an old, thinly weighted window is regularised harder.

The L2 penalty acts on the coefficients of the ``log1p`` design itself (``penalty_scale="log1p"``, the
default): the columns are centred, not divided by their standard deviations. A coefficient is then
the change in log-odds per unit of log count whatever the type, and the penalty means the same for
a busy type and a rare one. Standardising first (``"standardised"``) divides a rare type's columns
by a tiny spread (indirect fire on ACLED at 2014-04: 11 positive rows of 4,800, Gao's recent level
35 standard deviations out), so a modest standardised coefficient becomes a huge one per log count
and the fit extrapolates to near-certain probabilities (0.96-0.99 for Gao's next months, which saw
no indirect fire). On both ACLED periods and UCDP the ``log1p`` penalty lowered the model's Brier
score on almost every attack type (``docs/backtest.md``).

A type or horizon with fewer than ``min_positive`` positive (or negative) training rows is not fitted:
its probability is the Poisson P(count >= 1) of the region's shrunken recent level
(:func:`models.features.recent_level`), and ``report_`` says so.

On the ACLED check (Sahel and Mozambique, origins 2016-01..2018-06) this model scored a lower Brier
than the boosted :class:`models.estimators.classify.EventClassifier` (see ``docs/models.md``).
"""

from __future__ import annotations

from typing import Any, Final, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from models.estimators.base import fit_report, hyperparameters
from models.estimators.probability import forecast_grid, training_context
from models.features import (
    RECENT_MONTHS,
    FeatureCube,
    as_level_prior,
    recent_level,
    standardise,
    training_rows,
)
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

_ALL_K: Final = len(PANEL_TYPES) - 1

OWN_FEATURES: Final[tuple[str, ...]] = ("ewm3", "ewm12", "since_event", "country_roll3", "country_roll12")
"""Features of the type's own counts."""

PENALTY_SCALES: Final = ("log1p", "standardised")
"""Scales the L2 penalty can act on: the centred ``log1p`` design or its standardised columns."""

ALL_FEATURES: Final[tuple[str, ...]] = ("ewm3", "ewm12", "since_event")
"""Features of the region's ``all`` counts added for single attack types."""

OCCUPATION_FEATURES: Final[tuple[str, ...]] = ("phase_during", "phase_after", "post_window", "since_end")
"""The occupation phase at the origin (``since_end`` as ``log1p``), added when ``occupation`` is on."""


def logit_design(fc: FeatureCube, k: int, r: np.ndarray, m: np.ndarray, occupation: bool = False
                 ) -> np.ndarray:
    """Design rows ``(r[i], m[i])`` of panel type ``k``: ``log1p`` of the features known at ``m``.

    With ``occupation``, the region's occupation phase at ``m`` follows (:data:`OCCUPATION_FEATURES`).
    """
    tf = fc.type_features
    cols = [np.log1p(tf[name][r, k, m]) for name in OWN_FEATURES]
    if k != _ALL_K:
        cols += [np.log1p(tf[name][r, _ALL_K, m]) for name in ALL_FEATURES]
    if occupation:
        rf = fc.region_features
        cols += [rf[name][r, m] for name in OCCUPATION_FEATURES[:-1]] + [np.log1p(rf["since_end"][r, m])]
    width = len(OWN_FEATURES) + (len(ALL_FEATURES) if k != _ALL_K else 0) \
        + (len(OCCUPATION_FEATURES) if occupation else 0)
    return np.column_stack(cols) if len(r) else np.zeros((0, width))


class _Fit:
    """One fitted (type, horizon) regression on the centred (or standardised) design, or ``None``."""

    def __init__(self, model: LogisticRegression | None, center: np.ndarray, scale: np.ndarray) -> None:
        self.model = model
        self.center = center
        self.scale = scale

    def predict(self, x: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        if self.model is None or len(x) == 0:
            return fallback
        return np.asarray(self.model.predict_proba((x - self.center) / self.scale)[:, 1])


@hyperparameters
class EventLogit(BaseEstimator):  # type: ignore[misc]
    """Time-weighted logistic P(count >= 1) per region x attack type x horizon.

    Args:
        max_horizon: horizons fitted directly; longer horizons reuse the last one's model.
        window: months of training origins (the most recent); ``None`` uses all.
        half_lives: candidate half-lives (months) of the recency weights, ``None`` meaning equal
            weights, chosen out of time per type and horizon; a single candidate is always used.
        holdout_months: most recent target months held out to choose the half-life.
        max_rows: training rows per regression above which a seeded uniform subsample is taken.
        C: inverse L2 penalty of scikit-learn's ``LogisticRegression``.
        penalty_scale: what the penalty acts on (:data:`PENALTY_SCALES`): the centred ``log1p``
            design (default) or the standardised one.
        min_positive: fewest positive (and negative) training rows to fit a regression.
        random_state: seed of the row subsample (the fits themselves are deterministic).
        catalog: occupation episode catalog; ``None`` loads the shipped one.
        occupation: add the region's occupation phase at the origin to the design.
        prior_months: the most the recent level's gamma prior weighs, in months (``None``: the
            moment estimate as it is); the level is the fallback of types too rare to fit.
    """

    name = "event_logit"

    max_horizon: int = 6
    window: int | None = 120
    half_lives: tuple[float | None, ...] = (None, 24.0, 12.0)
    holdout_months: int = 12
    max_rows: int | None = 20_000
    C: float = 1.0
    penalty_scale: str = "log1p"
    min_positive: int = 10
    random_state: int = 0
    catalog: pd.DataFrame | None = None
    occupation: bool = False
    prior_months: float | None = RECENT_MONTHS

    def fit(self, panel: Panel) -> Self:
        """Fit one regression per attack type and horizon on ``panel`` (the training window)."""
        if not self.half_lives or any(hl is not None and hl <= 0 for hl in self.half_lives):
            raise ValueError(f"half_lives must be positive numbers or None, got {self.half_lives!r}")
        if self.penalty_scale not in PENALTY_SCALES:
            raise ValueError(f"penalty_scale must be one of {PENALTY_SCALES}, got {self.penalty_scale!r}")
        ctx = training_context(panel, self.catalog, self.max_horizon, self.prior_months)
        self.catalog_, self.priors_ = ctx.catalog, ctx.priors
        fc, known, end = ctx.cube, ctx.known, ctx.end
        self.fits_: dict[tuple[int, int], _Fit] = {}
        report: dict[str, Any] = {}
        with threadpool_limits(limits=1):
            for k, attack_type in enumerate(PANEL_TYPES):
                for h in range(1, self.max_horizon + 1):
                    seed = self.random_state * 7919 + k * 101 + h
                    r, m = training_rows(fc, known, h, self.window, self.max_rows, seed)
                    fit, note = self._fit_one(fc, k, r, m, h, end)
                    self.fits_[(k, h)] = fit
                    report[f"{attack_type}/h{h}"] = note
        self.report_ = {"family": self.name, "fits": report}
        self.fitted_ = True
        return self

    def _fit_one(self, fc: FeatureCube, k: int, r: np.ndarray, m: np.ndarray, h: int,
                 end: int) -> tuple[_Fit, dict[str, Any]]:
        y = fc.counts[r, k, m + h] > 0
        pos = int(y.sum())
        empty = np.zeros(0)
        if pos < self.min_positive or len(y) - pos < self.min_positive:
            return _Fit(None, empty, empty), {"method": "fallback-level", "rows": len(y), "positives": pos}
        x = logit_design(fc, k, r, m, self.occupation)
        age = (end - h - m).astype(float)
        hold = (m + h) > end - self.holdout_months
        half_life = self._choose_half_life(x, y, age, hold)
        fit = self._fit_rows(x, y, age, half_life)
        assert fit.model is not None
        note = {"method": "logistic", "rows": len(y), "positives": pos,
                "half_life": "none" if half_life is None else float(half_life),
                "coef": [round(float(c), 4) for c in fit.model.coef_[0]]}
        return fit, note

    def _fit_rows(self, x: np.ndarray, y: np.ndarray, age: np.ndarray, half_life: float | None) -> _Fit:
        if self.penalty_scale == "log1p":
            center, scale = x.mean(axis=0), np.ones(x.shape[1])
            z = x - center
        else:
            z, center, scale = standardise(x)
        weight = None if half_life is None else 0.5 ** ((age - age.min()) / float(half_life))
        model = LogisticRegression(C=self.C, max_iter=1000).fit(z, y, sample_weight=weight)
        return _Fit(model, center, scale)

    def _choose_half_life(self, x: np.ndarray, y: np.ndarray, age: np.ndarray,
                          hold: np.ndarray) -> float | None:
        """The candidate half-life with the lowest Brier on the hold-out, fitted on earlier rows."""
        candidates = tuple(self.half_lives)
        early = ~hold
        n_pos = int(y[early].sum())
        if len(candidates) == 1 or not hold.any() or n_pos < self.min_positive or \
                int(early.sum()) - n_pos < self.min_positive:
            return candidates[0]
        scores = []
        for half_life in candidates:
            fit = self._fit_rows(x[early], y[early], age[early], half_life)
            p = fit.predict(x[hold], np.zeros(int(hold.sum())))
            scores.append(float(np.mean((p - y[hold]) ** 2)))
        return candidates[int(np.argmin(scores))]

    def predict_proba(self, state: Panel, horizon: int) -> np.ndarray:
        """P(count >= 1) of every row of ``forecast_index(state, horizon)``, in that order."""
        grid = forecast_grid(self, state, horizon)
        fc, r, m, out = grid.cube, grid.r, grid.m, grid.out
        n_r, n_t = out.shape[:2]
        for k in range(n_t):
            x = logit_design(fc, k, r, m, self.occupation)
            level = recent_level(fc, k, r, m, as_level_prior(self.priors_[k]).recent) if n_r else np.zeros(0)
            fallback = 1.0 - np.exp(-level)
            for h in range(1, horizon + 1):
                out[:, k, h - 1] = self.fits_[(k, min(h, self.max_horizon))].predict(x, fallback)
        return grid.probabilities()

    def fit_report(self) -> dict[str, Any]:
        """What the fit decided (method, rows, positives and coefficients per type and horizon)."""
        return fit_report(self)
