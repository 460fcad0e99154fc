"""The estimator contract shared by every model family.

scikit-learn style: ``__init__`` stores hyper-parameters only, ``fit(panel)`` learns from a panel
(the state known at the training origin) and returns ``self``, learned state ends in ``_``.
``predict_dist(state, horizon)`` forecasts from any later state (a panel truncated at the origin),
returning the standard index frame and one predictive distribution per row; ``predict`` turns that
into the forecast frame of :mod:`models.forecast`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar, dataclass_transform

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.distributions import CountPredictive
from models.forecast import DEFAULT_QUANTILES, quantile_column, risk_tier
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

_Estimator = TypeVar("_Estimator")


class NotFittedError(RuntimeError):
    """Raised when a forecaster is used before ``fit``."""


@dataclass_transform(eq_default=False)
def hyperparameters(cls: type[_Estimator]) -> type[_Estimator]:
    """Class decorator: the annotated class attributes are the estimator's hyper-parameters.

    The generated ``__init__`` stores each argument under its own name and nothing else (the
    scikit-learn contract, so ``get_params``, ``clone`` and ``set_params`` work); equality stays
    identity and the representation stays scikit-learn's.
    """
    return dataclass(eq=False, repr=False)(cls)


def check_fitted(model: object) -> None:
    """Raise :class:`NotFittedError` unless ``fit`` has run on ``model`` (it sets ``fitted_``)."""
    if not getattr(model, "fitted_", False):
        raise NotFittedError(f"{type(model).__name__} is not fitted; call fit(panel) first")


def fit_report(model: object) -> dict[str, Any]:
    """A copy of what ``model``'s fit decided (its ``report_``; empty before a fit)."""
    return dict(getattr(model, "report_", {}))


def forecast_index(state: Panel, horizon: int) -> pd.DataFrame:
    """Key columns of a forecast from ``state``: every region x panel type x horizon 1..``horizon``.

    Rows are ordered by region (as in ``state.regions``), then attack type (as in ``PANEL_TYPES``),
    then horizon; every forecaster returns its rows in this order.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    regions = state.regions.index.to_numpy()
    n_r, n_t = len(regions), len(PANEL_TYPES)
    horizons = np.arange(1, horizon + 1)
    origin = state.cutoff
    targets = np.asarray([str(origin + int(h)) for h in horizons], dtype=object)
    return pd.DataFrame({
        "region_id": np.repeat(regions, n_t * horizon),
        "attack_type": np.tile(np.repeat(np.asarray(PANEL_TYPES, dtype=object), horizon), n_r),
        "origin": str(origin),
        "target_month": np.tile(targets, n_r * n_t),
        "horizon": np.tile(horizons, n_r * n_t).astype("int64"),
    })


def frame_from_predictive(index: pd.DataFrame, dist: CountPredictive,
                          quantiles: Sequence[float] = DEFAULT_QUANTILES,
                          p_any: np.ndarray | None = None) -> pd.DataFrame:
    """Assemble a forecast frame from the key columns and the predictive distributions.

    ``p_any`` overrides the distribution's own P(count >= 1) (e.g. with a classifier's).
    """
    if len(index) != len(dist):
        raise ValueError(f"{len(index)} forecast rows but {len(dist)} distributions")
    frame = index.reset_index(drop=True).copy()
    frame["mean"] = dist.mean()
    levels = sorted(quantiles)
    qs = dist.quantiles(levels) if len(dist) else np.zeros((0, len(levels)))
    for j, level in enumerate(levels):
        frame[quantile_column(level)] = qs[:, j]
    prob = dist.p_any() if p_any is None else np.clip(np.asarray(p_any, dtype=float), 0.0, 1.0)
    frame["p_any"] = prob
    frame["risk_tier"] = risk_tier(prob)
    return frame


class Forecaster(BaseEstimator, ABC):  # type: ignore[misc]
    """Base class of every count forecaster (baselines, pooled count model, per-series model, ...)."""

    name: str = "forecaster"

    @abstractmethod
    def fit(self, panel: Panel) -> Self:
        """Learn from ``panel`` (all of it is the training window) and return ``self``."""

    @abstractmethod
    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        """Forecast every region x panel type x horizon from ``state`` (origin = ``state.cutoff``).

        Returns:
            The :func:`forecast_index` frame and the predictive distribution of each row.
        """

    def predict(self, state: Panel, horizon: int,
                quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """The forecast frame (see :mod:`models.forecast`) from ``state`` for horizons 1..``horizon``."""
        index, dist = self.predict_dist(state, horizon)
        return frame_from_predictive(index, dist, quantiles)

    def fit_report(self) -> dict[str, Any]:
        """What the fit decided (fallbacks, regularisation, series counts); empty by default."""
        return fit_report(self)

    def check_fitted(self) -> None:
        """Raise :class:`NotFittedError` when ``fit`` has not run."""
        check_fitted(self)
