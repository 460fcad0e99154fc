"""Files of an episode study: ``study.json``, CSV tables, event-study plots and a Markdown report."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from models.study import Study
from models.study_design import EFFECT_PHASES, PHASES
from models.targets import TARGET_CLASSES

PLOT_TYPES: tuple[str, ...] = ("armed_assault", "bombing", "suicide_attack", "kidnapping",
                               "indirect_fire", "armed_clash")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def timeline_plot(study: Study, path: Path, types: Sequence[str] = PLOT_TYPES,
                  timeline: pd.DataFrame | None = None) -> Path:
    """Pooled monthly counts by attack type around the end month (months since the end on x).

    With ``timeline`` (e.g. the target timeline) the columns ``types`` of that frame are drawn.
    """
    fig = Figure(figsize=(9.0, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    frame = study.timeline if timeline is None else timeline
    pooled = frame.groupby("months_since_end")[[t for t in types if t in frame]].sum()
    for name in pooled.columns:
        ax.plot(pooled.index, pooled[name].rolling(3, center=True, min_periods=1).mean(), label=name)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("months since the end of the occupation (0 = end month; 3-month mean)")
    ax.set_ylabel("events, studied regions pooled")
    ax.legend(fontsize=7, ncols=3)
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def effects_plot(effects: pd.DataFrame, path: Path) -> Path:
    """Rate ratios with 95% intervals by phase, one row per attack type with an estimate (log scale)."""
    rows = effects[effects["rate_ratio"].notna() & (effects["rate_ratio"] > 0)]
    types = list(dict.fromkeys(rows["attack_type"]))
    fig = Figure(figsize=(9.0, 0.5 + 0.45 * max(len(types), 1) * len(EFFECT_PHASES) / 2.5))
    ax = fig.add_subplot(1, 1, 1)
    y = 0
    ticks, labels = [], []
    for name in types:
        for phase in EFFECT_PHASES:
            hit = rows[(rows["attack_type"] == name) & (rows["phase"] == phase)]
            if hit.empty:
                continue
            est = float(hit["rate_ratio"].iloc[0])
            low = float(hit["ci_low"].iloc[0]) if pd.notna(hit["ci_low"].iloc[0]) else est
            high = float(hit["ci_high"].iloc[0]) if pd.notna(hit["ci_high"].iloc[0]) else est
            ax.errorbar([est], [y], xerr=[[est - max(low, 1e-3)], [high - est]], fmt="o", ms=3)
            ticks.append(y)
            labels.append(f"{name} {phase}")
            y += 1
        y += 1
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(ticks, labels, fontsize=6)
    ax.set_xlabel("rate ratio against the months before the occupation (95% interval)")
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def markdown(study: Study, effects: pd.DataFrame, placebo: pd.DataFrame) -> str:
    """The study as a Markdown report (episodes, effects with placebo, share shifts)."""
    data = study.data
    lines = ["# Episode study", "",
             f"Data {data['first_month']} .. {data['cutoff']}, {data['regions']} regions; treated "
             f"{', '.join(data['treated_regions']) or 'none'}; {len(data['control_regions'])} never-occupied "
             f"control regions; {data['placebo_draws']} placebo draws.", "", "## Episodes", "",
             "| episode | region | end | used | reason |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {e['episode_id']} | {e['region_id']} | {e['end_month'] or 'ongoing'} | "
              f"{'yes' if e['used'] else 'no'} | {e['reason']} |" for e in study.episodes]
    lines += ["", "## Rate ratios against the months before the occupation", "",
              "![counts around the end](timeline.png)", "", "![rate ratios](effects.png)", "",
              "| type | phase | events | rate ratio | 95% interval | p | method | placebo 5-95% | "
              "placebo share >= |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    merged = effects.merge(placebo, on=["attack_type", "phase"], how="left") if len(placebo) else \
        effects.assign(p5=np.nan, p95=np.nan, share_above=np.nan)
    for row in merged.itertuples(index=False):
        unbounded = _num(row.rate_ratio) is None and _num(row.ci_low) is not None
        rr = "unbounded" if unbounded else _fmt(_num(row.rate_ratio))
        band = f"{_fmt(_num(row.p5))}-{_fmt(_num(row.p95))}"
        lines.append(f"| {row.attack_type} | {row.phase} | {row.n_events} | {rr} | "
                     f"{_fmt(_num(row.ci_low))}-{_fmt(_num(row.ci_high))} | {_fmt(_num(row.p_value), 3)} | "
                     f"{row.method} | {band} | {_fmt(_num(row.share_above))} |")
    lines += ["", "## Tactic shares: after the end against before and during", "",
              "| type | before+during | after | shift | 95% interval |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {s.attack_type} | {_fmt(s.share_before, 3)} | {_fmt(s.share_after, 3)} | "
              f"{_fmt(s.shift, 3)} | {_fmt(s.ci_low, 3)}..{_fmt(s.ci_high, 3)} |" for s in study.shares]
    return "\n".join(lines + target_lines(study)) + "\n"


def pooled_target_counts(study: Study) -> pd.DataFrame:
    """Events by phase (rows, studied phases only) and target class, the studied regions pooled."""
    frame = study.target_timeline
    if frame.empty:
        return pd.DataFrame(columns=["phase", *TARGET_CLASSES])
    sums = frame.groupby("phase")[list(TARGET_CLASSES)].sum()
    sums = sums.reindex([p for p in PHASES if p in sums.index])
    return sums.reset_index()


def target_lines(study: Study) -> list[str]:
    """The report's target-class section: pooled counts and shares by phase, and the share shift."""
    lines = ["", "## Target classes: who was attacked, before, during and after", ""]
    if study.data.get("target_classes") == "absent":
        lines += ["The events carry no target class: every event counts as unknown.", ""]
    counts = pooled_target_counts(study)
    if counts.empty:
        return [*lines, "No studied months."]
    if len(study.target_timeline) and "months_since_end" in study.target_timeline:
        lines += ["![target classes around the end](target_timeline.png)", ""]
    lines += ["Events (share of the phase's events) by phase, the studied regions pooled:", "",
              "| phase | " + " | ".join(TARGET_CLASSES) + " | all |",
              "| --- | " + " | ".join("---" for _ in TARGET_CLASSES) + " | --- |"]
    for row in counts.itertuples(index=False):
        values = [int(getattr(row, k)) for k in TARGET_CLASSES]
        total = sum(values)
        cells = [f"{v} ({v / total:.2f})" if total else "0" for v in values]
        lines.append(f"| {row.phase} | " + " | ".join(cells) + f" | {total} |")
    lines += ["", "Target shares after the end against before and during:", "",
              "| target class | before+during | after | shift | 95% interval |",
              "| --- | --- | --- | --- | --- |"]
    lines += [f"| {s.attack_type} | {_fmt(s.share_before, 3)} | {_fmt(s.share_after, 3)} | "
              f"{_fmt(s.shift, 3)} | {_fmt(s.ci_low, 3)}..{_fmt(s.ci_high, 3)} |"
              for s in study.target_shares]
    return lines


