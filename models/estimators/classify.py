"""Calibrated gradient-boosting classifier of P(at least one attack of type k in region r at t + h).

One scikit-learn ``HistGradientBoostingClassifier`` per horizon, pooled over regions *and* attack
types, with the attack type as a categorical feature: the rare types (suicide attacks, territory
seizures) borrow the shape of the busy ones, and 6 fits replace 66. The features are those of the
pooled count model (:func:`models.features.design_rows`, with the ``all`` features repeated for the
``all`` type so every type shares one design).

Calibration is time-ordered: rows whose target month falls in the last ``calibration_months`` of
the training window are held out, a booster is fitted on the earlier rows, and a calibration map
from its scores to the held-out outcomes is fitted on the hold-out (Platt scaling of the score's
logit by default; isotonic on request). On the ACLED check the sigmoid map with refitting scored a
better Brier than isotonic, and refitting better than serving the early booster. The served booster is then
refitted on every row (``refit=True``) and its scores pass through that map. Monotonic constraints
(more recent events never lower the probability) keep the small-data trees sensible. When the
hold-out has a single class (nothing or everything happened) the raw scores are kept and ``report_`` says so.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from models.estimators.base import fit_report, hyperparameters
from models.estimators.probability import forecast_grid, training_context
from models.features import (
    ALL_TYPE_FEATURES,
    TYPE_FEATURES,
    FeatureCube,
    LevelPrior,
    design_rows,
    training_rows,
)
from models.panel import Panel
from models.taxonomy import PANEL_TYPES

_ALL_K = len(PANEL_TYPES) - 1
_REPEAT = [TYPE_FEATURES.index(n) for n in ALL_TYPE_FEATURES]


def monotone_constraints(n_columns: int) -> np.ndarray:
    """Monotonic constraints of the shared design.

    More recent events of the type never lower the probability (``+1`` on its counts, means and
    level); a longer quiet spell never raises it (``-1``).
    """
    cst = np.zeros(n_columns, dtype=int)
    for j, name in enumerate(TYPE_FEATURES):
        if name.startswith(("lag", "roll", "ewm")):
            cst[j] = 1
        elif name == "since_event":
            cst[j] = -1
    cst[n_columns - 3] = 1
    cst[n_columns - 2] = 1
    return cst


def classifier_design(fc: FeatureCube, k: int, r: np.ndarray, m: np.ndarray, horizon: int,
                      prior: LevelPrior | tuple[float, float]) -> np.ndarray:
    """Shared design of every type: :func:`design_rows` plus the type index as the last column."""
    x = design_rows(fc, k, r, m, horizon, prior)
    if k == _ALL_K:
        n_own = len(TYPE_FEATURES)
        x = np.column_stack([x[:, :n_own], x[:, _REPEAT], x[:, n_own:]])
    return np.column_stack([x, np.full(len(r), float(k))])


class SigmoidCalibrator:
    """Platt scaling on the logit of a score: ``P = 1 / (1 + exp(-(a * logit(s) + b)))``."""

    def __init__(self) -> None:
        self.coef_ = 1.0
        self.intercept_ = 0.0

    @staticmethod
    def _logit(p: np.ndarray) -> np.ndarray:
        q = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
        return np.log(q / (1 - q))

    def fit(self, scores: np.ndarray, y: np.ndarray) -> SigmoidCalibrator:
        """Fit the two parameters by (nearly unpenalised) logistic regression."""
        lr = LogisticRegression(C=1e4).fit(self._logit(scores)[:, None], np.asarray(y, dtype=int))
        self.coef_ = float(lr.coef_[0, 0])
        self.intercept_ = float(lr.intercept_[0])
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities."""
        z = self.coef_ * self._logit(scores) + self.intercept_
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


