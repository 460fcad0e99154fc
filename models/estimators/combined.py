"""The served forecaster: per attack type, the count family and the ``p_any`` source chosen by backtest.

A *choice table* maps every attack type to ``{"count_model": name, "p_any": source}`` where the
source is ``"count"`` (the chosen count model's own P(count >= 1)), ``"classifier"`` or ``"blend"``
(the average of the two); an optional ``"p_any_by_horizon": {"1": source, ...}`` overrides the
source at those horizons. :class:`CombinedForecaster` fits the members the table uses and applies it;
the table itself comes from :func:`training.selection.select`. Types missing from the table use
``default_model`` and the count model's ``p_any``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from models.distributions import CountPredictive
from models.estimators.base import Forecaster, forecast_index, frame_from_predictive
from models.forecast import DEFAULT_QUANTILES
from models.panel import Panel
from models.scores import predictive_cdf
from models.taxonomy import PANEL_TYPES

P_ANY_SOURCES = ("count", "classifier", "blend")


class ProbabilityModel(Protocol):
    """A classifier of ``count >= 1`` with the backtest's ``fit``/``predict_proba`` shape."""

    def fit(self, panel: Panel) -> Any:
        """Learn from the training window."""
        ...

    def predict_proba(self, state: Panel, horizon: int) -> np.ndarray:
        """P(count >= 1) of every forecast-index row."""
        ...


def fresh(estimator: Any) -> Any:
    """An unfitted copy: ``sklearn.base.clone`` for estimators, a deep copy for anything else."""
    return clone(estimator) if hasattr(estimator, "get_params") else copy.deepcopy(estimator)


class StackedPredictive(CountPredictive):
    """Rows drawn from several predictive vectors: row ``i`` is row ``rows[i]`` of ``parts[part[i]]``."""

    def __init__(self, parts: Sequence[CountPredictive], part: np.ndarray, rows: np.ndarray) -> None:
        self.parts = list(parts)
        self.part = np.asarray(part, dtype=int)
        self.rows = np.asarray(rows, dtype=int)
        if self.part.shape != self.rows.shape:
            raise ValueError("part and rows must have the same shape")

    def __len__(self) -> int:
        return int(self.part.shape[0])

    def _gather(self, fn_name: str, width: int | None = None, *args: Any) -> np.ndarray:
        shape = (len(self),) if width is None else (len(self), width)
        out = np.zeros(shape)
        for j, dist in enumerate(self.parts):
            sel = self.part == j
            if sel.any():
                sub = dist.take(self.rows[sel])
                out[sel] = getattr(sub, fn_name)(*args)
        return out

    def mean(self) -> np.ndarray:
        """Expected counts."""
        return self._gather("mean")

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape ``(n, len(levels))``."""
        return self._gather("quantiles", len(levels), levels)

    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""
        return self._gather("p_any")

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k), one ``k`` per row."""
        values = np.asarray(k, dtype=float)
        out = np.zeros(len(self))
        for j, dist in enumerate(self.parts):
            sel = self.part == j
            if sel.any():
                out[sel] = predictive_cdf(dist.take(self.rows[sel]), values[sel])
        return out

    def crps(self, observed: np.ndarray) -> np.ndarray:
        """CRPS of each observed count."""
        y = np.asarray(observed, dtype=float)
        out = np.zeros(len(self))
        for j, dist in enumerate(self.parts):
            sel = self.part == j
            if sel.any():
                out[sel] = dist.take(self.rows[sel]).crps(y[sel])
        return out

    def take(self, index: np.ndarray) -> StackedPredictive:
        """The distributions at ``index``."""
        return StackedPredictive(self.parts, self.part[index], self.rows[index])


