"""Ablation of the occupation features: every model backtested with and without them.

The same rolling-origin backtest runs twice on the same panel and origins: once with the episode
catalog the models normally see, once with an empty catalog, so every occupation term (phase,
post-window, months since the end; the tactic mix's post-occupation factors) is zero. The
post-occupation slice is flagged from the real catalog in both runs, so the rows compared are the
same. For every fitted family, the P(any) model and the walk-forward ``selected`` model, per
attack type and slice (``overall`` / ``post_occupation``) and metric (CRPS, Brier), the table gives
both scores, both skills against the best baseline, and the **gain** of the occupation features
``1 - score_with / score_without`` with a block-bootstrap interval over origins and regions. A
verdict reads the interval: ``helps`` (lower bound > 0), ``hurts`` (upper bound < 0), ``same`` (the
model does not use the occupation features: identical scores), else ``unclear``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scores import block_bootstrap_skill
from training.backtest import CLASSIFIER, BacktestResult, row_scores
from training.report import markdown_table

WITH, WITHOUT = "with", "without"
"""The two variants: with the occupation features, without them."""

SLICES = ("overall", "post_occupation")
"""The slices compared: every scored row, and rows whose region was in a post-occupation window."""

METRICS = ("crps", "brier")

COLUMNS = ("model", "attack_type", "slice", "metric", "n", "score_with", "score_without", "skill_with",
           "skill_without", "gain", "gain_lower", "gain_upper", "verdict")

_KEYS = ["region_id", "attack_type", "origin", "horizon"]


def no_occupation(catalog: pd.DataFrame) -> pd.DataFrame:
    """The catalog with every episode removed (same columns and dtypes): no occupation features."""
    return catalog.iloc[0:0].copy()


@dataclass(frozen=True)
class Ablation:
    """The two backtests and their comparison.

    Attributes:
        with_features: the backtest with the occupation features.
        without_features: the same backtest with an empty episode catalog.
        table: one row per model x attack type x slice x metric (:data:`COLUMNS`).
    """

    with_features: BacktestResult
    without_features: BacktestResult
    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: origins, horizon, models and the table's rows."""
        rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                for r in self.table.to_dict(orient="records")]
        return {"origins": self.with_features.origins, "horizon": self.with_features.horizon,
                "models": sorted(set(self.table["model"])), "rows": rows}


def run_ablation(run: Callable[[pd.DataFrame], BacktestResult], catalog: pd.DataFrame,
                 n_boot: int = 500, seed: int = 0) -> Ablation:
    """Backtest with and without the occupation features and compare.

    Args:
        run: runs the backtest given the catalog the *models* see (the post-occupation slice must be
            flagged from ``catalog`` in both runs: pass it to :func:`training.backtest.run_backtest`
            as its ``catalog`` argument and build the model factories from the argument of ``run``).
        catalog: the episode catalog.
        n_boot: bootstrap replicates of each gain's interval.
        seed: bootstrap seed.
    """
    with_features = run(catalog)
    without_features = run(no_occupation(catalog))
    table = compare(with_features, without_features, n_boot=n_boot, seed=seed)
    return Ablation(with_features=with_features, without_features=without_features, table=table)


def _skills(scores: pd.DataFrame) -> dict[tuple[str, str, str, str], float]:
    """(model, attack type, slice, metric) -> skill against the best baseline, from the scores frame."""
    pooled = scores[(scores["horizon"] == "all") & (scores["country"] == "all")]
    out: dict[tuple[str, str, str, str], float] = {}
    labels = {"all": "overall", "yes": "post_occupation"}
    for model, attack_type, post, metric, value in zip(
            pooled["model"], pooled["attack_type"], pooled["post_occupation"], pooled["metric"],
            pooled["skill"].to_numpy(dtype=float), strict=True):
        label = labels.get(str(post))
        if label is not None:
            out[(str(model), str(attack_type), label, str(metric))] = float(value)
    return out


def _verdict(lower: float, upper: float, same: bool) -> str:
    if same:
        return "same"
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return "unclear"
    if lower > 0:
        return "helps"
    if upper < 0:
        return "hurts"
    return "unclear"


