"""`threatcast train`: ingest, backtest, fit the served model, log to MLflow, register, gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.jobs.interrupt import TrainingInterrupted
from cli.jobs.train import TrainingError, TrainOptions, TrainResult, train
from training import dataset
from training.combination import COMBINE, COMBINE_RULES
from training.executors import EXECUTOR_KINDS
from training.settings import TrainingSettings
from training.sources import FORMAT_CHOICES


def _print(result: TrainResult) -> None:
    console = Console()
    table = Table(title=f"{result.model_name} v{result.version}: served model, backtest "
                        f"{result.origins[0]}..{result.origins[-1]}", title_justify="left")
    for column in ("crps", "brier", "crps_skill", "brier_skill", "coverage80"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{result.headline.get(c, float('nan')):.4f}"
                    for c in ("crps", "brier", "crps_skill", "brier_skill", "coverage80")))
    console.print(table)
    d = result.decision
    console.print(f"run {result.run_id}; version {result.version} -> [bold]{d.alias}[/bold] ({d.reason})")


def train_command(
    events: Annotated[list[Path], typer.Option(
        "--events", "-e", help="Event file(s); repeat or comma-separate.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"{'|'.join(FORMAT_CHOICES)}")] = "auto",
    cutoff: Annotated[str | None, typer.Option(help="Last month of data to use, YYYY-MM (default: the "
                                               "latest event's month).")] = None,
    horizon: Annotated[int, typer.Option(help="Forecast horizons 1..N.", min=1, max=24)] = 6,
    origins: Annotated[str | None, typer.Option(
        help="Backtest origins YYYY-MM:YYYY-MM or a comma list (default: the 24 months ending "
             "horizon months before the cutoff).")] = None,
    experiment: Annotated[str | None, typer.Option(help="MLflow experiment (default: threatcast).")] = None,
    model_name: Annotated[str | None, typer.Option(help="Registered model name (default: threatcast).")
                          ] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model families (default: all).")
                      ] = None,
    no_classifier: Annotated[bool, typer.Option("--no-classifier", help="Leave the event classifier out.")
                             ] = False,
    executor: Annotated[str, typer.Option(help=f"{'|'.join(EXECUTOR_KINDS)}")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (with --executor dask).")
                         ] = None,
    workers: Annotated[int | None, typer.Option(help="Workers (default: the core count).", min=1)] = None,
    catalog: Annotated[Path | None, typer.Option(help="Episode catalog CSV (default: shipped).")] = None,
    combine: Annotated[str, typer.Option(
        help=f"How the served model combines the families: {'|'.join(COMBINE_RULES)}.")] = COMBINE,
    force: Annotated[bool, typer.Option(help="Promote to champion whatever the scores.")] = False,
    min_skill: Annotated[float, typer.Option(
        help="Least CRPS and Brier skill on all attacks, against the best baseline, that the gate "
             "promotes (0: no worse than it).", min=-1.0, max=1.0)] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of every randomised fit.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary (no progress).")] = False,
) -> None:
    """Train every model family, log the run to MLflow, register the bundle and gate it."""
    try:
        settings = TrainingSettings().override(experiment, model_name)
        options = TrainOptions(cutoff=cutoff, horizon=horizon, origins=origins, executor=executor,
                               scheduler=scheduler, workers=workers, models=models,
                               classifier=not no_classifier, force=force, seed=seed, fmt=fmt,
                               catalog_path=catalog, progress=not as_json and sys.stderr.isatty(),
                               combine=combine, min_skill=min_skill)
        result = train(dataset.split_paths(events), options, settings)
    except (TrainingError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except TrainingInterrupted as exc:
        typer.echo(f"stopped: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    _print(result)


def register(app: typer.Typer) -> None:
    """Add ``train`` to ``app``."""
    app.command("train")(train_command)
