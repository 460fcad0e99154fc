"""`threatcast backtest`: rolling-origin backtest of every model family, with scores, report and plots."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from models.episodes import load_catalog
from models.panel import Panel, build_panel
from training.backtest import CLASSIFIER, BacktestResult, parse_month, parse_origins, run_backtest
from training.executors import EXECUTOR_KINDS, make_executor
from training.ingest import ingest
from training.report import summary, write_report
from training.selection import (
    WARMUP,
    classifier_factory,
    model_factories,
    resolve_models,
    select,
    walk_forward,
)
from training.sources import FORMAT_CHOICES, SourceFormatError

TERMINAL_COLUMNS = ("crps", "crps_skill", "brier", "brier_skill", "auroc", "coverage80", "pit_coverage80")
TERMINAL_NAMES = {"crps_skill": "skill", "brier_skill": "skill", "coverage80": "cov80",
                  "pit_coverage80": "pit80"}


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def split_paths(values: list[Path]) -> list[Path]:
    """Expand comma-separated entries and check every file exists.

    Raises:
        CommandError: when no file is given or one does not exist.
    """
    paths = [Path(p.strip()) for v in values for p in str(v).split(",") if p.strip()]
    if not paths:
        raise CommandError("no event files given (--events FILE)")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise CommandError(f"event file(s) not found: {', '.join(missing)}")
    return paths


def load_panel(events: list[Path], fmt: str, cutoff: str | None = None) -> Panel:
    """Ingest event files and build the panel (up to ``cutoff`` when given).

    Raises:
        CommandError: on an unknown format, unreadable files, no usable events or a cutoff outside
            the data.
    """
    if fmt not in FORMAT_CHOICES:
        raise CommandError(f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}")
    try:
        result = ingest(split_paths(events), fmt=fmt)
    except SourceFormatError as exc:
        raise CommandError(str(exc)) from None
    frame = result.events
    if frame.empty:
        raise CommandError("the event files hold no usable events")
    months = pd.to_datetime(frame["date"]).dt.to_period("M")
    if cutoff is not None:
        try:
            end = parse_month(cutoff)
        except ValueError:
            raise CommandError(f"bad cutoff {cutoff!r}: use YYYY-MM") from None
        if end < months.min() or end > months.max():
            raise CommandError(f"cutoff {end} is outside the data ({months.min()} .. {months.max()})")
        return build_panel(frame, end)
    return build_panel(frame)


def default_origins(panel: Panel, horizon: int, count: int = 30) -> str:
    """The ``count`` origins ending ``horizon`` months before the cutoff.

    For data ending 2018-12 and horizon 6 that is ``2016-01:2018-06``.
    """
    last = panel.cutoff - max(horizon, 1)
    first = max(last - (count - 1), panel.months[0] + 23)
    return f"{first}:{last}"


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
        panel = load_panel(events, fmt)
        chosen_origins = parse_origins(origins or default_origins(panel, horizon), panel)
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
