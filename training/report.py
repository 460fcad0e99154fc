"""The written outcome of a backtest: scores (CSV, JSON), a Markdown report and PNG plots.

``write_report`` produces in one directory:

* ``scores.csv`` -- the long scores frame (model, attack type, slice, metric, value, skill);
* ``scores.json`` -- headline, timings, origins, selection choice and the same scores as records;
* ``predictions.parquet`` -- every scored forecast row (to re-score or re-select without refitting);
* ``report.md`` -- headline table, skill by horizon / attack type / country / post-occupation window,
  where the models lose to the best baseline, the selection table and the plots;
* ``skill_by_horizon.png``, ``reliability.png``, ``fan_charts.png``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from models.panel import Panel
from models.taxonomy import ALL
from training import plots
from training.backtest import CLASSIFIER, BacktestResult
from training.selection import SELECTED

HEADLINE_COLUMNS = ("crps", "crps_skill", "brier", "brier_skill", "auroc", "coverage80", "pit_coverage80",
                    "mae", "ece")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` (index dropped; floats to three decimals, NaN as ``-``)."""
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _pooled(scores: pd.DataFrame, keep: str | None = None) -> pd.DataFrame:
    out = scores
    for column in ("horizon", "country", "post_occupation"):
        out = out[out[column] != "all"] if column == keep else out[out[column] == "all"]
    return out


def skill_table(scores: pd.DataFrame, metric: str, by: str, models: Sequence[str]) -> pd.DataFrame:
    """Skill of ``metric`` by one slice (``horizon``, ``attack_type``, ``country``, ``post_occupation``).

    Rows are the slice values, columns the models (attack type ``all`` unless ``by`` is attack type).
    """
    if by == "attack_type":
        rows = _pooled(scores)
    else:
        rows = _pooled(scores, by)
        rows = rows[rows["attack_type"] == ALL]
    rows = rows[(rows["metric"] == metric) & rows["model"].isin(list(models))]
    table = rows.pivot_table(index=by, columns="model", values="skill", aggfunc="first", observed=True)
    table = table.reindex(columns=[m for m in models if m in table.columns])
    if by == "horizon":
        table = table.loc[sorted(table.index, key=int)]
    return table.reset_index()


POST_OCCUPATION_METRICS = ("crps", "brier")


def post_occupation_scores(scores: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """Scores of the post-occupation slice: model -> attack type -> ``{metric, metric_skill, n}``.

    Rows are those whose region was, at the origin, within the post-occupation window; every
    horizon and country pooled. Empty when no scored row falls in such a window.
    """
    rows = scores[(scores["post_occupation"] == "yes") & (scores["horizon"] == "all")
                  & (scores["country"] == "all")]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (model, attack_type), group in rows.groupby(["model", "attack_type"], sort=False):
        values = dict(zip(group["metric"], group["value"], strict=True))
        skills = dict(zip(group["metric"], group["skill"], strict=True))
        entry = {"n": float(values.get("n", float("nan")))}
        for metric in POST_OCCUPATION_METRICS:
            if metric in values and not math.isnan(float(values[metric])):
                entry[metric] = float(values[metric])
                entry[f"{metric}_skill"] = float(skills.get(metric, float("nan")))
        out.setdefault(str(model), {})[str(attack_type)] = entry
    return out


def post_occupation_table(scores: pd.DataFrame, metric: str, models: Sequence[str]) -> pd.DataFrame:
    """Skill of ``metric`` on the post-occupation slice: rows attack types, columns models, plus ``n``."""
    found = post_occupation_scores(scores)
    types = list(dict.fromkeys(t for m in models for t in found.get(m, {})))
    records = []
    for attack_type in types:
        record: dict[str, Any] = {"attack_type": attack_type}
        for model in models:
            record[model] = found.get(model, {}).get(attack_type, {}).get(f"{metric}_skill", float("nan"))
        record["n"] = max((found.get(m, {}).get(attack_type, {}).get("n", 0.0) for m in models), default=0.0)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=["attack_type", *models, "n"])


def losses(scores: pd.DataFrame, model: str, metric: str = "crps") -> pd.DataFrame:
    """Slices where ``model`` scores worse than the best baseline on ``metric`` (skill < 0)."""
    rows = scores[(scores["model"] == model) & (scores["metric"] == metric) & (scores["skill"] < 0)]
    cols = ["attack_type", "horizon", "country", "post_occupation", "value", "skill"]
    return rows[cols].sort_values("skill").reset_index(drop=True)


def _headline_table(headline: Mapping[str, Any]) -> pd.DataFrame:
    records = []
    for model, entry in headline.items():
        if model == "best_baseline":
            continue
        records.append({"model": model, **{c: entry.get(c, float("nan")) for c in HEADLINE_COLUMNS}})
    return pd.DataFrame.from_records(records, columns=["model", *HEADLINE_COLUMNS])


