"""`threatcast models` and `threatcast promote`: the registered versions and the champion alias."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from training.registry import CHAMPION, Registry
from training.settings import TrainingSettings
from training.tracking import Tracker, TrackingError, preflight


def _registry(model_name: str | None) -> Registry:
    settings = TrainingSettings().override(registered_model_name=model_name)
    preflight(settings)
    return Registry(Tracker(settings), settings.registered_model_name)


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def models_command(
    model_name: Annotated[str | None, typer.Option(help="Registered model name (default: threatcast).")
                          ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """List the registered versions with their aliases and backtest scores."""
    try:
        registry = _registry(model_name)
        rows = registry.versions()
    except (TrackingError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps({"model_name": registry.name, "versions": rows}))
        return
    if not rows:
        typer.echo(f"no versions of {registry.name!r} registered yet (run `threatcast train`)")
        return
    table = Table(title=f"registered model {registry.name}", title_justify="left")
    for column in ("version", "aliases", "crps", "brier", "data_cutoff", "complete", "run_id"):
        table.add_column(column, justify="right" if column in ("crps", "brier") else "left")
    for row in rows:
        table.add_row(row["version"], ",".join(row["aliases"]), _fmt(row["crps"]), _fmt(row["brier"]),
                      row["data_cutoff"], "yes" if row["complete"] else "no", row["run_id"] or "")
    Console().print(table)


def promote_command(
    version: Annotated[str, typer.Argument(help="Version to make the champion.")],
    model_name: Annotated[str | None, typer.Option(help="Registered model name (default: threatcast).")
                          ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Move the champion alias to VERSION (whatever its scores)."""
    try:
        if not version.isdigit():
            raise ValueError(f"version must be a number, got {version!r}")
        registry = _registry(model_name)
        previous = registry.promote(version)
    except (TrackingError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    payload = {"model_name": registry.name, "alias": CHAMPION, "version": version, "previous": previous}
    if as_json:
        typer.echo(json.dumps(payload))
        return
    typer.echo(f"{registry.name} v{version} is now {CHAMPION}"
               + (f" (was v{previous})" if previous and previous != version else ""))


def register(app: typer.Typer) -> None:
    """Add ``models`` and ``promote`` to ``app``."""
    app.command("models")(models_command)
    app.command("promote")(promote_command)
