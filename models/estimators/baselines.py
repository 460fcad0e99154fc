"""Naive baselines: what an analyst gets for free. Every model must beat them to be worth serving.

All four follow the :class:`~models.estimators.base.Forecaster` contract and forecast the same
distribution at every horizon, computed from the state's most recent months only:

* :class:`ZeroForecaster` -- nothing happens: a point mass at 0 (``p_any = 0``). Its log loss is
  finite only because :func:`models.scores.log_loss` clips probabilities.
* :class:`LastValuePoisson` -- Poisson with the mean equal to the last month's count.
* :class:`Mean12Poisson` -- Poisson with the mean of the last 12 months.
* :class:`Bootstrap24` -- the empirical distribution of the region's last 24 months (fewer when the
  region is covered for less time).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from models.distributions import CountPredictive, EmpiricalPredictive, NegBinPredictive
from models.estimators.base import Forecaster, forecast_index
from models.panel import Panel
from models.taxonomy import PANEL_TYPES


def recent_counts(state: Panel, window: int) -> np.ndarray:
    """Counts of the last ``window`` months of every region x panel type.

    Returns:
        Array of shape ``(n_regions, n_panel_types, window)`` in ``state.regions`` and
        :data:`~models.taxonomy.PANEL_TYPES` order, oldest month first; months before a region's
        coverage are NaN (see :meth:`models.cube.CountCube.recent`).
    """
    return state.cube.recent(window)


def _per_row(values: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat a ``(n_regions, n_types)`` array over horizons, in :func:`forecast_index` row order."""
    return np.repeat(values.reshape(-1), horizon)


class _RecentBaseline(Forecaster):
    """Shared plumbing: ``fit`` only records that it ran; forecasts read the state."""

    def fit(self, panel: Panel) -> Self:
        """Record the fit (baselines learn nothing from the training window) and return ``self``."""
        self.fitted_ = True
        self.report_ = {"family": self.name, "regions": len(panel.regions)}
        return self

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        """Forecast every region x panel type x horizon from ``state`` (the same at every horizon)."""
        self.check_fitted()
        index = forecast_index(state, horizon)
        return index, self._distribution(state, horizon)

    def _distribution(self, state: Panel, horizon: int) -> CountPredictive:
        raise NotImplementedError


class ZeroForecaster(_RecentBaseline):
    """Nothing happens: a point mass at zero for every region, type and horizon."""

    name = "zero"

    def _distribution(self, state: Panel, horizon: int) -> CountPredictive:
        n = len(state.regions) * len(PANEL_TYPES) * horizon
        return NegBinPredictive(np.zeros(n), np.zeros(n))


class LastValuePoisson(_RecentBaseline):
    """Same as last month: Poisson with the last month's count as its mean."""

    name = "last_value"

    def _distribution(self, state: Panel, horizon: int) -> CountPredictive:
        last = np.nan_to_num(recent_counts(state, 1)[:, :, 0], nan=0.0)
        mu = _per_row(last, horizon)
        return NegBinPredictive(mu, np.zeros_like(mu))


class Mean12Poisson(_RecentBaseline):
    """The recent average: Poisson with the mean of the last ``window`` covered months."""

    name = "mean12"

    def __init__(self, window: int = 12) -> None:
        self.window = window

    def _distribution(self, state: Panel, horizon: int) -> CountPredictive:
        mean, _ = state.cube.recent_mean(self.window)
        mu = _per_row(mean, horizon)
        return NegBinPredictive(mu, np.zeros_like(mu))


class Bootstrap24(_RecentBaseline):
    """The recent months replayed: the empirical distribution of the last ``window`` covered months.

    A region covered for ``k < window`` months gets ``window`` samples spread evenly over its ``k``
    months (exactly equal weights when ``k`` divides ``window``, within one sample otherwise).
    """

    name = "bootstrap24"

    def __init__(self, window: int = 24) -> None:
        self.window = window

    def _distribution(self, state: Panel, horizon: int) -> CountPredictive:
        cube = recent_counts(state, self.window)
        flat = cube.reshape(-1, self.window)
        samples = np.zeros_like(flat)
        covered = np.isfinite(flat).sum(axis=1)
        full = covered == self.window
        samples[full] = flat[full]
        for i in np.flatnonzero((~full) & (covered > 0)):
            values = flat[i, self.window - covered[i]:]
            picks = (np.arange(self.window) * covered[i]) // self.window
            samples[i] = values[picks]
        return EmpiricalPredictive(np.repeat(samples, horizon, axis=0))


BASELINES: dict[str, type[Forecaster]] = {
    ZeroForecaster.name: ZeroForecaster,
    LastValuePoisson.name: LastValuePoisson,
    Mean12Poisson.name: Mean12Poisson,
    Bootstrap24.name: Bootstrap24,
}
"""Baseline classes by name (the names used in backtest scores)."""
