"""The served forecaster: per attack type, the count family and the ``p_any`` source chosen by backtest.

A *choice table* maps every attack type to ``{"count_model": name, "p_any": source}`` where the
source is ``"count"`` (the chosen count model's own P(count >= 1)), ``"classifier"`` or ``"blend"``
(the average of the two); an optional ``"p_any_by_horizon": {"1": source, ...}`` overrides the
source at those horizons. An entry ``{"count_model": "pool", "p_any": "pool", "pool": [names],
"p_pool": [names]}`` serves the equal-weight pool of those members' distributions and the average
of their (and, named ``classifier``, the classifier's) P(count >= 1)
(:mod:`models.estimators.pooling`). :class:`CombinedForecaster` fits the members the table uses and
applies it; the table itself comes from :func:`training.selection.select`. Types missing from the table use
``default_model`` and the count model's ``p_any``.

The served distribution of every cell is one coherent hurdle (:func:`coherent_cells`):

1. *combination with the baseline*: the chosen model's mean and variance are pooled with the
   baseline's (``mean12``) with weight ``w`` per attack type (a linear pool, moment form);
2. *recalibrated P(count >= 1)*: ``p = sigmoid(c0 + c1 logit(p_source) + c2 logit(p_baseline))``
   per attack type (a logistic stack: combination with the baseline and recalibration at once);
3. *reconciliation*: per region and horizon the attack-type means are reconciled with the ``all``
   mean by weighted least squares (:func:`models.distributions.reconcile_wls`), so they add up, and
   the ``all`` P(count >= 1) with the types' (:func:`reconcile_p_any`: the average of its own and
   the types' bottom-up one, at least the likeliest type's);
4. the cell's distribution is the hurdle with that ``p`` and that mean
   (:func:`models.distributions.hurdle_from_moments`): ``p_any == 1 - F(0)``, the quantiles and the
   mean all come from it.

``w`` and ``c`` are learned out of time, on a rolling window of backtest rows
(:func:`training.selection.learn_coherence`); without them the layer is the identity combination.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from models.distributions import CountPredictive, HurdlePredictive, hurdle_from_moments, reconcile_wls
from models.estimators.base import Forecaster, forecast_index, frame_from_predictive, hyperparameters
from models.estimators.baselines import Mean12Poisson
from models.estimators.count import EXPLAIN_COLUMNS, PooledNegBin
from models.estimators.pooling import CLASSIFIER_MEMBER, POOL, average_probability, linear_pool
from models.forecast import DEFAULT_QUANTILES
from models.panel import Panel
from models.scores import predictive_cdf
from models.taxonomy import PANEL_TYPES

P_ANY_SOURCES = ("count", "classifier", "blend")

POOL_DRIVER = "rest of the served model"
"""Driver of the served mean's departure from the count regression's (other pool members, reconciliation)."""

POOL_FLOOR = 1e-3
"""Expected count added to both means of :data:`POOL_DRIVER`'s ratio: near-zero means stay near 0."""

P_CLIP = 1e-4
"""Probabilities enter the logistic stack clipped to ``[1e-4, 1 - 1e-4]``."""

IDENTITY: dict[str, Any] = {"w": 0.0, "coef": [0.0, 1.0, 0.0]}
"""Coherence parameters of a type without evidence: no baseline weight, no recalibration."""


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), P_CLIP, 1.0 - P_CLIP)
    return np.asarray(np.log(q) - np.log1p(-q))


