"""PNG plots of a backtest: skill by horizon, reliability diagram, fan charts of the riskiest regions.

Drawn with matplotlib's object API on the Agg canvas (no display, no global pyplot state), so they
work in worker processes and headless servers alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from models.panel import Panel
from models.scores import reliability_table
from models.taxonomy import ALL


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def skill_by_horizon(scores: pd.DataFrame, models: Sequence[str], path: Path,
                     metrics: Sequence[str] = ("crps", "brier"), attack_type: str = ALL) -> Path:
    """Skill against the best baseline by horizon, one line per model, one panel per metric.

    A model keeps its colour in every panel.
    """
    fig = Figure(figsize=(5.0 * len(metrics), 3.8))
    rows = scores[(scores["attack_type"] == attack_type) & (scores["horizon"] != "all")
                  & (scores["country"] == "all") & (scores["post_occupation"] == "all")]
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        sub = rows[rows["metric"] == metric]
        for j, model in enumerate(models):
            line = sub[sub["model"] == model]
            if line.empty or line["skill"].isna().all():
                continue
            order = np.argsort(line["horizon"].astype(int).to_numpy())
            ax.plot(line["horizon"].astype(int).to_numpy()[order], line["skill"].to_numpy()[order],
                    marker="o", label=model, color=f"C{j % 10}")
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("horizon (months)")
        ax.set_ylabel(f"{metric.upper()} skill vs best baseline")
        ax.set_title(f"{metric.upper()} skill, attack type '{attack_type}'")
        ax.legend(fontsize=7)
    return _save(fig, path)


def reliability_diagram(predictions: pd.DataFrame, models: Sequence[str], path: Path,
                        attack_type: str = ALL, bins: int = 10) -> Path:
    """Observed frequency of ``count >= 1`` against forecast ``p_any``, one curve per model."""
    fig = Figure(figsize=(5.2, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect")
    rows = predictions[predictions["attack_type"] == attack_type]
    for model in models:
        sub = rows[rows["model"] == model]
        if sub.empty:
            continue
        table = reliability_table((sub["y"].to_numpy() >= 1).astype(float), sub["p_any"].to_numpy(), bins)
        ax.plot(table["mean_prob"], table["observed_freq"], marker="o", label=model)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast P(at least one attack)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability, attack type '{attack_type}'")
    ax.legend(fontsize=7)
    return _save(fig, path)


def riskiest_regions(predictions: pd.DataFrame, model: str, top: int = 6) -> list[str]:
    """Regions with the highest expected ``all`` count one month after the last origin."""
    rows = predictions[(predictions["model"] == model) & (predictions["attack_type"] == ALL)]
    if rows.empty:
        return []
    last = rows[rows["origin"] == rows["origin"].max()]
    first_h = last[last["horizon"] == last["horizon"].min()]
    return list(first_h.sort_values(["mean", "region_id"], ascending=[False, True])["region_id"].head(top))


def fan_charts(panel: Panel, predictions: pd.DataFrame, model: str, path: Path, top: int = 6,
               history: int = 36) -> Path:
    """History plus the q10-q90 fan (and median) of ``all`` attacks from the last origin.

    One panel per region, for the ``top`` regions with the highest expected count; the observed
    counts after the origin are drawn over the fan.
    """
    regions = riskiest_regions(predictions, model, top)
    n = max(len(regions), 1)
    cols = min(3, n)
    nrows = int(np.ceil(n / cols))
    fig = Figure(figsize=(4.6 * cols, 3.2 * nrows))
    rows = predictions[(predictions["model"] == model) & (predictions["attack_type"] == ALL)]
    origin = pd.Period(rows["origin"].max(), freq="M") if len(rows) else panel.cutoff
    wide = panel.wide(ALL)
    for i, region in enumerate(regions):
        ax = fig.add_subplot(nrows, cols, i + 1)
        series = wide.loc[region]
        past = series[(series.index > origin - history) & (series.index <= origin)]
        ax.plot(np.asarray([p.to_timestamp() for p in past.index]), past.to_numpy(), color="black", lw=1.2,
                label="observed")
        fan = rows[(rows["region_id"] == region) & (rows["origin"] == str(origin))].sort_values("horizon")
        when = np.asarray([pd.Period(t, freq="M").to_timestamp() for t in fan["target_month"]])
        ax.fill_between(when, fan["q10"].to_numpy(), fan["q90"].to_numpy(), alpha=0.3, label="q10-q90")
        ax.plot(when, fan["q50"].to_numpy(), ls="--", label="median")
        ax.plot(when, fan["y"].to_numpy(), color="black", marker=".", lw=0)
        ax.set_title(f"{region} (origin {origin})", fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7)
    if not regions:
        fig.add_subplot(1, 1, 1).text(0.5, 0.5, "no forecasts", ha="center")
    return _save(fig, path)
