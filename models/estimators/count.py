"""Pooled negative-binomial count model: one regression per attack type and horizon.

For every panel type ``k`` (``all`` included) and horizon ``h`` (direct multi-horizon), a negative
binomial (NB2, log link) regression is fitted on rows ``(region, t)`` pooled across regions, with
the design of :func:`models.features.design_rows` at ``t`` and the count at ``t + h`` as target
(``t + h`` within the training panel). The region level enters as an *offset*: the log of the
empirical-Bayes shrunken mean of the region's last 12 months (:func:`models.features.recent_level`,
its gamma prior learned on the training window and weighing at most 12 months,
:func:`models.features.recent_prior`), so the regression models departures from the region's
recent rate. A fixed ridge penalty on the standardised coefficients shrinks sparse types
(little Fisher information) toward that level and barely touches busy ones. The dispersion
``alpha`` is estimated by the method of moments from a Poisson fit and re-estimated after the NB
fit; its multiplier (0, 0.25, 0.5 or 1) is chosen out of time, by the NB log-likelihood of the
training window's last 12 target months under a fit on the earlier rows, jointly with the
dispersion's *power* ``p`` (NB-P: variance ``mu + alpha * mu ** p``; 2 is NB2, 1 is NB1): one NB2
``alpha`` pooled across quiet and busy regions gives quiet rows too few zeros and busy rows too
many, and a lower power lets the data spread the dispersion by level instead.

Sparse or unstable targets never crash the fit: too few positive rows -> ``fallback-mean`` (the
shrunken recent level, with moment dispersion); a failed, non-finite or exploding NB fit ->
``poisson-regularised`` (statsmodels ridge-penalised Poisson GLM with the same offset); and the
linear predictor is capped at ``cap_factor`` times the largest training count. ``report_`` records
each decision and why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Final, Self

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import MissingDataError, PerfectSeparationError
from threadpoolctl import threadpool_limits

from models.distributions import NegBinPredictive
from models.episodes import load_catalog
from models.estimators.base import Forecaster, forecast_index, hyperparameters
from models.features import (
    RECENT_MONTHS,
    FeatureCube,
    LevelPrior,
    as_level_prior,
    build_cube,
    design_names,
    design_rows,
    known_regions,
    level_prior,
    recent_level,
    standardise,
    training_rows,
)
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

_MAX_ALPHA = 20.0
_MIN_ALPHA = 1e-3
_MAX_COEF = 25.0
ALPHA_SCALES: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)
"""Candidate multipliers of the moment dispersion, chosen out of time by :func:`dispersion_scale`."""
POWERS: tuple[float, ...] = (2.0, 1.5, 1.0)
"""Candidate dispersion powers (NB-P), chosen with the multiplier; ties keep the earlier (NB2 first)."""
L2: Final = 125.0
"""Default ridge penalty on the standardised coefficients, chosen on the ACLED development period
(2013-2015 origins) among 60, 125, 250, 1000 and 4000 by the served pool's ``all`` CRPS skill
(``bench/bench_combination.py --negbin-l2``; ``docs/backtest.md``)."""
POWER_PENALTY: Final = 1.0
"""Hold-out log-likelihood a power other than the first must gain to be chosen (AIC: one parameter)."""
DRIVERS: dict[str, tuple[str, ...]] = {
    "recent trend": ("own_lag0", "own_lag1", "own_lag2", "own_roll3", "own_roll6", "own_ewm3",
                     "own_since_event", "all_lag0", "all_roll3", "all_ewm3", "all_since_event"),
    "longer-run level": ("own_roll12", "own_roll24", "own_ewm12", "all_roll12", "log_level", "log_recent"),
    "country activity": ("own_country_roll3", "own_country_roll12", "all_country_roll12"),
    "occupation phase": ("phase_during", "phase_after", "post_window", "log_since_end"),
    "season": ("target_sin", "target_cos", "own_lag11"),
    "region age": ("log_age",),
}
"""Groups of design columns reported as the drivers of a forecast (see :meth:`PooledNegBin.explain`)."""

EXPLAIN_COLUMNS: tuple[str, ...] = ("region_id", "attack_type", "horizon", "driver", "effect")

_FIT_ERRORS = (FloatingPointError, ValueError, np.linalg.LinAlgError, MissingDataError,
               PerfectSeparationError)


@dataclass
class CountFit:
    """One fitted (type, horizon) regression.

    Attributes:
        method: ``negbin``, ``poisson-regularised`` or ``fallback-mean``.
        coef: coefficients on the standardised design (intercept first); empty for the fallback.
        center: design column means.
        scale: design column standard deviations (1 where constant).
        alpha: NB dispersion of the predictive distribution (at mean 1 when ``power`` != 2).
        eta_cap: upper cap of the linear predictor.
        reason: why this method was chosen.
        rows: training rows used.
        power: dispersion power ``p`` (variance ``mu + alpha * mu ** p``; 2 is NB2).
    """

    method: str
    coef: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    alpha: float
    eta_cap: float
    reason: str
    rows: int
    power: float = 2.0

    def mean(self, x: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Expected counts for design rows ``x`` and region levels ``level`` (the offset)."""
        level = np.maximum(np.asarray(level, dtype=float), 1e-8)
        if self.method == "fallback-mean":
            return np.minimum(level, np.exp(self.eta_cap))
        z = (x - self.center) / self.scale
        eta = np.log(level) + self.coef[0] + z @ self.coef[1:]
        return np.exp(np.minimum(eta, self.eta_cap))

    def dispersion(self, mu: np.ndarray) -> np.ndarray:
        """NB2 dispersion of each row with expected count ``mu`` (see :func:`row_alpha`)."""
        return row_alpha(self.alpha, mu, self.power)