class _Constant:
    """A degenerate classifier returning one probability (when training saw one class only)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.full(len(x), self.p)
        return np.column_stack([1.0 - p, p])


@hyperparameters
class EventClassifier(BaseEstimator):  # type: ignore[misc]
    """Calibrated P(count >= 1) per region x attack type x horizon.

    Args:
        max_horizon: horizons fitted directly; longer horizons reuse the last one's model.
        window: months of training origins (the most recent); ``None`` uses all.
        max_rows: training rows per horizon (summed over types) above which a seeded subsample is taken.
        calibration_months: most recent target months held out for the calibration.
        calibration: ``"isotonic"`` or ``"sigmoid"`` (Platt scaling of the score's logit).
        max_iter: boosting iterations.
        learning_rate: boosting learning rate.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: smallest leaf.
        l2_regularization: L2 penalty of the leaf values.
        refit: after calibrating, refit the booster on every row (hold-out included) and apply the
            calibration map to its scores, so the most recent months inform the served model.
        random_state: seed of the subsample and the booster.
        catalog: occupation episode catalog; ``None`` loads the shipped one.
    """

    name = "event_classifier"

    max_horizon: int = 6
    window: int | None = 60
    max_rows: int | None = 12_000
    calibration_months: int = 12
    calibration: str = "sigmoid"
    max_iter: int = 60
    learning_rate: float = 0.1
    max_leaf_nodes: int = 8
    min_samples_leaf: int = 50
    l2_regularization: float = 1.0
    refit: bool = True
    random_state: int = 0
    catalog: pd.DataFrame | None = None

    def fit(self, panel: Panel) -> Self:
        """Fit and calibrate one classifier per horizon on ``panel`` (the training window)."""
        ctx = training_context(panel, self.catalog, self.max_horizon)
        self.catalog_, self.priors_ = ctx.catalog, ctx.priors
        fc, known, end = ctx.cube, ctx.known, ctx.end
        self.models_: dict[int, Any] = {}
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"calibration must be 'isotonic' or 'sigmoid', got {self.calibration!r}")
        self.calibrators_: dict[int, IsotonicRegression | SigmoidCalibrator | None] = {}
        report: dict[str, Any] = {}
        per_type = None if self.max_rows is None else max(self.max_rows // len(PANEL_TYPES), 1)
        with threadpool_limits(limits=1):
            for h in range(1, self.max_horizon + 1):
                xs, ys, target_m = [], [], []
                for k in range(len(PANEL_TYPES)):
                    seed = self.random_state * 7919 + k * 101 + h
                    r, m = training_rows(fc, known, h, self.window, per_type, seed)
                    xs.append(classifier_design(fc, k, r, m, h, self.priors_[k]))
                    ys.append(fc.counts[r, k, m + h] > 0)
                    target_m.append(m + h)
                x, y, tm = np.vstack(xs), np.concatenate(ys), np.concatenate(target_m)
                report[f"h{h}"] = self._fit_horizon(h, x, y, tm > end - self.calibration_months)
        self.report_ = {"family": self.name, "horizons": report}
        self.fitted_ = True
        return self

    def _booster(self, x: np.ndarray, y: np.ndarray) -> Any:
        if len(y) == 0 or y.all() or not y.any():
            return _Constant(float(y.mean()) if len(y) else 0.0)
        cat = np.zeros(x.shape[1], dtype=bool)
        cat[-1] = True
        clf = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            categorical_features=cat, monotonic_cst=monotone_constraints(x.shape[1]),
            early_stopping=False, random_state=self.random_state)
        return clf.fit(x, y)

    def _fit_horizon(self, h: int, x: np.ndarray, y: np.ndarray, hold: np.ndarray) -> dict[str, Any]:
        fit_rows = ~hold
        calibrate = hold.sum() > 0 and y[hold].any() and not y[hold].all() and y[fit_rows].any()
        if not calibrate:
            self.models_[h] = self._booster(x, y)
            self.calibrators_[h] = None
            return {"rows": len(y), "positives": int(y.sum()),
                    "calibration": "none (hold-out has a single class)"}
        early = self._booster(x[fit_rows], y[fit_rows])
        raw = early.predict_proba(x[hold])[:, 1]
        iso: IsotonicRegression | SigmoidCalibrator
        if self.calibration == "sigmoid":
            iso = SigmoidCalibrator().fit(raw, y[hold])
        else:
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y[hold])
        self.models_[h] = self._booster(x, y) if self.refit else early
        self.calibrators_[h] = iso
        return {"rows": len(y) if self.refit else int(fit_rows.sum()), "holdout_rows": int(hold.sum()),
                "positives": int(y.sum()), "calibration": self.calibration}

    def predict_proba(self, state: Panel, horizon: int) -> np.ndarray:
        """P(count >= 1) of every row of ``forecast_index(state, horizon)``, in that order."""
        grid = forecast_grid(self, state, horizon)
        fc, r, m, out = grid.cube, grid.r, grid.m, grid.out
        n_r, n_t = out.shape[:2]
        with threadpool_limits(limits=1):
            for h in range(1, horizon + 1):
                hh = min(h, self.max_horizon)
                x = np.vstack([classifier_design(fc, k, r, m, h, self.priors_[k]) for k in range(n_t)])
                p = self.models_[hh].predict_proba(x)[:, 1] if len(x) else np.zeros(0)
                iso = self.calibrators_[hh]
                if iso is not None and len(p):
                    p = iso.predict(p)
                out[:, :, h - 1] = np.asarray(p).reshape(n_t, n_r).T
        return grid.probabilities()

    def fit_report(self) -> dict[str, Any]:
        """What the fit decided (rows, positives, calibration per horizon)."""
        return fit_report(self)