class CombinedForecaster(Forecaster):
    """Applies a choice table over fitted member forecasters (and optionally a classifier).

    Args:
        members: name -> unfitted forecaster prototype (cloned at ``fit``); only the members named
            by the choice table (or ``default_model``) are fitted.
        choice: attack type -> ``{"count_model": name, "p_any": "count"|"classifier"|"blend"}``.
        classifier: unfitted P(count >= 1) model, needed when any type's source is not ``count``.
        default_model: count model of attack types missing from ``choice``.
    """

    name = "combined"

    def __init__(self, members: Mapping[str, Forecaster] | None = None,
                 choice: Mapping[str, Mapping[str, Any]] | None = None,
                 classifier: ProbabilityModel | None = None, default_model: str | None = None) -> None:
        self.members = members
        self.choice = choice
        self.classifier = classifier
        self.default_model = default_model

    def _table(self) -> dict[str, dict[str, Any]]:
        members = dict(self.members or {})
        if not members:
            raise ValueError("CombinedForecaster needs at least one member")
        default = self.default_model or next(iter(members))
        table: dict[str, dict[str, Any]] = {}
        for attack_type in PANEL_TYPES:
            entry = dict((self.choice or {}).get(attack_type, {}))
            model = str(entry.get("count_model", default))
            source = str(entry.get("p_any", "count"))
            per_h = {str(h): str(v) for h, v in dict(entry.get("p_any_by_horizon") or {}).items()}
            if model not in members:
                raise ValueError(f"choice for {attack_type!r} names unknown member {model!r}")
            for src in (source, *per_h.values()):
                if src not in P_ANY_SOURCES:
                    raise ValueError(f"p_any source for {attack_type!r} must be one of {P_ANY_SOURCES}")
                if src != "count" and self.classifier is None:
                    raise ValueError(f"p_any source {src!r} for {attack_type!r} needs a classifier")
            table[attack_type] = {"count_model": model, "p_any": source}
            if per_h:
                table[attack_type]["p_any_by_horizon"] = per_h
        return table

    def fit(self, panel: Panel) -> Self:
        """Fit the members and the classifier the choice table uses; return ``self``."""
        self.table_ = self._table()
        used = list(dict.fromkeys(e["count_model"] for e in self.table_.values()))
        members = dict(self.members or {})
        self.members_ = {name: fresh(members[name]).fit(panel) for name in used}
        needs_clf = any(src != "count" for e in self.table_.values()
                        for src in (e["p_any"], *e.get("p_any_by_horizon", {}).values()))
        self.classifier_ = fresh(self.classifier).fit(panel) if needs_clf else None
        self.report_ = {"family": self.name, "choice": self.table_,
                        "members": {n: m.fit_report() for n, m in self.members_.items()}}
        self.fitted_ = True
        return self

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        """Each row's distribution from the count model chosen for its attack type."""
        self.check_fitted()
        names = list(self.members_)
        index: pd.DataFrame | None = None
        parts: list[CountPredictive] = []
        for name in names:
            index, dist = self.members_[name].predict_dist(state, horizon)
            parts.append(dist)
        assert index is not None
        chosen = pd.Series({t: names.index(e["count_model"]) for t, e in self.table_.items()})
        part = chosen.reindex(index["attack_type"]).to_numpy(dtype=int)
        return index, StackedPredictive(parts, part, np.arange(len(index)))

    def predict_p_any(self, state: Panel, horizon: int, dist: CountPredictive | None = None) -> np.ndarray:
        """P(count >= 1) of every row, from the source chosen for its attack type."""
        self.check_fitted()
        own = dist if dist is not None else self.predict_dist(state, horizon)[1]
        p = own.p_any()
        if self.classifier_ is None:
            return p
        index = forecast_index(state, horizon)
        clf = np.clip(np.asarray(self.classifier_.predict_proba(state, horizon), dtype=float), 0.0, 1.0)
        src = self._sources(index)
        return np.where(src == "classifier", clf, np.where(src == "blend", 0.5 * (p + clf), p))

    def _sources(self, index: pd.DataFrame) -> np.ndarray:
        """The ``p_any`` source of every forecast row (per horizon where the table says so)."""
        lookup = {(t, h): src for t, e in self.table_.items()
                  for h, src in e.get("p_any_by_horizon", {}).items()}
        overall = {t: e["p_any"] for t, e in self.table_.items()}
        pairs = zip(index["attack_type"], index["horizon"], strict=True)
        return np.asarray([lookup.get((t, str(int(h))), overall[t]) for t, h in pairs], dtype=object)

    def predict(self, state: Panel, horizon: int,
                quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """The forecast frame, with ``p_any`` from the chosen source of each attack type."""
        index, dist = self.predict_dist(state, horizon)
        p = self.predict_p_any(state, horizon, dist) if self.classifier_ is not None else None
        return frame_from_predictive(index, dist, quantiles, p_any=p)
