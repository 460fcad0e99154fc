"""Model selection from backtest predictions: which count family and which ``p_any`` each type serves.

Rule, per attack type (``all`` included): the count model with the lowest mean CRPS over the scored
rows is served for the counts (the incumbent -- the best fitted family on ``all`` -- keeps a type
unless beaten by more than a margin, 0 by default); ``p_any`` comes from that model (``count``), the
classifier (``classifier``) or their average (``blend``), whichever has the lowest Brier score, per
horizon (``p_any_by_horizon``) and over all horizons (``p_any``, used for horizons not seen); ties
keep the earlier of count, blend, classifier. Every candidate is scored on the same rows.

:func:`walk_forward` replays the rule honestly inside a backtest: at each origin it selects using
only the rows whose target month had already been observed by then, and adds the resulting
``selected`` model's rows; so the selected model's scores are out-of-sample too.

The ``selected`` rows are the served distribution itself, the coherent hurdle of
:func:`models.estimators.combined.coherent_cells`: the chosen rows are pooled with the baseline
(``mean12``) and their ``p_any`` recalibrated with parameters that :func:`learn_coherence` fits on the
rows whose targets fell in the last :data:`COHERENCE_WINDOW` months before the origin (a rolling
window, out of time), then reconciled across attack types and scored as one distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.distributions import nb_from_moments
from models.estimators.base import Forecaster
from models.estimators.baselines import BASELINES, Mean12Poisson
from models.estimators.catalogue import COUNT_FAMILIES, PROBABILITY_MODELS, SERVED_PROBABILITY
from models.estimators.combined import CombinedForecaster, ProbabilityModel, coherent_cells, pool_moments
from models.estimators.pooling import CLASSIFIER_MEMBER, POOL, average_probability
from models.taxonomy import ALL, PANEL_TYPES
from training.backtest import CLASSIFIER, distribution_columns

SELECTED = "selected"
"""Model name of the walk-forward selected rows in the backtest predictions."""

KEY_COLUMNS = ["region_id", "attack_type", "origin", "horizon"]

def count_models(predictions: pd.DataFrame, candidates: Sequence[str] | None) -> list[str]:
    """The count models with rows in ``predictions`` (those in ``candidates`` when given, in that order)."""
    have = [m for m in dict.fromkeys(predictions["model"]) if m not in (CLASSIFIER, SELECTED)]
    have = [m for m in have if predictions.loc[predictions["model"] == m, "mean"].notna().any()]
    if candidates is None:
        return have
    return [m for m in candidates if m in have]


def _default(models: Sequence[str], default_model: str | None) -> str:
    """The requested default if available, else the first fitted family, else ``mean12``."""
    if not models:
        raise ValueError("no count model to select from")
    if default_model in models:
        return str(default_model)
    fitted = [m for m in models if m not in BASELINES]
    if fitted:
        return fitted[0]
    return BASELINE if BASELINE in models else models[0]


MARGIN: Final = 0.0

WARMUP: Final = 0
"""Default warm-up origins of a backtest: the walk-forward selection's track record before scoring."""
"""Default relative CRPS margin a model needs to displace the incumbent family for an attack type."""

SOURCES = ("count", "blend", "classifier")
"""``p_any`` sources in tie-break order."""

BASELINE: Final = Mean12Poisson.name
"""The naive baseline the served forecast is pooled with (its rows must be in the backtest)."""

COHERENCE_WINDOW: Final = 24
"""Months of past targets on which the baseline weight and the P(any) recalibration are learned."""

WEIGHTS: Final[tuple[float, ...]] = tuple(round(0.1 * i, 1) for i in range(11))
"""Candidate weights of the baseline in the pool, chosen by CRPS."""

LEARN_COHERENCE: Final = False
"""Whether the served model learns the baseline weight and the P(any) recalibration by default.

Chosen on the development period (origins 2013-01..2015-12, 12 warm-up origins): learned out of
time on a rolling 24-month window they lowered the skill (``all`` CRPS / Brier skill -0.012 /
-0.010 with them, +0.009 / +0.019 without), so the served hurdle uses the chosen sources as they
are; ``bench/bench_coherence.py`` measures both."""

MIN_ROWS: Final = 100
"""Fewest past rows (and 10 events and 10 empty months) for a type to learn its coherence parameters."""