def _num(value: object) -> float | None:
    """``value`` as a float, ``None`` when missing or not finite."""
    if isinstance(value, int | float | np.number) and math.isfinite(float(value)):
        return float(value)
    return None


def write_study(study: Study, out: Path) -> list[Path]:
    """Write the study's files to ``out``.

    ``study.json``, ``effects.csv``, ``placebo.csv``, ``shares.csv``, ``target_shares.csv``,
    ``target_counts.csv`` (pooled, by phase), ``episodes.csv``, ``timeline.csv``,
    ``target_timeline.csv``, PNG plots (``timeline.png``, ``target_timeline.png``, ``effects.png``)
    and ``study.md``.

    Returns:
        The paths written.
    """
    out.mkdir(parents=True, exist_ok=True)
    doc = study.to_dict()
    written = [out / "study.json"]
    written[0].write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    effects = pd.DataFrame(doc["effects"])
    placebo = pd.DataFrame(doc["placebo"])
    targets = study.target_timeline
    tables = {"effects": effects, "placebo": placebo, "shares": pd.DataFrame(doc["shares"]),
              "target_shares": pd.DataFrame(doc["target_shares"],
                                            columns=["target_class", "share_before", "share_after", "shift",
                                                     "ci_low", "ci_high", "n_before", "n_after"]),
              "target_counts": pooled_target_counts(study),
              "episodes": pd.DataFrame([{k: v for k, v in e.items()
                                         if k not in ("counts", "counts_by_target")}
                                        for e in doc["episodes"]]),
              "timeline": study.timeline.astype({"month": str}),
              "target_timeline": targets.astype({"month": str}) if "month" in targets else targets}
    for name, table in tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    if len(study.timeline):
        written.append(timeline_plot(study, out / "timeline.png"))
    if len(targets) and "months_since_end" in targets:
        written.append(timeline_plot(study, out / "target_timeline.png", TARGET_CLASSES, targets))
    if len(effects):
        written.append(effects_plot(effects, out / "effects.png"))
    report = out / "study.md"
    report.write_text(markdown(study, effects, placebo) if len(effects) else
                      markdown(study, pd.DataFrame(columns=["attack_type", "phase", "rate_ratio", "ci_low",
                                                            "ci_high", "p_value", "n_events", "method"]),
                               placebo), encoding="utf-8")
    written.append(report)
    return written