def row_alpha(alpha: float, mu: np.ndarray, power: float = 2.0) -> np.ndarray:
    """Per-row NB2 dispersion of an NB-P model: ``alpha * mu ** (power - 2)``, clipped to a sane range.

    The NB-P variance ``mu + alpha * mu ** power`` is the NB2 variance ``mu + a * mu ** 2`` with
    ``a = alpha * mu ** (power - 2)``; ``alpha`` 0 stays Poisson.
    """
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-10)
    if alpha <= 0:
        return np.zeros_like(mu)
    if power == 2.0:
        return np.full_like(mu, alpha)
    return np.clip(alpha * mu ** (power - 2.0), 0.0, _MAX_ALPHA)


def moment_alpha(y: np.ndarray, mu: np.ndarray, power: float = 2.0) -> float:
    """Method-of-moments NB-P dispersion: ``sum((y - mu)^2 - y) / sum(mu^power)``, clipped to a sane range."""
    mu = np.asarray(mu, dtype=float)
    denom = float(np.sum(np.maximum(mu, 0.0) ** power))
    if denom <= 0:
        return _MIN_ALPHA
    value = float(np.sum((y - mu) ** 2 - y)) / denom
    return float(np.clip(value, _MIN_ALPHA, _MAX_ALPHA))


def nb_loglik(y: np.ndarray, mu: np.ndarray, alpha: float, power: float = 2.0) -> float:
    """Total NB-P log-likelihood of counts ``y`` under means ``mu``, dispersion ``alpha`` and ``power``."""
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-10)
    if alpha < 1e-6:
        return float(stats.poisson.logpmf(y, mu).sum())
    n = 1.0 / np.maximum(row_alpha(alpha, mu, power), 1e-6)
    return float(stats.nbinom.logpmf(y, n, n / (n + mu)).sum())


def _nb_coef(design: np.ndarray, y: np.ndarray, offset: np.ndarray, *, l2: float, maxiter: int,
             eta_cap: float) -> tuple[np.ndarray, float]:
    """Poisson start, moment dispersion, NB fit; returns the coefficients and the moment alpha."""
    start = np.zeros(design.shape[1])
    start[0] = np.log(max(float(y.sum()), 1e-6) / max(float(np.exp(offset).sum()), 1e-6))
    pois = irls(design, y, 0.0, start, ridge=l2, maxiter=maxiter, eta_cap=eta_cap, offset=offset)
    alpha = moment_alpha(y, np.exp(np.minimum(offset + design @ pois, eta_cap)))
    coef = irls(design, y, alpha, pois, ridge=l2, maxiter=maxiter, eta_cap=eta_cap, offset=offset)
    return coef, moment_alpha(y, np.exp(np.minimum(offset + design @ coef, eta_cap)))