def row_stats(predictions: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Sums per target month x attack type x count model x horizon: rows, CRPS, Brier of each source.

    Returns:
        Indexed by ``target_month``, ``attack_type``, ``model``, ``horizon``; columns ``n``, ``crps``,
        ``brier_count``, ``brier_blend``, ``brier_classifier`` (the last two NaN without classifier).
    """
    rows = predictions[predictions["model"].isin(list(models))]
    event = (rows["y"].to_numpy(dtype=float) >= 1).astype(float)
    own = rows["p_any"].to_numpy(dtype=float)
    clf_rows = predictions[predictions["model"] == CLASSIFIER]
    if len(clf_rows):
        clf = clf_rows.set_index(KEY_COLUMNS)["p_any"]
        p_clf = clf.reindex(pd.MultiIndex.from_frame(rows[KEY_COLUMNS])).to_numpy(dtype=float)
    else:
        p_clf = np.full(len(rows), np.nan)
    frame = pd.DataFrame({
        "target_month": rows["target_month"].to_numpy(), "attack_type": rows["attack_type"].to_numpy(),
        "model": rows["model"].to_numpy(), "horizon": rows["horizon"].to_numpy(dtype=int), "n": 1.0,
        "crps": rows["crps"].to_numpy(dtype=float),
        "brier_count": (own - event) ** 2,
        "brier_blend": (average_probability([own, p_clf]) - event) ** 2 if len(clf_rows)
        else np.full(len(rows), np.nan),
        "brier_classifier": (p_clf - event) ** 2,
    })
    return frame.groupby(["target_month", "attack_type", "model", "horizon"], sort=True).sum(min_count=1)


def _best_source(brier: Mapping[str, float]) -> str:
    finite = {src: b for src, b in brier.items() if np.isfinite(b)}
    return min(finite, key=finite.__getitem__) if finite else "count"


def _incumbent(stats: pd.DataFrame, models: Sequence[str], default: str) -> str:
    """The fitted family with the lowest CRPS on ``all`` in ``stats`` (``default`` without evidence)."""
    fitted = [m for m in models if m not in BASELINES]
    if not fitted or ALL not in set(stats.index.get_level_values("attack_type")):
        return default
    sub = stats.xs(ALL, level="attack_type")
    sub = sub[sub.index.isin(fitted) & (sub["n"] > 0)]
    if sub.empty:
        return default
    return str((sub["crps"] / sub["n"]).idxmin())


def _choose(stats: pd.DataFrame, models: Sequence[str], default: str,
            margin: float = 0.0) -> dict[str, dict[str, Any]]:
    """Apply the rule to sums indexed by ``attack_type`` x ``model`` x ``horizon`` (see :func:`row_stats`).

    The incumbent (the best fitted family on ``all``) keeps an attack type unless another model's
    mean CRPS is lower by more than ``margin`` (relative). The ``p_any`` source is chosen over all
    horizons (``p_any``) and per horizon (``p_any_by_horizon``, used where it applies).
    """
    by_horizon = stats
    stats = stats.groupby(level=["attack_type", "model"]).sum(min_count=1)
    incumbent = _incumbent(stats, models, default)
    table: dict[str, dict[str, Any]] = {}
    present = set(stats.index.get_level_values("attack_type")) if len(stats) else set()
    for attack_type in PANEL_TYPES:
        if attack_type not in present:
            table[attack_type] = {"count_model": incumbent, "p_any": "count", "crps": {}, "brier": {},
                                  "rows": 0}
            continue
        sub = stats.xs(attack_type, level="attack_type")
        sub = sub[sub.index.isin(list(models)) & (sub["n"] > 0)]
        means = (sub["crps"] / sub["n"]).reindex([m for m in models if m in sub.index])
        chosen = str(means.idxmin())
        if chosen != incumbent and incumbent in means.index and \
                means[chosen] > means[incumbent] * (1.0 - margin):
            chosen = incumbent
        entry = sub.loc[chosen].to_numpy(dtype=float)
        col = {c: i for i, c in enumerate(sub.columns)}
        n = float(entry[col["n"]])
        brier = {src: float(entry[col[f"brier_{src}"]]) / n for src in SOURCES}
        source = _best_source(brier)
        per_h = by_horizon.xs((attack_type, chosen), level=["attack_type", "model"])
        horizon_sources = {
            str(h): _best_source({src: float(row[f"brier_{src}"]) / float(row["n"]) for src in SOURCES})
            for h, row in per_h.iterrows() if float(row["n"]) > 0}
        table[attack_type] = {"count_model": chosen, "p_any": source, "p_any_by_horizon": horizon_sources,
                              "crps": {str(k): float(v) for k, v in means.items()},
                              "brier": {k: v for k, v in brier.items() if np.isfinite(v)},
                              "rows": int(n)}
    return table


def select(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
           default_model: str | None = None, margin: float = MARGIN) -> dict[str, dict[str, Any]]:
    """The choice table (see :mod:`models.estimators.combined`) from scored backtest rows.

    Args:
        predictions: :attr:`training.backtest.BacktestResult.predictions` (or a subset of it).
        candidates: count models allowed (default: every model with counts in ``predictions``).
        default_model: served when there is no evidence (default: the first fitted family, else
            ``mean12``); with evidence the incumbent is the fitted family with the lowest CRPS on
            ``all``.
        margin: relative CRPS improvement another model needs to displace the incumbent for a type.

    Returns:
        attack type -> ``count_model``, ``p_any`` (``count``/``classifier``/``blend``), the mean
        ``crps`` of each candidate, the ``brier`` of each ``p_any`` source and the ``rows`` scored.

    Raises:
        ValueError: when no count model is available.
    """
    models = count_models(predictions, candidates)
    default = _default(models, default_model)
    stats = row_stats(predictions, models).groupby(level=["attack_type", "model", "horizon"]).sum(min_count=1)
    return _choose(stats, models, default, margin)


def row_sources(entry: Mapping[str, Any], horizons: np.ndarray) -> np.ndarray:
    """The ``p_any`` source of each row of one attack type: per horizon where chosen, else overall."""
    per_h = dict(entry.get("p_any_by_horizon") or {})
    overall = str(entry["p_any"])
    return np.asarray([str(per_h.get(str(int(h)), overall)) for h in horizons], dtype=object)


def apply_choice(predictions: pd.DataFrame, choice: Mapping[str, Mapping[str, Any]],
                 name: str = SELECTED) -> pd.DataFrame:
    """Rows of the combined model: each type's chosen count rows with ``p_any`` from its source."""
    parts = []
    clf = predictions[predictions["model"] == CLASSIFIER].set_index(KEY_COLUMNS)["p_any"]
    for attack_type, entry in choice.items():
        rows = predictions[(predictions["model"] == entry["count_model"])
                           & (predictions["attack_type"] == attack_type)]
        if rows.empty:
            continue
        rows = rows.copy()
        src = row_sources(entry, rows["horizon"].to_numpy(dtype=int))
        if (src != "count").any():
            keys = pd.MultiIndex.from_frame(rows[KEY_COLUMNS])
            p_clf = clf.reindex(keys).to_numpy(dtype=float)
            p_own = rows["p_any"].to_numpy(dtype=float)
            blend = average_probability([p_own, p_clf])
            mixed = np.where(src == "classifier", p_clf, np.where(src == "blend", blend, p_own))
            rows["p_any"] = np.where(np.isfinite(mixed), mixed, p_own)
        rows["model"] = name
        parts.append(rows)
    if not parts:
        return predictions.iloc[0:0].copy()
    return pd.concat(parts, ignore_index=True)


def with_baseline(rows: pd.DataFrame, predictions: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """``rows`` with the baseline's ``base_mean``, ``base_var`` and ``base_p`` on the same keys.

    Without baseline rows (a backtest without ``mean12``) the columns repeat the row's own values,
    so the pool is the identity.
    """
    base = predictions[predictions["model"] == baseline]
    out = rows.copy()
    if base.empty:
        out["base_mean"], out["base_var"], out["base_p"] = rows["mean"], rows["var"], rows["p_any"]
        return out
    lookup = base.set_index(KEY_COLUMNS)[["mean", "var", "p_any"]]
    found = lookup.reindex(pd.MultiIndex.from_frame(rows[KEY_COLUMNS]))
    for col, src in (("base_mean", "mean"), ("base_var", "var"), ("base_p", "p_any")):
        values = found[src].to_numpy(dtype=float)
        out[col] = np.where(np.isfinite(values), values, rows[src].to_numpy(dtype=float))
    return out


def _nb_crps(y: np.ndarray, mean: np.ndarray, var: np.ndarray) -> float:
    """Mean CRPS of the negative binomials with these moments."""
    return float(nb_from_moments(mean, var).crps(y).mean())


def learn_coherence(rows: pd.DataFrame, now: pd.Period | str, window: int = COHERENCE_WINDOW,
                    min_rows: int = MIN_ROWS) -> dict[str, dict[str, Any]]:
    """Baseline weight and P(any) recalibration per attack type, from rows with targets in the window.

    Args:
        rows: chosen rows (:func:`apply_choice`) with :func:`with_baseline` columns and ``y``.
        now: the last month whose outcomes are known (an origin, or the data cutoff).
        window: months of targets ending at ``now`` used.
        min_rows: fewest rows (and 10 event and 10 empty months) to learn; else the identity
            (:data:`models.estimators.combined.IDENTITY`).

    Returns:
        attack type -> ``{"w": weight of the baseline (lowest NB CRPS of the pool among
        :data:`WEIGHTS`), "coef": [c0, c1, c2] of the logistic stack, "rows": n}``.
    """
    end = pd.Period(str(now), freq="M")
    target = pd.PeriodIndex(rows["target_month"].astype(str), freq="M")
    recent = rows[(target <= end) & (target > end - window)] if len(rows) else rows
    out: dict[str, dict[str, Any]] = {}
    for attack_type, sub in recent.groupby("attack_type", sort=False):
        y = sub["y"].to_numpy(dtype=float)
        event = y >= 1
        if len(sub) < min_rows or event.sum() < 10 or (~event).sum() < 10:
            continue
        mean, var = sub["mean"].to_numpy(dtype=float), sub["var"].to_numpy(dtype=float)
        bm, bv = sub["base_mean"].to_numpy(dtype=float), sub["base_var"].to_numpy(dtype=float)
        scores = []
        for w in WEIGHTS:
            m, v = pool_moments(mean, var, bm, bv, np.full(len(sub), w))
            scores.append(_nb_crps(y, m, v))
        w_best = WEIGHTS[int(np.argmin(scores))]
        x = np.column_stack([_logit(sub["p_any"].to_numpy(dtype=float)),
                             _logit(sub["base_p"].to_numpy(dtype=float))])
        model = LogisticRegression(C=1.0, max_iter=200).fit(x, event)
        coef = [float(model.intercept_[0]), float(model.coef_[0][0]), float(model.coef_[0][1])]
        out[str(attack_type)] = {"w": float(w_best), "coef": coef, "rows": len(sub)}
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-4, 1.0 - 1e-4)
    return np.asarray(np.log(q) - np.log1p(-q))


def coherent_rows(rows: pd.DataFrame, params: Mapping[str, Mapping[str, Any]] | None,
                  reconcile: bool | str = True, reconcile_p: bool = True) -> pd.DataFrame:
    """Chosen rows (with :func:`with_baseline` columns) replaced by their coherent hurdle, scored again.

    ``reconcile`` and ``reconcile_p`` are those of
    :func:`models.estimators.combined.coherent_cells`.
    """
    if rows.empty:
        return rows.drop(columns=["base_mean", "base_var", "base_p"], errors="ignore")
    dist = coherent_cells(rows, rows["mean"].to_numpy(dtype=float), rows["var"].to_numpy(dtype=float),
                          rows["p_any"].to_numpy(dtype=float), rows["base_mean"].to_numpy(dtype=float),
                          rows["base_var"].to_numpy(dtype=float), rows["base_p"].to_numpy(dtype=float),
                          params, reconcile=reconcile, reconcile_p=reconcile_p)
    y = rows["y"].to_numpy(dtype=float)
    out = rows.drop(columns=["base_mean", "base_var", "base_p"]).copy()
    for col, values in distribution_columns(dist, y).items():
        out[col] = values
    return out


def walk_forward(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
                 default_model: str | None = None, name: str = SELECTED,
                 margin: float = MARGIN, window: int = COHERENCE_WINDOW, coherent: bool = True,
                 reconcile: bool | str = True, learn: bool = LEARN_COHERENCE,
                 reconcile_p: bool = True) -> pd.DataFrame:
    """Out-of-sample rows of the served model: at each origin, choose and calibrate from what was known.

    At origin ``o`` the choice uses only rows with ``target_month <= o``; before any such row exists
    the ``default_model`` with its own ``p_any`` is served. With ``coherent`` (the default) the rows
    become the coherent hurdle; with ``learn`` the baseline weight and recalibration are learned by
    :func:`learn_coherence` on the chosen rows of earlier origins whose targets are known at ``o``
    (off by default: see :data:`LEARN_COHERENCE`). ``reconcile`` and ``reconcile_p`` are those of
    :func:`models.estimators.combined.coherent_cells`.
    """
    models = count_models(predictions, candidates)
    default = _default(models, default_model)
    stats = row_stats(predictions, models)
    months = stats.index.get_level_values("target_month")
    parts = []
    history: list[pd.DataFrame] = []
    for origin, now in predictions.groupby("origin", sort=True):
        known = stats[months <= str(origin)]
        pooled = known.groupby(level=["attack_type", "model", "horizon"]).sum(min_count=1)
        chosen = apply_choice(now, _choose(pooled, models, default, margin), name)
        if not coherent:
            parts.append(chosen)
            continue
        chosen = with_baseline(chosen, now)
        past = pd.concat(history, ignore_index=True) if history else chosen.iloc[0:0]
        params = learn_coherence(past, str(origin), window) if learn else {}
        parts.append(coherent_rows(chosen, params, reconcile, reconcile_p))
        history.append(chosen)
    return pd.concat(parts, ignore_index=True)


def served_coherence(predictions: pd.DataFrame, choice: Mapping[str, Mapping[str, Any]],
                     now: pd.Period | str, window: int = COHERENCE_WINDOW,
                     learn: bool = LEARN_COHERENCE) -> dict[str, dict[str, Any]]:
    """The coherence parameters of the served model (``{}`` unless ``learn``).

    ``choice`` is applied to every backtest row and the parameters are learned on the targets of
    the last ``window`` months up to ``now`` (the data cutoff).
    """
    if not learn:
        return {}
    base = predictions[predictions["model"] != SELECTED]
    rows = with_baseline(apply_choice(base, choice), base)
    return learn_coherence(rows, now, window)


def choice_summary(choice: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Just the decisions of a choice table: type -> ``count_model``, ``p_any`` (and per horizon)."""
    out: dict[str, dict[str, Any]] = {}
    for t, e in choice.items():
        out[t] = {"count_model": str(e["count_model"]), "p_any": str(e["p_any"])}
        if e["count_model"] == POOL:
            out[t]["pool"] = [str(m) for m in e["pool"]]
            out[t]["p_pool"] = [str(m) for m in e.get("p_pool") or e["pool"]]
        if e.get("p_any_by_horizon"):
            out[t]["p_any_by_horizon"] = {str(h): str(v) for h, v in e["p_any_by_horizon"].items()}
    return out


def build_combined(factories: Mapping[str, Callable[[], Forecaster]],
                   choice: Mapping[str, Mapping[str, Any]],
                   classifier_factory: Callable[[], ProbabilityModel] | None = None,
                   coherence: Mapping[str, Mapping[str, Any]] | None = None) -> CombinedForecaster:
    """An unfitted :class:`CombinedForecaster` serving ``choice`` with members built by ``factories``.

    Raises:
        ValueError: when the choice names a model without a factory, or a classifier source without
            a classifier.
    """
    summary = choice_summary(choice)
    used = [n for e in summary.values()
            for n in (e["pool"] + e["p_pool"] if e["count_model"] == POOL else [e["count_model"]])]
    names = list(dict.fromkeys(n for n in used if n != CLASSIFIER_MEMBER))
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise ValueError(f"the choice names models that are not available: {unknown}")
    needs_clf = any(e["p_any"] not in ("count", POOL)
                    or any(v != "count" for v in e.get("p_any_by_horizon", {}).values())
                    or CLASSIFIER_MEMBER in e.get("p_pool", []) for e in summary.values())
    if needs_clf and classifier_factory is None:
        raise ValueError("the choice serves classifier probabilities but no classifier is available")
    members = {n: factories[n]() for n in names}
    clf = classifier_factory() if needs_clf and classifier_factory is not None else None
    return CombinedForecaster(members=members, choice=summary, classifier=clf, default_model=names[0],
                              coherence={t: {"w": float(v["w"]), "coef": [float(c) for c in v["coef"]]}
                                         for t, v in (coherence or {}).items()})


def model_factories(catalog: pd.DataFrame | None = None) -> dict[str, Callable[[], Forecaster]]:
    """Every count model of the catalogue by name: the baselines, then the fitted families.

    Factories are picklable (the classes, or :func:`functools.partial` of them with ``catalog``), so
    they travel to ``local`` and ``dask`` workers.
    """
    out: dict[str, Callable[[], Forecaster]] = dict(BASELINES)
    for name, cls in COUNT_FAMILIES.items():
        out[name] = partial(cls, catalog=catalog)
    return out


def classifier_factory(catalog: pd.DataFrame | None = None) -> Callable[[], ProbabilityModel] | None:
    """Factory of the served P(count >= 1) model (:data:`models.estimators.catalogue.SERVED_PROBABILITY`).

    The return type keeps ``None`` for callers that treat the classifier as optional; the catalogue
    always holds the served model, so a factory is always returned.
    """
    return partial(PROBABILITY_MODELS[SERVED_PROBABILITY], catalog=catalog)


def resolve_models(names: str | None, factories: Mapping[str, Callable[[], Forecaster]]
                   ) -> dict[str, Callable[[], Forecaster]]:
    """The factories named in ``"a,b,c"`` (all of them when ``names`` is empty or ``None``).

    Raises:
        ValueError: naming unknown models and listing the available ones.
    """
    if not names or not names.strip():
        return dict(factories)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in factories and n != CLASSIFIER]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; available: {', '.join(factories)}")
    return {n: factories[n] for n in wanted if n in factories}