def pool_moments(mean: np.ndarray, var: np.ndarray, base_mean: np.ndarray, base_var: np.ndarray,
                 w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the linear pool ``(1 - w) model + w baseline``."""
    m = (1.0 - w) * mean + w * base_mean
    second = (1.0 - w) * (var + mean ** 2) + w * (base_var + base_mean ** 2)
    return m, np.clip(second - m ** 2, 0.0, None)


def stack_probability(p: np.ndarray, base_p: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``sigmoid(c0 + c1 logit(p) + c2 logit(base_p))`` per row (``coef`` shape ``(n, 3)``)."""
    z = coef[:, 0] + coef[:, 1] * _logit(p) + coef[:, 2] * _logit(base_p)
    stacked = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    identity = (coef[:, 0] == 0.0) & (coef[:, 1] == 1.0) & (coef[:, 2] == 0.0)
    return np.asarray(np.where(identity, np.clip(p, 0.0, 1.0), stacked))


RECONCILE_METHODS = ("wls", "top")
"""``wls``: the gap is shared by the types and ``all`` in proportion to their variances; ``top``: ``all``
is kept and the types take the whole gap (in proportion to their variances)."""


def _cells(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Group (region, origin, horizon) and panel-type position of every row, and the group count."""
    group = pd.MultiIndex.from_frame(keys[["region_id", "origin", "horizon"]].astype(str))
    gid, uniques = pd.factorize(group)
    tid = pd.Index(PANEL_TYPES).get_indexer(pd.Index(keys["attack_type"]))
    return np.asarray(gid), np.asarray(tid), len(uniques)


def _grid(gid: np.ndarray, tid: np.ndarray, n_g: int, values: np.ndarray) -> np.ndarray:
    """``(groups, panel types)`` matrix of ``values`` (NaN where a group lacks a type)."""
    out = np.full((n_g, len(PANEL_TYPES)), np.nan)
    out[gid, tid] = np.asarray(values, dtype=float)
    return out


def reconcile_frame(keys: pd.DataFrame, mean: np.ndarray, var: np.ndarray, method: str = "wls") -> np.ndarray:
    """Reconciled means: per group of ``keys`` (region, origin, horizon) the types add up to ``all``.

    ``keys`` has ``region_id``, ``origin``, ``horizon`` and ``attack_type``; a group missing its
    ``all`` row or a type keeps its means.
    """
    if len(keys) == 0:
        return np.asarray(mean, dtype=float).copy()
    gid, tid, n_g = _cells(keys)
    m = _grid(gid, tid, n_g, mean)
    v = _grid(gid, tid, n_g, var)
    full = np.isfinite(m).all(axis=1)
    out_m = m.copy()
    if full.any():
        if method not in RECONCILE_METHODS:
            raise ValueError(f"reconciliation must be one of {RECONCILE_METHODS}, got {method!r}")
        top_var = v[full, -1] if method == "wls" else np.zeros(int(full.sum()))
        bottom, top = reconcile_wls(m[full, :-1], v[full, :-1], m[full, -1], top_var)
        out_m[np.flatnonzero(full), :-1] = bottom
        out_m[np.flatnonzero(full), -1] = top
    return np.asarray(out_m[gid, tid])


def reconcile_p_any(keys: pd.DataFrame, p_any: np.ndarray) -> np.ndarray:
    """P(count >= 1) with ``all`` reconciled with its attack types, per (region, origin, horizon).

    A month has an event of some type exactly when it has one of any type, so the types also
    forecast ``all``: bottom up, ``1 - prod_k (1 - p_k)`` (types independent given the forecast;
    positively dependent types make it an upper bound). ``all`` gets the average of its own
    probability and that bottom-up one, never below its likeliest type's. The types keep theirs.
    A group missing its ``all`` row or a type keeps its probabilities.

    Chosen on the development period (``bench/bench_combination.py --p-any-reconcile none``
    reproduces the figures without it): the count families' own P(any) of ``all`` put too much
    mass at zero in busy regions, where the types' probabilities do not.
    """
    p = np.clip(np.asarray(p_any, dtype=float), 0.0, 1.0)
    if len(keys) == 0:
        return p.copy()
    gid, tid, n_g = _cells(keys)
    grid = _grid(gid, tid, n_g, p)
    full = np.isfinite(grid).all(axis=1)
    bottom_up = 1.0 - np.prod(1.0 - grid[full, :-1], axis=1)
    top = np.maximum(0.5 * (grid[full, -1] + bottom_up), grid[full, :-1].max(axis=1))
    grid[np.flatnonzero(full), -1] = top
    return np.asarray(grid[gid, tid])


def coherent_cells(keys: pd.DataFrame, mean: np.ndarray, var: np.ndarray, p_any: np.ndarray,
                   base_mean: np.ndarray, base_var: np.ndarray, base_p: np.ndarray,
                   params: Mapping[str, Mapping[str, Any]] | None,
                   reconcile: bool | str = True, reconcile_p: bool = True) -> HurdlePredictive:
    """The coherent hurdle of every row (see the module docstring).

    Args:
        keys: ``region_id``, ``origin``, ``horizon``, ``attack_type`` of each row.
        mean: the chosen count model's means.
        var: its variances.
        p_any: the chosen ``p_any`` source.
        base_mean: the baseline's (``mean12``) means.
        base_var: its variances.
        base_p: its P(count >= 1).
        params: attack type -> ``{"w": weight of the baseline, "coef": [c0, c1, c2]}``; missing
            types (or ``None``) use :data:`IDENTITY`.
        reconcile: whether (and how: a :data:`RECONCILE_METHODS` name; ``True`` is ``wls``) to
            reconcile the types with ``all``.
        reconcile_p: whether to reconcile the ``all`` P(count >= 1) with the types'
            (:func:`reconcile_p_any`).
    """
    types = keys["attack_type"].to_numpy(dtype=object)
    table = {t: {**IDENTITY, **dict((params or {}).get(t, {}))} for t in PANEL_TYPES}
    w = np.asarray([float(table[t]["w"]) for t in types], dtype=float)
    coef = np.asarray([list(table[t]["coef"]) for t in types], dtype=float).reshape(len(types), 3)
    m, v = pool_moments(np.asarray(mean, dtype=float), np.asarray(var, dtype=float),
                        np.asarray(base_mean, dtype=float), np.asarray(base_var, dtype=float), w)
    p = stack_probability(np.asarray(p_any, dtype=float), np.asarray(base_p, dtype=float), coef)
    if reconcile:
        m = reconcile_frame(keys, m, v, "wls" if reconcile is True else str(reconcile))
    if reconcile_p:
        # the hurdle caps P(count >= 1) at the mean: cap the types first, so ``all`` is reconciled
        # with the probabilities they serve
        p = reconcile_p_any(keys, np.minimum(p, np.clip(m, 0.0, None)))
    return hurdle_from_moments(p, m, v)


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

    def variance(self) -> np.ndarray:
        """Variances of the counts."""
        return self._gather("variance")

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape ``(n, len(levels))``."""
        return self._gather("quantiles", len(levels), levels)

    def p_any(self) -> np.ndarray:
        """P(count >= 1)."""
        return self._gather("p_any")

    def cdf(self, k: np.ndarray) -> np.ndarray:
        """P(count <= k): one ``k`` per row (``(n,)``) or a grid per row (``(n, m)``)."""
        values = np.asarray(k, dtype=float)
        out = np.zeros(values.shape)
        for j, dist in enumerate(self.parts):
            sel = self.part == j
            if sel.any():
                sub = dist.take(self.rows[sel])
                out[sel] = predictive_cdf(sub, values[sel]) if values.ndim == 1 else \
                    sub.cdf(values[sel])  # type: ignore[attr-defined]
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


@hyperparameters
class CombinedForecaster(Forecaster):
    """Applies a choice table over fitted member forecasters (and optionally a classifier).

    Args:
        members: name -> unfitted forecaster prototype (cloned at ``fit``); only the members named
            by the choice table (or ``default_model``) are fitted.
        choice: attack type -> ``{"count_model": name, "p_any": "count"|"classifier"|"blend"}``.
        classifier: unfitted P(count >= 1) model, needed when any type's source is not ``count``.
        default_model: count model of attack types missing from ``choice``.
        coherence: attack type -> ``{"w": baseline weight, "coef": [c0, c1, c2]}`` learned out of
            time (see :func:`coherent_cells`); ``None`` is the identity combination.
        coherent: serve the coherent hurdle (reconciled types); ``False`` serves the members' own
            distributions with the chosen ``p_any`` beside them (the layout before the hurdle).
        reconcile_p_any: reconcile the ``all`` P(count >= 1) with the types' in the hurdle
            (:func:`reconcile_p_any`); bundles pickled before it existed keep serving without it.
    """

    name = "combined"

    members: Mapping[str, Forecaster] | None = None
    choice: Mapping[str, Mapping[str, Any]] | None = None
    classifier: ProbabilityModel | None = None
    default_model: str | None = None
    coherence: Mapping[str, Mapping[str, Any]] | None = None
    coherent: bool = True
    reconcile_p_any: bool = True

    def __setstate__(self, state: dict[str, Any]) -> None:
        # bundles pickled before the coherent layer served the members' distributions as they were
        state.setdefault("coherence", None)
        state.setdefault("coherent", False)
        # and those pickled before the P(any) reconciliation served the ``all`` probability as pooled
        state.setdefault("reconcile_p_any", False)
        super().__setstate__(state)

    def _table(self) -> dict[str, dict[str, Any]]:
        members = dict(self.members or {})
        if not members:
            raise ValueError("CombinedForecaster needs at least one member")
        default = self.default_model or next(iter(members))
        table: dict[str, dict[str, Any]] = {}
        for attack_type in PANEL_TYPES:
            entry = dict((self.choice or {}).get(attack_type, {}))
            if entry.get("count_model") == POOL:
                table[attack_type] = self._pool_entry(attack_type, entry, members)
                continue
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

    def _pool_entry(self, attack_type: str, entry: Mapping[str, Any],
                    members: Mapping[str, Forecaster]) -> dict[str, Any]:
        """A validated pool entry: count members, probability members (the classifier allowed)."""
        if not getattr(self, "coherent", False):
            raise ValueError(f"the pool for {attack_type!r} is served only as the coherent hurdle")
        pool = [str(m) for m in entry.get("pool") or []]
        p_pool = [str(m) for m in entry.get("p_pool") or pool]
        if not pool:
            raise ValueError(f"the pool for {attack_type!r} names no members")
        unknown = [m for m in pool + p_pool if m not in members and m != CLASSIFIER_MEMBER]
        if unknown or CLASSIFIER_MEMBER in pool:
            bad = unknown or [CLASSIFIER_MEMBER]
            raise ValueError(f"the pool for {attack_type!r} names unknown members {bad}")
        if CLASSIFIER_MEMBER in p_pool and self.classifier is None:
            raise ValueError(f"the pool for {attack_type!r} averages the classifier but none is given")
        return {"count_model": POOL, "p_any": POOL, "pool": pool, "p_pool": p_pool}

    def _used(self) -> list[str]:
        """The members the table serves (pool members included), in first-use order."""
        names: list[str] = []
        for entry in self.table_.values():
            names.extend(entry["pool"] if entry["count_model"] == POOL else [entry["count_model"]])
            names.extend(m for m in entry.get("p_pool", []) if m != CLASSIFIER_MEMBER)
        return list(dict.fromkeys(names))

    def fit(self, panel: Panel) -> Self:
        """Fit the members and the classifier the choice table uses; return ``self``."""
        self.table_ = self._table()
        members = dict(self.members or {})
        self.members_ = {name: fresh(members[name]).fit(panel) for name in self._used()}
        needs_clf = any(src not in ("count", POOL) for e in self.table_.values()
                        for src in (e["p_any"], *e.get("p_any_by_horizon", {}).values())) or \
            any(CLASSIFIER_MEMBER in e.get("p_pool", []) for e in self.table_.values())
        self.classifier_ = fresh(self.classifier).fit(panel) if needs_clf else None
        self.report_ = {"family": self.name, "choice": self.table_, "coherent": bool(self.coherent),
                        "coherence": {t: dict(v) for t, v in (self.coherence or {}).items()},
                        "members": {n: m.fit_report() for n, m in self.members_.items()}}
        self.fitted_ = True
        return self

    def member_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, StackedPredictive]:
        """Each row's distribution from the count model chosen for its attack type (before the hurdle)."""
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

    def source_p_any(self, state: Panel, horizon: int, dist: CountPredictive) -> np.ndarray:
        """P(count >= 1) of every row from the source chosen for its attack type (before the stack)."""
        p = dist.p_any()
        if self.classifier_ is None:
            return p
        index = forecast_index(state, horizon)
        clf = self._classifier_p(state, horizon)
        src = self._sources(index)
        return np.where(src == "classifier", clf, np.where(src == "blend", average_probability([p, clf]), p))

    def _classifier_p(self, state: Panel, horizon: int) -> np.ndarray:
        assert self.classifier_ is not None
        return np.clip(np.asarray(self.classifier_.predict_proba(state, horizon), dtype=float), 0.0, 1.0)

    def member_moments(self, state: Panel, horizon: int
                       ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
        """Each row's mean, variance and P(count >= 1) before the hurdle: its chosen member's, or the pool's.

        Returns:
            ``(index, mean, variance, p_any)`` over the forecast index.
        """
        self.check_fitted()
        index: pd.DataFrame | None = None
        dists: dict[str, CountPredictive] = {}
        for name, member in self.members_.items():
            index, dists[name] = member.predict_dist(state, horizon)
        assert index is not None
        types = index["attack_type"].to_numpy(dtype=object)
        clf = self._classifier_p(state, horizon) if self.classifier_ is not None else None
        src = self._sources(index)
        mean, var, p = (np.full(len(index), np.nan) for _ in range(3))
        for attack_type, entry in self.table_.items():
            rows = np.flatnonzero(types == attack_type)
            if not len(rows):
                continue
            if entry["count_model"] == POOL:
                parts = [dists[m].take(rows) for m in entry["pool"]]
                mean[rows], var[rows] = linear_pool([d.mean() for d in parts], [d.variance() for d in parts])
                probs = [clf[rows] if m == CLASSIFIER_MEMBER and clf is not None
                         else dists[m].take(rows).p_any() for m in entry["p_pool"]]
                p[rows] = average_probability(probs)
                continue
            dist = dists[entry["count_model"]].take(rows)
            mean[rows], var[rows], own = dist.mean(), dist.variance(), dist.p_any()
            if clf is None:
                p[rows] = own
                continue
            s = src[rows]
            p[rows] = np.where(s == "classifier", clf[rows],
                               np.where(s == "blend", average_probability([own, clf[rows]]), own))
        return index, mean, var, p

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        """The coherent hurdle of every row (the members' distributions when ``coherent`` is off)."""
        if not getattr(self, "coherent", False):
            return self.member_dist(state, horizon)
        index, mean, var, p = self.member_moments(state, horizon)
        base = Mean12Poisson().fit(state).predict_dist(state, horizon)[1]
        dist = coherent_cells(index, mean, var, p, base.mean(), base.variance(),
                              base.p_any(), getattr(self, "coherence", None),
                              reconcile_p=bool(getattr(self, "reconcile_p_any", False)))
        return index, dist

    def predict_p_any(self, state: Panel, horizon: int, dist: CountPredictive | None = None) -> np.ndarray:
        """P(count >= 1) of every row: the served distribution's own (the chosen source without it)."""
        self.check_fitted()
        if getattr(self, "coherent", False):
            own = dist if dist is not None else self.predict_dist(state, horizon)[1]
            return own.p_any()
        raw = dist if dist is not None else self.member_dist(state, horizon)[1]
        return self.source_p_any(state, horizon, raw)

    def _sources(self, index: pd.DataFrame) -> np.ndarray:
        """The ``p_any`` source of every forecast row (per horizon where the table says so)."""
        lookup = {(t, h): src for t, e in self.table_.items()
                  for h, src in e.get("p_any_by_horizon", {}).items()}
        overall = {t: str(e["p_any"]) for t, e in self.table_.items()}
        pairs = zip(index["attack_type"], index["horizon"], strict=True)
        return np.asarray([lookup.get((t, str(int(h))), overall[t]) for t, h in pairs], dtype=object)

    def predict(self, state: Panel, horizon: int,
                quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """The forecast frame; coherent: every column from the one hurdle of each row."""
        index, dist = self.predict_dist(state, horizon)
        if getattr(self, "coherent", False):
            return frame_from_predictive(index, dist, quantiles)
        p = self.predict_p_any(state, horizon, dist) if self.classifier_ is not None else None
        return frame_from_predictive(index, dist, quantiles, p_any=p)

    def explain(self, state: Panel, horizon: int) -> pd.DataFrame:
        """The pooled count model's terms behind each row (see :meth:`PooledNegBin.explain`).

        The served coherent hurdle adds one driver per row, :data:`POOL_DRIVER`: the log ratio of
        the served mean to the count regression's own mean, what the rest of the served model (the
        other pool members, such as the 24-month history, and the reconciliation across attack
        types) does to it. Empty (with the columns) when no member is or falls back on a
        :class:`PooledNegBin`.
        """
        self.check_fitted()
        for member in self.members_.values():
            pooled = member if isinstance(member, PooledNegBin) else getattr(member, "fallback_", None)
            if isinstance(pooled, PooledNegBin):
                terms = pooled.explain(state, horizon)
                if not getattr(self, "coherent", False):
                    return terms
                index, own = pooled.predict_dist(state, horizon)
                served = self.predict_dist(state, horizon)[1].mean()
                effect = np.log((np.clip(served, 0.0, None) + POOL_FLOOR)
                                / (np.clip(own.mean(), 0.0, None) + POOL_FLOOR))
                rest = index[["region_id", "attack_type", "horizon"]].assign(driver=POOL_DRIVER,
                                                                            effect=effect)
                return pd.concat([terms, rest], ignore_index=True)[list(EXPLAIN_COLUMNS)]
        return pd.DataFrame(columns=list(EXPLAIN_COLUMNS))