def dispersion_scale(design: np.ndarray, y: np.ndarray, offset: np.ndarray, hold: np.ndarray, *,
                     l2: float, maxiter: int, eta_cap: float,
                     scales: tuple[float, ...] = ALPHA_SCALES,
                     powers: tuple[float, ...] = POWERS) -> tuple[float, float]:
    """Out-of-time choice of the multiplier of the moment dispersion and of its power.

    Fits on the rows before the hold-out (the most recent target months of the training window)
    and returns the ``(scale, power)`` whose NB-P log-likelihood on the hold-out is highest, the
    moment dispersion of each power estimated on the earlier rows. The moment estimate is inflated
    by a few large residuals, and one NB2 dispersion pooled across quiet and busy regions misplaces
    the zeros; this lets the data say by how much and how the dispersion scales with the level.
    A power other than the first (NB2) must gain more than :data:`POWER_PENALTY` in hold-out
    log-likelihood, so a short or Poisson-like hold-out keeps NB2; ties keep the earlier candidate
    (powers in order, then scales).
    """
    early = ~hold
    coef, _ = _nb_coef(design[early], y[early], offset[early], l2=l2, maxiter=maxiter,
                       eta_cap=eta_cap)
    mu_early = np.exp(np.minimum(offset[early] + design[early] @ coef, eta_cap))
    mu = np.exp(np.minimum(offset[hold] + design[hold] @ coef, eta_cap))
    best, choice = -np.inf, (1.0, 2.0)
    for power in powers:
        alpha = moment_alpha(y[early], mu_early, power)
        for c in scales:
            score = nb_loglik(y[hold], mu, c * alpha, power) - (POWER_PENALTY if power != powers[0] else 0.0)
            if score > best + 1e-9:
                best, choice = score, (float(c), float(power))
    return choice


