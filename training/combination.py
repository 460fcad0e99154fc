"""The served combination from backtest rows: the equal-weight pool (default) or the selection.

Two rules turn the backtest's member rows into the served model:

* ``pool`` (:data:`COMBINE`, the default): for every attack type, the equal-weight linear pool of the
  fitted families and the :data:`POOL_BASELINE` baseline, with P(count >= 1) the average of theirs
  and the classifier's (:mod:`models.estimators.pooling`), then the coherent hurdle reconciled across
  types. The rule has no parameter learned from the rows, so its backtest rows are out of sample by
  construction.
* ``select``: the walk-forward selection of :mod:`training.selection` (one family and one
  ``p_any`` source per type, chosen on the rows known at each origin).

Chosen on the development period (ACLED, origins 2013-01..2015-12, compared side by side by
``bench/bench_combination.py``): the selection's choices flip from origin to origin while its track
record is short, and the pool beat it overall and on the post-occupation slice; see
``docs/backtest.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import numpy as np
import pandas as pd

from models.estimators.baselines import BASELINES, Bootstrap24
from models.estimators.catalogue import COUNT_FAMILIES
from models.estimators.pooling import CLASSIFIER_MEMBER, POOL, average_probability, linear_pool
from models.taxonomy import PANEL_TYPES
from training.backtest import CLASSIFIER
from training.selection import (
    KEY_COLUMNS,
    SELECTED,
    apply_choice,
    coherent_rows,
    count_models,
    select,
    walk_forward,
    with_baseline,
)

COMBINE_RULES: Final = ("pool", "select")
"""The combination rules a backtest or a training can serve."""

COMBINE: Final = "pool"
"""The served rule (chosen on the development period, see the module docstring)."""

POOL_BASELINE: Final = Bootstrap24.name
"""The naive baseline pooled with the fitted families (the development period's best baseline)."""


def pool_members(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
                 baselines: Sequence[str] = (POOL_BASELINE,)) -> tuple[list[str], list[str]]:
    """The pool's count members and probability members available in ``predictions``.

    Count members: every fitted family with counts (or those in ``candidates``) and the
    ``baselines`` present (default :data:`POOL_BASELINE`); probability members: the same and the
    classifier when it has rows. Empty lists when no fitted family is present.

    Raises:
        ValueError: when ``baselines`` names a model that is not a naive baseline.
    """
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise ValueError(f"pool baselines must be among {tuple(BASELINES)}, got {unknown}")
    models = count_models(predictions, candidates)
    fitted = [m for m in models if m not in BASELINES]
    if not fitted:
        return [], []
    members = fitted + [b for b in baselines if b in models]
    has_clf = bool((predictions["model"] == CLASSIFIER).any())
    return members, members + ([CLASSIFIER_MEMBER] if has_clf else [])


def pool_choice(predictions: pd.DataFrame, candidates: Sequence[str] | None = None,
                baselines: Sequence[str] = (POOL_BASELINE,)) -> dict[str, dict[str, Any]]:
    """The choice table serving the pool for every attack type (the selection without fitted families).

    ``baselines`` are the naive baselines pooled with the families (:func:`pool_members`). Each
    entry also carries the mean CRPS of every member over its rows (``crps``) and ``rows``, as
    :func:`training.selection.select` does.
    """
    members, p_members = pool_members(predictions, candidates, baselines)
    if not members:
        return select(predictions, candidates)
    rows = predictions[predictions["model"].isin(members)]
    crps = rows.groupby(["attack_type", "model"])["crps"].mean()
    counts = rows[rows["model"] == members[0]].groupby("attack_type").size()
    table: dict[str, dict[str, Any]] = {}
    for attack_type in PANEL_TYPES:
        found = crps.xs(attack_type, level="attack_type") if attack_type in counts.index \
            else pd.Series(dtype=float)
        table[attack_type] = {"count_model": POOL, "p_any": POOL, "pool": list(members),
                              "p_pool": list(p_members), "crps": {str(k): float(v) for k, v in found.items()},
                              "rows": int(counts.get(attack_type, 0))}
    return table


def served_pool_choice() -> dict[str, dict[str, Any]]:
    """The choice table of the served pool without backtest rows: every fitted family and the baseline.

    The same table :func:`pool_choice` gives after a full backtest (every family of
    :data:`models.estimators.catalogue.COUNT_FAMILIES`, :data:`POOL_BASELINE`, the classifier in the
    probability average), for a forecast fitted once without one (``threatcast forecast``).
    """
    members = [*COUNT_FAMILIES, POOL_BASELINE]
    return {t: {"count_model": POOL, "p_any": POOL, "pool": list(members),
                "p_pool": [*members, CLASSIFIER_MEMBER]} for t in PANEL_TYPES}


def pooled_rows(predictions: pd.DataFrame, choice: Mapping[str, Mapping[str, Any]],
                name: str = SELECTED) -> pd.DataFrame:
    """Rows of the choice before the hurdle: pooled moments and probabilities for pool entries.

    Entries that are not pools are the chosen rows (:func:`training.selection.apply_choice`).
    """
    parts = []
    plain = {t: e for t, e in choice.items() if e["count_model"] != POOL}
    if plain:
        parts.append(apply_choice(predictions, plain, name))
    by_model = {m: g.set_index(KEY_COLUMNS) for m, g in predictions.groupby("model", sort=False)}
    for attack_type, entry in choice.items():
        if entry["count_model"] != POOL:
            continue
        members = [m for m in entry["pool"] if m in by_model]
        if not members:
            continue
        first = by_model[members[0]]
        rows = first[first.index.get_level_values("attack_type") == attack_type]
        keys = rows.index
        means = [by_model[m]["mean"].reindex(keys).to_numpy(dtype=float) for m in members]
        variances = [by_model[m]["var"].reindex(keys).to_numpy(dtype=float) for m in members]
        p_names = [CLASSIFIER if m == CLASSIFIER_MEMBER else m for m in entry.get("p_pool") or members]
        probs = [by_model[m]["p_any"].reindex(keys).to_numpy(dtype=float) for m in p_names if m in by_model]
        mean, var = linear_pool(means, variances)
        out = rows.reset_index()
        out["mean"], out["var"], out["p_any"] = mean, var, average_probability(probs)
        out["model"] = name
        parts.append(out)
    if not parts:
        return predictions.iloc[0:0].copy()
    return pd.concat(parts, ignore_index=True)[list(predictions.columns)]


def pool_forward(predictions: pd.DataFrame, candidates: Sequence[str] | None = None, name: str = SELECTED,
                 reconcile: bool | str = True, baselines: Sequence[str] = (POOL_BASELINE,),
                 reconcile_p: bool = True) -> pd.DataFrame:
    """Out-of-sample rows of the pooled served model: the coherent hurdle of :func:`pooled_rows`.

    The pool's members (the families that ran and ``baselines``) are fixed by which models ran,
    not by their scores, so no row's target informs the combination of another. ``reconcile`` and
    ``reconcile_p`` are those of :func:`models.estimators.combined.coherent_cells`.
    """
    rows = pooled_rows(predictions, pool_choice(predictions, candidates, baselines), name)
    if rows.empty:
        return rows
    finite = np.isfinite(rows["mean"].to_numpy(dtype=float))
    rows = rows[finite].reset_index(drop=True)
    return coherent_rows(with_baseline(rows, predictions), None, reconcile, reconcile_p)


def combiner(rule: str = COMBINE) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The backtest's ``combine`` step for ``rule`` (rows named ``selected``).

    Raises:
        ValueError: on an unknown rule.
    """
    if rule == "pool":
        return partial(pool_forward)
    if rule == "select":
        return partial(walk_forward)
    raise ValueError(f"combination rule must be one of {COMBINE_RULES}, got {rule!r}")


def served_choice(predictions: pd.DataFrame, rule: str = COMBINE) -> dict[str, dict[str, Any]]:
    """The choice table the served model applies, from every backtest row, under ``rule``.

    Raises:
        ValueError: on an unknown rule.
    """
    if rule not in COMBINE_RULES:
        raise ValueError(f"combination rule must be one of {COMBINE_RULES}, got {rule!r}")
    base = predictions[predictions["model"] != SELECTED]
    return pool_choice(base) if rule == "pool" else select(base)
