"""The ``threatcast`` command line (Typer), one module per command group: the composition layer."""

from __future__ import annotations

import typer

from cli import backtest, demo, episodes, forecast, ingest, methods, registry, serve, study, train

app = typer.Typer(
    name="threatcast",
    help="Threat-trend forecasting: monthly attack counts by region and attack type.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (ingest, episodes, study, methods, demo, backtest, forecast, train, registry, serve):
    _module.register(app)


def main() -> None:
    """Console entry point."""
    app()
