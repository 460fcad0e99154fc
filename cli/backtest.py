"""`threatcast backtest`: rolling-origin backtest of every model family, with scores, report and plots."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import CommandError
from models.episodes import load_catalog
from training import dataset
from training.backtest import CLASSIFIER, BacktestResult, run_backtest
from training.executors import EXECUTOR_KINDS, make_executor
from training.report import summary, write_report
from training.selection import (
    WARMUP,
    classifier_factory,
    model_factories,
    resolve_models,
    select,
    walk_forward,
)
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Backtest the model families from rolling origins and write scores, a report and plots."""
    err = Console(stderr=True)
    try:
        cat = load_catalog(catalog)
        panel = dataset.load(dataset.split_paths(events), fmt).panel
        chosen_origins = dataset.origins(panel, origins, horizon, DEFAULT_ORIGINS)
        factories = model_factories(cat)
        chosen = resolve_models(models, factories)
        wants_clf = models is None or CLASSIFIER in [m.strip() for m in models.split(",")]
        clf = classifier_factory(cat) if wants_clf else None
        if not chosen:
            raise CommandError("no count model selected")
        with make_executor(executor, scheduler, workers) as runner:
            result = run_backtest(panel, cat, chosen, chosen_origins, horizon, executor=runner,
                                  classifier_factory=clf, combine=partial(walk_forward), warmup=warmup)
        choice = select(result.predictions)
        write_report(result, panel, out, choice)
    except (CommandError, ValueError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        payload: dict[str, Any] = {**summary(result, choice), "out": str(out)}
        typer.echo(json.dumps(payload))
        return
    _print_headline(result, out)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to ``app``."""
    app.command("backtest")(backtest_command)
