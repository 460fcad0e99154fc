"""`threatcast forecast`: fit on events up to a cutoff and write the forecast frame of every region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from threadpoolctl import threadpool_limits

from cli.errors import CommandError
from models.episodes import load_catalog
from models.estimators.base import Forecaster
from models.forecast import DEFAULT_QUANTILES, check_forecast_frame, forecast_columns, parse_quantiles
from training import dataset
from training.combination import served_pool_choice
from training.selection import build_combined, classifier_factory, model_factories

OUTPUT_SUFFIXES = (".csv", ".parquet")
SERVED = "served"
"""The default ``--model``: the served pool (every fitted family, the pooled baseline and the
classifier, one coherent hurdle per cell), as ``threatcast train`` registers it."""
_DEFAULT_LEVELS = ",".join(str(level) for level in DEFAULT_QUANTILES)


def _forecaster(model: str | None, choice: Path | None, catalog: Path | None) -> Forecaster:
    cat = load_catalog(catalog)
    factories = model_factories(cat)
    if choice is not None:
        if model is not None:
            raise CommandError("give either --model or --choice, not both")
        try:
            table: dict[str, Any] = json.loads(choice.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read the choice table {choice}: {exc}") from None
        if not isinstance(table, dict) or not all(
                isinstance(e, dict) and "count_model" in e and "p_any" in e for e in table.values()):
            raise CommandError(f"{choice} is not a choice table (attack type -> count_model, p_any)")
        return build_combined(factories, table, classifier_factory(cat))
    name = model or SERVED
    if name == SERVED:
        return build_combined(factories, served_pool_choice(), classifier_factory(cat))
    if name not in factories:
        raise CommandError(f"unknown model {name!r}; available: {SERVED}, {', '.join(factories)}")
    return factories[name]()


def forecast_command(
    events: Annotated[list[Path], typer.Option(
        "--events", "-e", help="Event file(s); repeat or comma-separate.", show_default=False)],
    cutoff: Annotated[str, typer.Option(help="Last month of data used (YYYY-MM); later events are ignored.",
                                        show_default=False)],
    out: Annotated[Path, typer.Option(help="Output file, .csv or .parquet.", show_default=False)],
    horizon: Annotated[int, typer.Option(help="Forecast horizons 1..N.", min=1, max=24)] = 6,
    quantiles: Annotated[str, typer.Option(help="Comma-separated quantile levels.")] = _DEFAULT_LEVELS,
    fmt: Annotated[str, typer.Option("--format", "-f", help="auto|acled|ucdp|gtd|canonical")] = "auto",
    model: Annotated[str | None, typer.Option(
        help=f"Model to fit: {SERVED} (default: the pool training serves) or one model of "
             "`threatcast backtest --models`.")] = None,
    choice: Annotated[Path | None, typer.Option(
        help="choice.json written by `threatcast backtest`: serve the selected combination.")] = None,
    catalog: Annotated[Path | None, typer.Option(help="Episode catalog CSV (default: shipped).")] = None,
) -> None:
    """Fit on events up to the cutoff and write the forecast of every region x attack type x horizon."""
    err = Console(stderr=True)
    try:
        if out.suffix.lower() not in OUTPUT_SUFFIXES:
            raise CommandError(f"unsupported output {out.name!r}: use a .csv or .parquet file")
        levels = parse_quantiles(quantiles)
        panel = dataset.load(dataset.split_paths(events), fmt, cutoff).panel
        forecaster = _forecaster(model, choice, catalog)
        with threadpool_limits(limits=1):  # small matrices: BLAS threads only oversubscribe the cores
            frame = forecaster.fit(panel).predict(panel, horizon, levels)
        check_forecast_frame(frame, levels)
        frame = frame[forecast_columns(levels)]
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except (CommandError, ValueError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    Console().print(f"{len(frame):,} forecast rows ({frame['region_id'].nunique()} regions, horizons "
                    f"1-{horizon}, origin {panel.cutoff}) written to {out}")


def register(app: typer.Typer) -> None:
    """Add ``forecast`` to ``app``."""
    app.command("forecast")(forecast_command)
