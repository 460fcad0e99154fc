"""Per-series state-space model: a local level on ``log1p`` monthly counts, one per busy series.

Every region x panel type series with enough history (``min_months`` covered months and
``min_events`` events in the last ``window`` months of the training panel) gets a statsmodels
``UnobservedComponents`` local-level model with a fixed spec, fitted by L-BFGS with few
iterations. The fitted variances (level and irregular) are the learned state; forecasting runs the
same model's Kalman filter on the state's series (vectorised over series in numpy: for a local level
the filter is scalar), so a later state is forecast without refitting. The forecast mean ``m`` and
variance ``v`` on the ``log1p`` scale map back to counts through the log-normal moments
(``E = exp(m + v/2) - 1``, ``Var = (exp(v) - 1) exp(2m + v)``) and a moment-matched negative
binomial. Every other series (and any region unseen at fit) is forecast by the fallback forecaster.

For very large panels ``estimator="moments"`` replaces the per-series likelihood fits by
closed-form moment estimates computed for all series at once. The per-series fits fan out
through the ``mapper`` hyper-parameter (``map``-like: built-in ``map`` by default, or a
process-pool / Dask map); it is dropped when the model is pickled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone
from statsmodels.tsa.statespace.structural import UnobservedComponents
from threadpoolctl import threadpool_limits

from models.distributions import CountPredictive, MixturePredictive, NegBinPredictive
from models.episodes import load_catalog
from models.estimators.base import Forecaster, hyperparameters
from models.estimators.baselines import Mean12Poisson
from models.estimators.count import PooledNegBin
from models.features import count_cube, known_regions
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

Mapper = Callable[[Callable[[np.ndarray], tuple[float, float]], Iterable[np.ndarray]], Iterable[Any]]

_MIN_VAR = 1e-6


def moment_variances(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Method-of-moments local-level variances from first differences, vectorised over rows.

    For ``y_t = level_t + e_t`` with ``level_t = level_(t-1) + u_t``, the differences have variance
    ``s2_u + 2 s2_e`` and lag-one autocovariance ``-s2_e``. Returns ``(sigma2_level, sigma2_irregular)``.
    """
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    d = np.diff(y2, axis=1)
    if d.shape[1] < 3:
        var = np.var(y2, axis=1) / 2.0 + _MIN_VAR
        return var, var
    dc = d - d.mean(axis=1, keepdims=True)
    gamma0 = (dc * dc).mean(axis=1)
    gamma1 = (dc[:, 1:] * dc[:, :-1]).mean(axis=1)
    irregular = np.clip(-gamma1, _MIN_VAR, None)
    level = np.clip(gamma0 - 2.0 * irregular, _MIN_VAR, None)
    return level, irregular


def fit_local_level(y: np.ndarray, maxiter: int = 20) -> tuple[float, float]:
    """Fit a local-level model to one ``log1p`` series; returns ``(sigma2_level, sigma2_irregular)``.

    Maximum likelihood (statsmodels ``UnobservedComponents``, L-BFGS from the moment estimates);
    the moment estimates themselves when the optimiser fails.
    """
    level0, irregular0 = (float(v[0]) for v in moment_variances(y))
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        try:
            params = UnobservedComponents(y, level="llevel").fit(
                start_params=[irregular0, level0], disp=False, method="lbfgs", maxiter=maxiter,
                return_params=True)
            irregular, level = (float(v) for v in params[:2])
            if np.isfinite(irregular) and np.isfinite(level):
                return max(level, _MIN_VAR), max(irregular, _MIN_VAR)
        except (ValueError, np.linalg.LinAlgError):
            pass
    return level0, irregular0