def _compared_models(result: BacktestResult) -> list[str]:
    return [m for m in result.models if m not in result.baselines]


def compare(with_features: BacktestResult, without_features: BacktestResult, n_boot: int = 500,
            seed: int = 0, models: Sequence[str] | None = None) -> pd.DataFrame:
    """The ablation table (:data:`COLUMNS`) of two backtests over the same origins.

    Rows of a model are matched by region, attack type, origin and horizon; only rows both runs
    scored are compared.
    """
    names = list(models) if models is not None else [
        m for m in _compared_models(with_features) if m in set(without_features.models)]
    skill_with, skill_without = _skills(with_features.scores), _skills(without_features.scores)
    records: list[dict[str, Any]] = []
    a_all, b_all = with_features.predictions, without_features.predictions
    for model in names:
        a = a_all[a_all["model"] == model]
        b = b_all[b_all["model"] == model]
        joined = a.merge(b[[*_KEYS, "crps", "p_any"]], on=_KEYS, suffixes=("", "_without"))
        metrics = ("brier",) if model == CLASSIFIER else METRICS
        for attack_type, rows in joined.groupby("attack_type", sort=False):
            for label in SLICES:
                post = rows["post_occupation"].to_numpy(dtype=bool)
                sub = rows[post] if label == "post_occupation" else rows
                if sub.empty:
                    continue
                other = sub.assign(crps=sub["crps_without"], p_any=sub["p_any_without"])
                for metric in metrics:
                    mine, theirs = row_scores(sub, metric), row_scores(other, metric)
                    gain, lower, upper = block_bootstrap_skill(
                        mine, theirs, sub["origin"].astype(str).to_numpy(), sub["region_id"].to_numpy(),
                        n_boot=n_boot, seed=seed)
                    key = (model, str(attack_type), label, metric)
                    records.append({
                        "model": model, "attack_type": str(attack_type), "slice": label, "metric": metric,
                        "n": len(sub), "score_with": float(mine.mean()),
                        "score_without": float(theirs.mean()),
                        "skill_with": skill_with.get(key, float("nan")),
                        "skill_without": skill_without.get(key, float("nan")),
                        "gain": gain, "gain_lower": lower, "gain_upper": upper,
                        "verdict": _verdict(lower, upper, bool(np.array_equal(mine, theirs)))})
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


def write_ablation(ablation: Ablation, out_dir: str | Path, title: str = "Occupation-feature ablation"
                   ) -> dict[str, Path]:
    """Write ``ablation.json``, ``ablation.csv`` and ``ablation.md`` to ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"ablation.json": out / "ablation.json", "ablation.csv": out / "ablation.csv",
             "ablation.md": out / "ablation.md"}
    payload = {**ablation.to_dict(), "verdicts": summary(ablation.table)}
    paths["ablation.json"].write_text(json.dumps(payload, indent=1), encoding="utf-8")
    ablation.table.to_csv(paths["ablation.csv"], index=False)
    first, last = ablation.with_features.origins[0], ablation.with_features.origins[-1]
    lines = [f"# {title}", "",
             f"{len(ablation.with_features.origins)} origins ({first} .. {last}), horizons "
             f"1-{ablation.with_features.horizon}. `gain` = 1 - score with the occupation features / "
             "score without them (> 0: the features help), with a 90% block-bootstrap interval over "
             "origins and regions; `skill_*` against the best baseline of the same run.", ""]
    for label in SLICES:
        rows = ablation.table[ablation.table["slice"] == label]
        lines += [f"## {label.replace('_', '-')}", "",
                  markdown_table(rows.drop(columns=["slice"])) if len(rows) else "No rows.", ""]
    paths["ablation.md"].write_text("\n".join(lines), encoding="utf-8")
    return paths


def summary(table: pd.DataFrame) -> Mapping[str, Mapping[str, int]]:
    """How many rows of each slice helped, hurt or were unclear."""
    out: dict[str, dict[str, int]] = {}
    for label, group in table.groupby("slice", sort=False):
        out[str(label)] = {str(k): int(v) for k, v in group["verdict"].value_counts().items()}
    return out
