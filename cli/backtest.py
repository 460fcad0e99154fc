"""`threatcast backtest`: rolling-origin backtest of every model family, with scores, report and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cli.errors import CommandError
from models.coverage import coverage
from models.episodes import load_catalog
from models.taxonomy import ALL
from training import dataset
from training.ablation import Ablation, run_ablation, write_ablation
from training.ablation import summary as ablation_summary
from training.backtest import CLASSIFIER, BacktestResult, run_backtest
from training.combination import COMBINE, COMBINE_RULES, combiner, served_choice
from training.executors import EXECUTOR_KINDS, make_executor
from training.report import summary, write_report
from training.selection import WARMUP, classifier_factory, model_factories, resolve_models
from training.sources import FORMAT_CHOICES

TERMINAL_COLUMNS = ("crps", "crps_skill", "brier", "brier_skill", "auroc", "coverage80", "pit_coverage80")
TERMINAL_NAMES = {"crps_skill": "skill", "brier_skill": "skill", "coverage80": "cov80",
                  "pit_coverage80": "pit80"}
DEFAULT_ORIGINS = 30
"""Origins backtested when ``--origins`` is not given (the 30 months ending a horizon before the end)."""


def _print_headline(result: BacktestResult, out: Path) -> None:
    table = Table(title="all attacks, region level (full table in report.md)", title_justify="left")
    table.add_column("model", no_wrap=True, min_width=12)
    for column in TERMINAL_COLUMNS:
        table.add_column(TERMINAL_NAMES.get(column, column), justify="right")
    for model, entry in result.headline.items():
        if model == "best_baseline":
            continue
        table.add_row(model, *(f"{entry.get(c, float('nan')):.3f}" for c in TERMINAL_COLUMNS))
    console = Console()
    console.print(table)
    console.print(f"{len(result.origins)} origins, {result.timings['total']:.1f} s; report in {out}")


def backtest_command(
    events: Annotated[list[Path], typer.Option(
        "--events", "-e", help="Event file(s); repeat or comma-separate.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"{'|'.join(FORMAT_CHOICES)}")] = "auto",
    origins: Annotated[str | None, typer.Option(
        help="Origins YYYY-MM:YYYY-MM or a comma list (default: the 30 months ending horizon months "
             "before the data end).")] = None,
    horizon: Annotated[int, typer.Option(help="Forecast horizons 1..N.", min=1, max=24)] = 6,
    models: Annotated[str | None, typer.Option(help="Comma-separated model names (default: all).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for scores, report and plots.")] = Path("backtest"),
    executor: Annotated[str, typer.Option(help=f"{'|'.join(EXECUTOR_KINDS)}")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (with --executor dask).")
                         ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: the core count).")] = None,
    catalog: Annotated[Path | None, typer.Option(help="Episode catalog CSV (default: shipped).")] = None,
    warmup: Annotated[int, typer.Option(
        help="Extra origins before the first, forecast only as the walk-forward selection's track "
             "record (not scored).", min=0, max=120)] = WARMUP,
    combine: Annotated[str, typer.Option(
        help=f"How the served model combines the families: {'|'.join(COMBINE_RULES)} (pool: the "
             "equal-weight pool of the fitted families and bootstrap24; select: the walk-forward "
             "selection of one family per type).")] = COMBINE,
    with_ablation: Annotated[bool, typer.Option(
        "--ablation", help="Also backtest every model without the occupation features and write the "
                           "comparison (ablation.json/csv/md).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Backtest the model families from rolling origins and write scores, a report and plots."""
    err = Console(stderr=True)
    ablation: Ablation | None = None
    try:
        combine_rows = combiner(combine)
        cat = load_catalog(catalog)
        data = dataset.load(dataset.split_paths(events), fmt)
        panel, observed = data.panel, coverage(data.used_events()).regions() or None
        chosen_origins = dataset.origins(panel, origins, horizon, DEFAULT_ORIGINS)
        wants_clf = models is None or CLASSIFIER in [m.strip() for m in models.split(",")]
        if not resolve_models(models, model_factories(cat)):
            raise CommandError("no count model selected")
        with make_executor(executor, scheduler, workers) as runner:
            def run(model_catalog: pd.DataFrame) -> BacktestResult:
                chosen = resolve_models(models, model_factories(model_catalog))
                clf = classifier_factory(model_catalog) if wants_clf else None
                return run_backtest(panel, cat, chosen, chosen_origins, horizon, executor=runner,
                                    classifier_factory=clf, combine=combine_rows, warmup=warmup,
                                    observed=observed)
            if with_ablation:
                ablation = run_ablation(run, cat)
                result = ablation.with_features
            else:
                result = run(cat)
        choice = served_choice(result.predictions, combine)
        write_report(result, panel, out, choice)
        if ablation is not None:
            write_ablation(ablation, out)
    except (CommandError, ValueError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        payload: dict[str, Any] = {**summary(result, choice), "out": str(out)}
        if ablation is not None:
            payload["ablation"] = {"verdicts": ablation_summary(ablation.table),
                                   "file": str(out / "ablation.json")}
        typer.echo(json.dumps(payload))
        return
    _print_headline(result, out)
    if ablation is not None:
        _print_ablation(ablation)


def _print_ablation(ablation: Ablation) -> None:
    table = Table(title="occupation features, attack type all: gain = 1 - score with / without "
                        "(full table in ablation.md)", title_justify="left")
    for column in ("model", "slice", "metric", "gain", "90% interval", "verdict"):
        numeric = column in ("gain", "90% interval")
        table.add_column(column, justify="right" if numeric else "left")
    rows = ablation.table[ablation.table["attack_type"] == ALL]
    for r in rows.itertuples(index=False):
        table.add_row(str(r.model), str(r.slice), str(r.metric), f"{r.gain:+.3f}",
                      f"[{r.gain_lower:+.3f}, {r.gain_upper:+.3f}]", str(r.verdict))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to ``app``."""
    app.command("backtest")(backtest_command)
