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
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import numpy as np
import pandas as pd

from models.estimators.base import Forecaster
from models.estimators.baselines import BASELINES
from models.estimators.combined import CombinedForecaster, ProbabilityModel
from models.taxonomy import ALL, PANEL_TYPES
from training.backtest import CLASSIFIER

SELECTED = "selected"
"""Model name of the walk-forward selected rows in the backtest predictions."""

KEY_COLUMNS = ["region_id", "attack_type", "origin", "horizon"]

_FAMILIES: Final[tuple[tuple[str, str], ...]] = (
    ("models.estimators.count", "PooledNegBin"),
    ("models.estimators.series", "StateSpaceSeries"),
)
"""Fitted count families (module, class), each taking the episode ``catalog`` hyper-parameter."""


def _count_models(predictions: pd.DataFrame, candidates: Sequence[str] | None) -> list[str]:
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
    return "mean12" if "mean12" in models else models[0]


MARGIN: Final = 0.0

WARMUP: Final = 0
"""Default warm-up origins of a backtest: the walk-forward selection's track record before scoring."""
"""Default relative CRPS margin a model needs to displace the incumbent family for an attack type."""

SOURCES = ("count", "blend", "classifier")
"""``p_any`` sources in tie-break order."""


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
        "brier_count": (own - event) ** 2, "brier_blend": (0.5 * (own + p_clf) - event) ** 2,
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
    models = _count_models(predictions, candidates)
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
            blend = 0.5 * (p_own + p_clf)
            mixed = np.where(src == "classifier", p_clf, np.where(src == "blend", blend, p_own))
            rows["p_any"] = np.where(np.isfinite(mixed), mixed, p_own)
        rows["model"] = name
        parts.append(rows)
    if not parts:
        return predictions.iloc[0:0].copy()
    return pd.concat(parts, ignore_index=True)


def walk_forward(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
                 default_model: str | None = None, name: str = SELECTED,
                 margin: float = MARGIN) -> pd.DataFrame:
    """Out-of-sample rows of the selection rule: at each origin, choose from what was known then.

    At origin ``o`` the choice uses only rows with ``target_month <= o``; before any such row exists
    the ``default_model`` with its own ``p_any`` is served.
    """
    models = _count_models(predictions, candidates)
    default = _default(models, default_model)
    stats = row_stats(predictions, models)
    months = stats.index.get_level_values("target_month")
    parts = []
    for origin, now in predictions.groupby("origin", sort=True):
        known = stats[months <= str(origin)]
        pooled = known.groupby(level=["attack_type", "model", "horizon"]).sum(min_count=1)
        parts.append(apply_choice(now, _choose(pooled, models, default, margin), name))
    return pd.concat(parts, ignore_index=True)


def choice_summary(choice: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Just the decisions of a choice table: type -> ``count_model``, ``p_any`` (and per horizon)."""
    out: dict[str, dict[str, Any]] = {}
    for t, e in choice.items():
        out[t] = {"count_model": str(e["count_model"]), "p_any": str(e["p_any"])}
        if e.get("p_any_by_horizon"):
            out[t]["p_any_by_horizon"] = {str(h): str(v) for h, v in e["p_any_by_horizon"].items()}
    return out


def build_combined(factories: Mapping[str, Callable[[], Forecaster]],
                   choice: Mapping[str, Mapping[str, Any]],
                   classifier_factory: Callable[[], ProbabilityModel] | None = None) -> CombinedForecaster:
    """An unfitted :class:`CombinedForecaster` serving ``choice`` with members built by ``factories``.

    Raises:
        ValueError: when the choice names a model without a factory, or a classifier source without
            a classifier.
    """
    summary = choice_summary(choice)
    names = list(dict.fromkeys(e["count_model"] for e in summary.values()))
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise ValueError(f"the choice names models that are not available: {unknown}")
    needs_clf = any(e["p_any"] != "count" or any(v != "count" for v in e.get("p_any_by_horizon", {}).values())
                    for e in summary.values())
    if needs_clf and classifier_factory is None:
        raise ValueError("the choice serves classifier probabilities but no classifier is available")
    members = {n: factories[n]() for n in names}
    clf = classifier_factory() if needs_clf and classifier_factory is not None else None
    return CombinedForecaster(members=members, choice=summary, classifier=clf, default_model=names[0])


def model_factories(catalog: pd.DataFrame | None = None) -> dict[str, Callable[[], Forecaster]]:
    """Every available count family by name: the baselines, then the fitted families.

    Families whose module is not installed are left out. Factories are picklable
    (:func:`functools.partial` of the classes), so they travel to ``local`` and ``dask`` workers.
    """
    out: dict[str, Callable[[], Forecaster]] = dict(BASELINES)
    for module, cls_name in _FAMILIES:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        out[str(cls.name)] = partial(cls, catalog=catalog)
    return out


def classifier_factory(catalog: pd.DataFrame | None = None) -> Callable[[], ProbabilityModel] | None:
    """Factory of the served P(count >= 1) model (:class:`models.estimators.logit.EventLogit`).

    ``None`` when its module is not available. On the ACLED check the time-weighted logistic model
    scored a lower Brier than the boosted ``EventClassifier``, which stays available for comparison.
    """
    try:
        cls = importlib.import_module("models.estimators.logit").EventLogit
    except (ImportError, AttributeError):
        return None
    return partial(cls, catalog=catalog)


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