def _choice_table(choice: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [{"attack_type": t, "count_model": e["count_model"], "p_any": e["p_any"]} for t, e in choice.items()],
        columns=["attack_type", "count_model", "p_any"])


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def summary(result: BacktestResult, choice: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """JSON-ready summary: origins, warm-up origins, horizon, models, baselines, headline, timings, choice.

    ``unobserved_rows`` counts the forecast rows not scored because the region's sources cannot
    observe their attack type.
    """
    return _json_safe({
        "origins": result.origins, "warmup_origins": result.warmup_origins,
        "unobserved_rows": result.unobserved_rows,
        "horizon": result.horizon, "models": result.models,
        "baselines": result.baselines, "headline": result.headline,
        "timings": {k: round(float(v), 3) for k, v in result.timings.items()},
        "executor": result.executor,
        "choice": {t: {"count_model": e["count_model"], "p_any": e["p_any"]} for t, e in choice.items()}
        if choice else None,
    })


def write_report(result: BacktestResult, panel: Panel, out_dir: str | Path,
                 choice: Mapping[str, Mapping[str, Any]] | None = None,
                 title: str = "threatcast backtest") -> dict[str, Path]:
    """Write scores, the Markdown report and the plots to ``out_dir`` (created if needed).

    Returns:
        Name -> path of every file written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["scores.csv"] = out / "scores.csv"
    result.scores.to_csv(paths["scores.csv"], index=False)
    info = summary(result, choice)
    records = [_json_safe(r) for r in result.scores.to_dict(orient="records")]
    paths["scores.json"] = out / "scores.json"
    post = _json_safe(post_occupation_scores(result.scores))
    body = {**info, "post_occupation": post, "scores": records}
    paths["scores.json"].write_text(json.dumps(body, indent=1), encoding="utf-8")
    paths["predictions.parquet"] = out / "predictions.parquet"
    result.predictions.to_parquet(paths["predictions.parquet"], index=False)
    if choice:
        paths["choice.json"] = out / "choice.json"
        paths["choice.json"].write_text(json.dumps(_json_safe(dict(choice)), indent=1), encoding="utf-8")

    models = result.models
    count_models = [m for m in models if m != CLASSIFIER]
    fitted = [m for m in models if m not in result.baselines]
    served = SELECTED if SELECTED in models else (fitted[0] if fitted else models[0])
    paths["skill_by_horizon.png"] = plots.skill_by_horizon(result.scores, fitted,
                                                           out / "skill_by_horizon.png")
    best = result.headline.get("best_baseline", {}).get("brier")
    shown = list(dict.fromkeys([*fitted, *([str(best)] if best else [])]))
    paths["reliability.png"] = plots.reliability_diagram(result.predictions, shown, out / "reliability.png")
    paths["fan_charts.png"] = plots.fan_charts(panel, result.predictions, served, out / "fan_charts.png")

    lines = [f"# {title}", "",
             f"Rolling origin, expanding window: {len(result.origins)} origins "
             f"({result.origins[0]} .. {result.origins[-1]}), horizons 1-{result.horizon}, "
             f"data to {panel.cutoff}. Baselines: {', '.join(result.baselines) or 'none'}. "
             f"Skill = 1 - score / best baseline score (AUROC: share of the gap to 1 closed).", "",
             f"Run time {result.timings.get('total', float('nan')):.1f} s on {result.executor}.", "",
             "## Headline: all attacks, region level, every origin and horizon", "",
             markdown_table(_headline_table(result.headline)), ""]
    for by in ("horizon", "attack_type", "country", "post_occupation"):
        for metric in ("crps", "brier"):
            table = skill_table(result.scores, metric, by, fitted if by != "attack_type" else count_models)
            if table.empty:
                continue
            lines += [f"## {metric.upper()} skill by {by.replace('_', ' ')}", "", markdown_table(table), ""]
    lines += ["## Post-occupation slice by attack type", "",
              "Rows whose region was, at the origin, within 24 months after an occupation ended.", ""]
    for metric in POST_OCCUPATION_METRICS:
        shown_models = [m for m in fitted if metric != "crps" or m != CLASSIFIER]
        table = post_occupation_table(result.scores, metric, shown_models)
        lines += [f"### {metric.upper()} skill", "",
                  markdown_table(table) if len(table) else "No scored row falls in a post-occupation window.",
                  ""]
    lost = losses(result.scores, served)
    lines += [f"## Where `{served}` loses to the best baseline (CRPS skill < 0)", ""]
    lines += [markdown_table(lost.head(40)) if len(lost) else "Nowhere.", ""]
    if choice:
        lines += ["## Served selection (from the whole backtest)", "",
                  markdown_table(_choice_table(choice)), ""]
    lines += ["## Plots", "", "![skill by horizon](skill_by_horizon.png)", "",
              "![reliability](reliability.png)", "", "![fan charts](fan_charts.png)", ""]
    paths["report.md"] = out / "report.md"
    paths["report.md"].write_text("\n".join(lines), encoding="utf-8")
    return paths


TRACK_RECORD_COLUMNS = ("region_id", "attack_type", "origin", "target_month", "horizon", "y", "mean",
                        "q10", "q50", "q90", "p_any")
"""Columns of a served model's track record (its backtest forecasts beside what happened)."""


def track_record(predictions: pd.DataFrame, model: str) -> pd.DataFrame:
    """The backtest rows of ``model``: every past forecast with the observed count ``y``.

    Sorted by region, attack type, target month and horizon; empty (with the columns) when the
    model has no rows.
    """
    rows = predictions[predictions["model"] == model]
    out = rows[list(TRACK_RECORD_COLUMNS)].copy()
    out["origin"] = out["origin"].astype(str)
    out["target_month"] = out["target_month"].astype(str)
    out["horizon"] = out["horizon"].astype("int64")
    return out.sort_values(["region_id", "attack_type", "target_month", "horizon"]).reset_index(drop=True)