def fit_count_regression(x: np.ndarray, y: np.ndarray, level: np.ndarray, *, min_positive: int,
                         l2: float, maxiter: int, cap_factor: float = 1.0,
                         hold: np.ndarray | None = None,
                         powers: tuple[float, ...] = POWERS) -> CountFit:
    """Fit one NB regression with its fallbacks (see the module docstring).

    Args:
        x: design rows.
        y: target counts.
        level: shrunken recent region level of each row: the offset of the regression (and the
            forecast of the ``fallback-mean``).
        min_positive: fewest rows with a positive target to attempt a regression.
        l2: fixed ridge penalty on the standardised coefficients (see :func:`irls`).
        maxiter: IRLS iteration cap.
        cap_factor: the expected count is capped at ``cap_factor`` times the largest training count.
        hold: rows held out to choose the dispersion scale and power (:func:`dispersion_scale`);
            ``None`` or too few positive rows before it keeps the NB2 moment estimate.
        powers: candidate dispersion powers (``(2.0,)`` keeps NB2).
    """
    n_pos = int((y > 0).sum())
    offset = np.log(np.maximum(level, 1e-8))
    eta_cap = float(np.log(cap_factor * max(float(y.max()) if len(y) else 0.0, 1.0)))
    empty = np.zeros(0)
    if n_pos < min_positive:
        alpha = moment_alpha(y, level) if len(y) else _MIN_ALPHA
        return CountFit("fallback-mean", empty, empty, empty, alpha, eta_cap,
                        f"{n_pos} positive rows < {min_positive}", len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z, center, scale = standardise(x)
    design = np.column_stack([np.ones(len(z)), z])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scale_alpha, power = 1.0, 2.0
            if hold is not None and hold.any() and int((y[~hold] > 0).sum()) >= min_positive:
                scale_alpha, power = dispersion_scale(design, y, offset, hold, l2=l2, maxiter=maxiter,
                                                      eta_cap=eta_cap, powers=powers)
            coef, alpha = _nb_coef(design, y, offset, l2=l2, maxiter=maxiter, eta_cap=eta_cap)
            if not np.isfinite(coef).all() or np.abs(coef).max() > _MAX_COEF:
                raise FloatingPointError("coefficients diverged")
            if power != 2.0:
                alpha = moment_alpha(y, np.exp(np.minimum(offset + design @ coef, eta_cap)), power)
            return CountFit("negbin", coef, center, scale, scale_alpha * alpha, eta_cap,
                            f"{n_pos} positive rows; dispersion x{scale_alpha:g}, power {power:g}",
                            len(y), power)
        except _FIT_ERRORS as exc:
            reason = f"negbin failed ({exc}); ridge Poisson"
        try:
            ridge = sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit_regularized(
                alpha=l2 / len(y), L1_wt=0.0)
            coef = np.asarray(ridge.params, dtype=float)
            if not np.isfinite(coef).all():
                raise FloatingPointError("ridge coefficients not finite")
            alpha = moment_alpha(y, np.exp(np.minimum(offset + design @ coef, eta_cap)))
            return CountFit("poisson-regularised", coef, center, scale, alpha, eta_cap, reason, len(y))
        except _FIT_ERRORS as exc:
            alpha = moment_alpha(y, level)
            return CountFit("fallback-mean", empty, empty, empty, alpha, eta_cap,
                            f"{reason}; ridge failed ({exc})", len(y))


def irls(design: np.ndarray, y: np.ndarray, alpha: float, start: np.ndarray, *, ridge: float,
         maxiter: int, eta_cap: float, offset: np.ndarray | None = None, tol: float = 1e-8) -> np.ndarray:
    """Ridge-penalised IRLS of a log-link NB2 GLM with fixed ``alpha`` (0: Poisson).

    The working weights come from statsmodels' ``NegativeBinomial(alpha)`` (or ``Poisson``) family.
    Solves the ``p x p`` normal equations with a fixed ridge ``ridge`` on the non-intercept
    (standardised) coefficients. A coefficient's Fisher information grows with the number of
    events, so a fixed penalty shrinks sparse types hard (toward the offset, the region's recent
    level) and busy ones barely.

    Raises:
        FloatingPointError: when the iteration leaves finite numbers.
    """
    family = sm.families.NegativeBinomial(alpha=alpha) if alpha > 0 else sm.families.Poisson()
    beta = start.copy()
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0
    off = np.zeros(len(y)) if offset is None else offset
    dev_old = np.inf
    for _ in range(maxiter):
        eta = np.minimum(off + design @ beta, eta_cap)
        mu = np.exp(eta)
        weight = family.weights(mu)
        work = eta - off + (y - mu) / np.maximum(mu, 1e-10)
        xtw = design.T * weight
        beta = np.linalg.solve(xtw @ design + np.diag(penalty), xtw @ work)
        if not np.isfinite(beta).all():
            raise FloatingPointError("IRLS diverged")
        mu = np.exp(np.minimum(off + design @ beta, eta_cap))
        dev = float(np.sum(mu - y * np.log(np.maximum(mu, 1e-300))))
        if abs(dev - dev_old) <= tol * (abs(dev) + 1.0):
            break
        dev_old = dev
    return beta


@hyperparameters
class PooledNegBin(Forecaster):
    """Negative-binomial regression per attack type and horizon, pooled across regions.

    Args:
        max_horizon: horizons fitted directly; longer horizons reuse the last one's model.
        window: months of training origins (the most recent ones); ``None`` uses all.
        max_rows: training rows per regression above which a seeded subsample is taken.
        min_positive: fewest positive targets to attempt a regression (else ``fallback-mean``).
        l2: fixed ridge penalty on the standardised coefficients (shrinks toward the region level).
        maxiter: IRLS iteration cap.
        cap_factor: expected counts are capped at this multiple of the largest training count.
        dispersion_months: most recent target months held out to choose the dispersion scale
            and power (0 keeps the NB2 moment estimate).
        powers: candidate dispersion powers chosen there (``(2.0,)``: NB2 only).
        prior_months: the most the recent level's gamma prior weighs, in months
            (:func:`models.features.recent_prior`; ``None``: the moment estimate as it is).
        random_state: seed of the row subsample.
        catalog: occupation episode catalog; ``None`` loads the shipped one.
    """

    name = "pooled_negbin"

    max_horizon: int = 6
    window: int | None = 60
    max_rows: int | None = 20_000
    min_positive: int = 25
    l2: float = L2
    maxiter: int = 50
    cap_factor: float = 1.0
    dispersion_months: int = 12
    powers: tuple[float, ...] = POWERS
    prior_months: float | None = RECENT_MONTHS
    random_state: int = 0
    catalog: pd.DataFrame | None = None

    def _resolve_catalog(self) -> pd.DataFrame:
        return self.catalog if self.catalog is not None else load_catalog()

    def fit(self, panel: Panel) -> Self:
        """Fit every (type, horizon) regression on ``panel`` (the training window)."""
        if self.max_horizon < 1:
            raise ValueError(f"max_horizon must be >= 1, got {self.max_horizon}")
        self.catalog_ = self._resolve_catalog()
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit_all(panel)
        self.report_ = self._report()
        self.fitted_ = True
        return self

    def _fit_all(self, panel: Panel) -> None:
        fc = build_cube(panel, self.catalog_)
        known = known_regions(panel)
        end = len(fc.months) - 1
        self.priors_: dict[str, LevelPrior] = {}
        self.fits_: dict[tuple[str, int], CountFit] = {}
        for k, attack_type in enumerate(PANEL_TYPES):
            prior = level_prior(fc, k, known, end, self.prior_months)
            self.priors_[attack_type] = prior
            for h in range(1, self.max_horizon + 1):
                seed = self.random_state * 7919 + k * 101 + h
                r, m = training_rows(fc, known, h, self.window, self.max_rows, seed)
                self.fits_[(attack_type, h)] = self._fit_one(fc, k, r, m, h, prior)

    def _fit_one(self, fc: FeatureCube, k: int, r: np.ndarray, m: np.ndarray, h: int,
                 prior: LevelPrior) -> CountFit:
        x = design_rows(fc, k, r, m, h, prior)
        y = fc.counts[r, k, m + h]
        level = recent_level(fc, k, r, m, prior.recent)
        last = len(fc.months) - 1
        hold = (m + h) > last - self.dispersion_months if self.dispersion_months > 0 else None
        return fit_count_regression(x, y, level, min_positive=self.min_positive, l2=self.l2,
                                    maxiter=self.maxiter, cap_factor=self.cap_factor, hold=hold,
                                    powers=tuple(self.powers))

    def _report(self) -> dict[str, Any]:
        methods: dict[str, int] = {}
        detail = {}
        for (attack_type, h), fit in self.fits_.items():
            methods[fit.method] = methods.get(fit.method, 0) + 1
            detail[f"{attack_type}/h{h}"] = {"method": fit.method, "reason": fit.reason,
                                             "alpha": round(fit.alpha, 4), "power": fit.power,
                                             "rows": fit.rows}
        return {"family": self.name, "methods": methods, "fits": detail}

    def predict_means(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Forecast index, NB means and dispersions of every row (see :meth:`predict_dist`)."""
        self.check_fitted()
        index = forecast_index(state, horizon)
        fc = build_cube(state, self.catalog_)
        n_r, n_t = len(fc.regions), len(PANEL_TYPES)
        mu = np.zeros((n_r, n_t, horizon))
        alpha = np.zeros((n_r, n_t, horizon))
        r = np.arange(n_r)
        m = np.full(n_r, len(fc.months) - 1)
        for k, attack_type in enumerate(PANEL_TYPES):
            prior = as_level_prior(self.priors_[attack_type])
            level = recent_level(fc, k, r, m, prior.recent)
            for h in range(1, horizon + 1):
                fit = self.fits_[(attack_type, min(h, self.max_horizon))]
                x = design_rows(fc, k, r, m, h, prior) if fit.method != "fallback-mean" else None
                mu[:, k, h - 1] = fit.mean(x if x is not None else np.zeros((n_r, 0)), level)
                alpha[:, k, h - 1] = fit.dispersion(mu[:, k, h - 1])
        return index, mu.ravel(), alpha.ravel()

    def explain(self, state: Panel, horizon: int) -> pd.DataFrame:
        """The model's own terms behind each row's mean, grouped into :data:`DRIVERS`.

        The regression is ``log mean = log level + b0 + sum_j b_j z_j`` with ``level`` the region's
        shrunken 12-month mean (the offset) and ``z_j`` the standardised design; a driver's
        ``effect`` is the sum of its ``b_j z_j``: how far (in log units, ``exp(effect)`` as a
        factor) it moves the forecast from the 12-month level, relative to an average row.
        ``fallback-mean`` fits have no terms (every effect 0).

        Returns:
            ``region_id``, ``attack_type``, ``horizon``, ``driver``, ``effect`` (one row per
            forecast row and driver).
        """
        self.check_fitted()
        fc = build_cube(state, self.catalog_)
        n_r = len(fc.regions)
        r = np.arange(n_r)
        m = np.full(n_r, len(fc.months) - 1)
        frames = []
        for k, attack_type in enumerate(PANEL_TYPES):
            prior = self.priors_[attack_type]
            names = design_names(k)
            for h in range(1, horizon + 1):
                fit = self.fits_[(attack_type, min(h, self.max_horizon))]
                effects = np.zeros((n_r, len(DRIVERS)))
                if fit.method != "fallback-mean" and n_r:
                    z = (design_rows(fc, k, r, m, h, prior) - fit.center) / fit.scale
                    terms = z * fit.coef[1:][None, :]
                    for g, cols in enumerate(DRIVERS.values()):
                        idx = [names.index(c) for c in cols if c in names]
                        effects[:, g] = terms[:, idx].sum(axis=1)
                frames.append(pd.DataFrame({
                    "region_id": np.repeat(fc.regions, len(DRIVERS)),
                    "attack_type": attack_type, "horizon": h,
                    "driver": np.tile(np.asarray(list(DRIVERS), dtype=object), n_r),
                    "effect": effects.ravel()}))
        if not frames:
            return pd.DataFrame(columns=list(EXPLAIN_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(EXPLAIN_COLUMNS)]

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, NegBinPredictive]:
        """Negative binomial predictive distribution of every region x type x horizon row."""
        index, mu, alpha = self.predict_means(state, horizon)
        return index, NegBinPredictive(mu, alpha)