def local_level_forecast(y: np.ndarray, level_var: np.ndarray, irregular_var: np.ndarray,
                         horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Kalman-filter many local-level series at once and forecast ``horizon`` steps.

    Args:
        y: ``(n, T)`` observations (the same length for every series).
        level_var: ``(n,)`` level disturbance variances.
        irregular_var: ``(n,)`` observation noise variances.
        horizon: steps ahead.

    Returns:
        ``(n, horizon)`` forecast means and variances of the observations, as statsmodels'
        ``get_forecast`` gives them (diffuse start approximated by a large initial variance).
    """
    n, t_len = y.shape
    level = y[:, 0].astype(float).copy() if t_len else np.zeros(n)
    p = np.full(n, 1e6)
    for t in range(t_len):
        f = p + irregular_var
        gain = p / f
        level = level + gain * (y[:, t] - level)
        p = p * (1.0 - gain) + level_var
    steps = np.arange(horizon)[None, :]
    mean = np.repeat(level[:, None], horizon, axis=1)
    var = p[:, None] + steps * level_var[:, None] + irregular_var[:, None]
    return mean, var


def lognormal_to_negbin(mean_log: np.ndarray, var_log: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map ``log1p``-scale normal moments to a moment-matched negative binomial ``(mu, alpha)``."""
    var_log = np.minimum(var_log, 9.0)
    mean_log = np.minimum(mean_log, 12.0)
    mu = np.maximum(np.exp(mean_log + var_log / 2.0) - 1.0, 1e-6)
    variance = (np.exp(var_log) - 1.0) * np.exp(2.0 * mean_log + var_log)
    alpha = np.clip((variance - mu) / (mu * mu), 0.0, 50.0)
    return mu, alpha


@hyperparameters
class StateSpaceSeries(Forecaster):
    """Local-level model per busy series; the fallback forecaster elsewhere.

    Args:
        min_months: fewest covered months for a series to get its own model.
        min_events: fewest events in the last ``window`` months for a series to get its own model.
        window: months of history each series model is fitted on and filters.
        maxiter: optimiser iterations per series.
        estimator: ``"mle"`` (statsmodels maximum likelihood per series, fanned out by ``mapper``) or
            ``"moments"`` (closed-form moment estimates for every series at once: for very large panels).
        fallback: forecaster of the other series; ``None`` means a :class:`PooledNegBin` with the
            same catalog.
        mapper: ``map``-like callable used to fan the per-series fits out; ``None`` is ``map``.
        catalog: occupation episode catalog (for the default fallback); ``None`` loads the shipped one.
        recent_weight: on rows of a single attack type (not ``all``), weight of the recent average
            (Poisson with the mean of the last 12 months) in a linear pool with the series model's or
            the fallback's forecast; 0 serves those alone.
        fallback_weight: on ``all`` rows served by a series model, weight of the fallback's
            forecast in a linear pool with the local level's (an equal-weight combination of the
            two families by default); 0 serves the local level alone.
    """

    name = "state_space_series"

    min_months: int = 36
    min_events: int = 36
    window: int = 60
    maxiter: int = 20
    estimator: str = "mle"
    fallback: Forecaster | None = None
    mapper: Mapper | None = None
    catalog: pd.DataFrame | None = None
    recent_weight: float = 0.5
    fallback_weight: float = 0.5

    def __setstate__(self, state: dict[str, Any]) -> None:
        # bundles pickled before ``recent_weight`` existed served the fallback alone
        state.setdefault("recent_weight", 0.0)
        state.setdefault("fallback_weight", 0.0)
        super().__setstate__(state)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["mapper"] = None
        return state

    def _series(self, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
        cube, covered = count_cube(panel)
        return np.log1p(cube[:, :, -self.window:]), covered

    def fit(self, panel: Panel) -> Self:
        """Fit the fallback on ``panel`` and a local-level model on every eligible series."""
        if self.window < 3:
            raise ValueError(f"window must be >= 3 months, got {self.window}")
        if self.estimator not in ("mle", "moments"):
            raise ValueError(f"estimator must be 'mle' or 'moments', got {self.estimator!r}")
        for name in ("recent_weight", "fallback_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        catalog = self.catalog if self.catalog is not None else load_catalog()
        base = self.fallback if self.fallback is not None else PooledNegBin(catalog=catalog)
        self.fallback_ = clone(base).fit(panel)
        cube, covered = count_cube(panel)
        recent = cube[:, :, -self.window:]
        enough = (covered.sum(axis=1) >= max(self.min_months, self.window))[:, None]
        busy = recent.sum(axis=2) >= self.min_events
        eligible = enough & busy & known_regions(panel)[:, None]
        r_idx, k_idx = np.nonzero(eligible)
        if self.estimator == "moments":
            level, irregular = moment_variances(np.log1p(recent[r_idx, k_idx]))
            fitted = list(zip(level, irregular, strict=True))
        else:
            series = [np.log1p(recent[r, k]) for r, k in zip(r_idx, k_idx, strict=True)]
            mapper = self.mapper if self.mapper is not None else map
            fitted = list(mapper(self._fit_one, series))
        regions = panel.regions.index.to_numpy()
        self.params_: dict[tuple[str, str], tuple[float, float]] = {
            (str(regions[r]), PANEL_TYPES[k]): (float(a), float(b))
            for r, k, (a, b) in zip(r_idx, k_idx, fitted, strict=True)
        }
        by_type = pd.Series([PANEL_TYPES[k] for k in k_idx], dtype=object).value_counts()
        self.report_ = {
            "family": self.name,
            "estimator": self.estimator,
            "series_fitted": len(self.params_),
            "series_fallback": int(eligible.size - len(self.params_)),
            "fitted_by_type": {str(k): int(v) for k, v in by_type.items()},
            "fallback": self.fallback_.fit_report(),
        }
        self.fitted_ = True
        return self

    def _fit_one(self, y: np.ndarray) -> tuple[float, float]:
        return fit_local_level(y, self.maxiter)

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        """Local-level forecasts for fitted series, the fallback's for every other row (then pooled)."""
        self.check_fitted()
        index, dist = self.fallback_.predict_dist(state, horizon)
        if not isinstance(dist, NegBinPredictive):
            raise TypeError("the fallback forecaster must return negative binomial predictives")
        mu = dist.mu.copy()
        alpha = dist.alpha.copy()
        own = np.zeros(len(mu), dtype=bool)
        regions = state.regions.index
        n_t = len(PANEL_TYPES)
        keys = list(self.params_)
        if keys and len(regions):
            r = regions.get_indexer(pd.Index([k[0] for k in keys]))
            k = pd.Index(PANEL_TYPES).get_indexer(pd.Index([key[1] for key in keys]))
            cube, covered = count_cube(state)
            window = min(self.window, cube.shape[2])
            ok = r >= 0
            ok[ok] &= covered[r[ok]].sum(axis=1) >= window
            if ok.any():
                params = np.asarray([self.params_[keys[i]] for i in np.nonzero(ok)[0]])
                y = np.log1p(cube[r[ok], k[ok], -window:])
                mean, var = local_level_forecast(y, params[:, 0], params[:, 1], horizon)
                s_mu, s_alpha = lognormal_to_negbin(mean, var)
                rows = ((r[ok] * n_t + k[ok]) * horizon)[:, None] + np.arange(horizon)[None, :]
                mu[rows.ravel()] = s_mu.ravel()
                alpha[rows.ravel()] = s_alpha.ravel()
                own[rows.ravel()] = True
        served = NegBinPredictive(mu, alpha)
        is_all = index["attack_type"].to_numpy() == "all"
        w_fallback = np.where(is_all & own, float(self.fallback_weight), 0.0)
        w_recent = np.where(is_all, 0.0, float(self.recent_weight))
        parts: list[CountPredictive] = [served]
        weights = [1.0 - w_fallback - w_recent]
        if (w_fallback > 0).any():
            parts.append(dist)
            weights.append(w_fallback)
        if (w_recent > 0).any():
            parts.append(Mean12Poisson().fit(state).predict_dist(state, horizon)[1])
            weights.append(w_recent)
        if len(parts) == 1:
            return index, served
        return index, MixturePredictive(parts, np.column_stack(weights))
