"""Model selection from backtest predictions: which count family and which ``p_any`` each type serves.

Rule, per attack type (``all`` included): the count model with the lowest mean CRPS over the scored
rows is served for the counts; ``p_any`` comes from that model (``count``), the classifier
(``classifier``) or their average (``blend``), whichever has the lowest Brier score (ties keep the
earlier of count, blend, classifier). Every candidate is scored on the same rows.

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
from models.taxonomy import PANEL_TYPES
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


def _wide(predictions: pd.DataFrame, value: str) -> pd.DataFrame:
    return predictions.pivot_table(index=KEY_COLUMNS, columns="model", values=value, aggfunc="first",
                                   observed=True)


def select(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
           default_model: str | None = None) -> dict[str, dict[str, Any]]:
    """The choice table (see :mod:`models.estimators.combined`) from scored backtest rows.

    Args:
        predictions: :attr:`training.backtest.BacktestResult.predictions` (or a subset of it).
        candidates: count models allowed (default: every model with counts in ``predictions``).
        default_model: served for attack types without scored rows (default: the first fitted
            family, else ``mean12``).

    Returns:
        attack type -> ``count_model``, ``p_any`` (``count``/``classifier``/``blend``), the mean
        ``crps`` of each candidate, the ``brier`` of each ``p_any`` source and the ``rows`` scored.

    Raises:
        ValueError: when no count model is available.
    """
    models = _count_models(predictions, candidates)
    default = _default(models, default_model)
    crps = _wide(predictions[predictions["model"].isin(models)], "crps")
    probs = _wide(predictions[predictions["model"].isin([*models, CLASSIFIER])], "p_any")
    truth = predictions.groupby(KEY_COLUMNS, observed=True)["y"].first()
    has_clf = CLASSIFIER in probs.columns
    types = crps.index.get_level_values("attack_type")
    ptypes = probs.index.get_level_values("attack_type")
    table: dict[str, dict[str, Any]] = {}
    for attack_type in PANEL_TYPES:
        sub = crps[types == attack_type].dropna()
        if sub.empty:
            table[attack_type] = {"count_model": default, "p_any": "count", "crps": {}, "brier": {},
                                  "rows": 0}
            continue
        means = sub.mean()
        chosen = str(means.idxmin())
        ps = probs[ptypes == attack_type].dropna()
        event = (truth.reindex(ps.index).to_numpy(dtype=float) >= 1).astype(float)
        sources = {"count": ps[chosen].to_numpy(dtype=float)}
        if has_clf:
            clf = ps[CLASSIFIER].to_numpy(dtype=float)
            sources["blend"] = 0.5 * (sources["count"] + clf)
            sources["classifier"] = clf
        brier = {s: float(((p - event) ** 2).mean()) if len(p) else float("nan")
                 for s, p in sources.items()}
        finite = {s: b for s, b in brier.items() if np.isfinite(b)}
        source = min(finite, key=finite.__getitem__) if finite else "count"
        table[attack_type] = {"count_model": chosen, "p_any": source,
                              "crps": {str(k): float(v) for k, v in means.items()},
                              "brier": brier, "rows": len(sub)}
    return table


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
        if entry["p_any"] != "count":
            keys = pd.MultiIndex.from_frame(rows[KEY_COLUMNS])
            p_clf = clf.reindex(keys).to_numpy(dtype=float)
            p_own = rows["p_any"].to_numpy(dtype=float)
            blended = p_clf if entry["p_any"] == "classifier" else 0.5 * (p_own + p_clf)
            rows["p_any"] = np.where(np.isfinite(blended), blended, p_own)
        rows["model"] = name
        parts.append(rows)
    if not parts:
        return predictions.iloc[0:0].copy()
    return pd.concat(parts, ignore_index=True)


def walk_forward(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
                 default_model: str | None = None, name: str = SELECTED) -> pd.DataFrame:
    """Out-of-sample rows of the selection rule: at each origin, choose from what was known then.

    At origin ``o`` the choice uses only rows with ``target_month <= o``; before any such row exists
    the ``default_model`` with its own ``p_any`` is served.
    """
    models = _count_models(predictions, candidates)
    default = _default(models, default_model)
    parts = []
    for origin in sorted(predictions["origin"].unique()):
        known = predictions[predictions["target_month"] <= origin]
        now = predictions[predictions["origin"] == origin]
        if known.empty:
            choice: dict[str, dict[str, Any]] = {t: {"count_model": default, "p_any": "count"}
                                                 for t in PANEL_TYPES}
        else:
            choice = select(known, models, default)
        parts.append(apply_choice(now, choice, name))
    return pd.concat(parts, ignore_index=True)


def choice_summary(choice: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Just the decisions of a choice table: type -> ``count_model`` and ``p_any`` source."""
    return {t: {"count_model": str(e["count_model"]), "p_any": str(e["p_any"])} for t, e in choice.items()}


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
    needs_clf = any(e["p_any"] != "count" for e in summary.values())
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
    """Factory of the event classifier, or ``None`` when its module is not available."""
    try:
        cls = importlib.import_module("models.estimators.classify").EventClassifier
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
