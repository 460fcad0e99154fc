"""What every P(count >= 1) model shares: its training context and the shape of its answer.

:class:`models.estimators.logit.EventLogit` and :class:`models.estimators.classify.EventClassifier`
learn differently but start a fit from the same state (catalog, feature cube, known regions, the
per-type gamma priors of the training window) and answer ``predict_proba(state, horizon)`` with one
probability per :func:`models.estimators.base.forecast_index` row, kept away from 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from models.episodes import load_catalog
from models.estimators.base import check_fitted, forecast_index
from models.features import RECENT_MONTHS, FeatureCube, LevelPrior, build_cube, known_regions, level_prior
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

P_FLOOR: Final = 1e-4
"""Probabilities are kept in [1e-4, 1 - 1e-4] so a log loss stays finite."""


@dataclass(frozen=True)
class TrainingContext:
    """The training window as a P(any) model sees it.

    Attributes:
        catalog: the episode catalog used.
        cube: the feature cube of the window.
        known: boolean mask of regions with an event up to the window's end.
        end: index of the window's last month.
        priors: the gamma priors of each panel type's regional rates (:class:`models.features.LevelPrior`).
    """

    catalog: pd.DataFrame
    cube: FeatureCube
    known: np.ndarray
    end: int
    priors: list[LevelPrior]


def training_context(panel: Panel, catalog: pd.DataFrame | None, max_horizon: int,
                     prior_months: float | None = RECENT_MONTHS) -> TrainingContext:
    """Check ``max_horizon``; the :class:`TrainingContext` of ``panel`` (``None``: shipped catalog).

    ``prior_months``: the most the recent level's prior weighs (:func:`models.features.recent_prior`).
    """
    if max_horizon < 1:
        raise ValueError(f"max_horizon must be >= 1, got {max_horizon}")
    cat = catalog if catalog is not None else load_catalog()
    fc = build_cube(panel, cat)
    known = known_regions(panel)
    end = len(fc.months) - 1
    priors = [level_prior(fc, k, known, end, prior_months) for k in range(len(PANEL_TYPES))]
    return TrainingContext(cat, fc, known, end, priors)


@dataclass(frozen=True)
class ForecastGrid:
    """What a fitted P(any) model forecasts from: the state's cube and the array to fill.

    Attributes:
        rows: the :func:`models.estimators.base.forecast_index` length.
        cube: the feature cube of the state.
        r: every region's position in the cube.
        m: the state's last month, per region.
        out: zeros of shape ``(regions, types, horizon)``; :meth:`probabilities` flattens it.
    """

    rows: int
    cube: FeatureCube
    r: np.ndarray
    m: np.ndarray
    out: np.ndarray

    def probabilities(self) -> np.ndarray:
        """``out`` in forecast-index order, kept away from 0 and 1 (:func:`as_probabilities`)."""
        return as_probabilities(self.out, self.rows)


def forecast_grid(model: Any, state: Panel, horizon: int) -> ForecastGrid:
    """Check that ``model`` is fitted; the :class:`ForecastGrid` of ``state`` for ``horizon`` months.

    The cube is built with the catalog the model was fitted with (its ``catalog_``).
    """
    check_fitted(model)
    rows = len(forecast_index(state, horizon))
    fc = build_cube(state, model.catalog_)
    n_r = len(fc.regions)
    return ForecastGrid(rows, fc, np.arange(n_r), np.full(n_r, len(fc.months) - 1),
                        np.zeros((n_r, len(PANEL_TYPES), horizon)))


def as_probabilities(out: np.ndarray, n_rows: int) -> np.ndarray:
    """Flatten a ``(regions, types, horizon)`` array into forecast-index order, clipped to the floor.

    Raises:
        RuntimeError: when the array does not hold ``n_rows`` rows (the forecast index's length).
    """
    probs = np.clip(np.nan_to_num(out.ravel(), nan=0.0), P_FLOOR, 1.0 - P_FLOOR)
    if len(probs) != n_rows:
        raise RuntimeError("probability rows do not match the forecast index")
    return probs
