"""`threatcast serve`: answer forecasts over HTTP from the registered champion."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError


def serve_forever(host: str = "127.0.0.1", port: int = 8000, model_uri: str | None = None,
                  tracking_uri: str | None = None) -> None:
    """Start the forecast service and block until it is stopped (the demo's final step).

    Raises:
        pydantic.ValidationError: on invalid ``THREATCAST_*`` settings.
    """
    from service.server import run

    run(host=host, port=port, model_uri=model_uri, tracking_uri=tracking_uri)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0 inside a container).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    model: Annotated[str | None, typer.Option(
        "--model", help="Model URI (default: THREATCAST_MODEL_URI or models:/threatcast@champion).")] = None,
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI (default: THREATCAST_TRACKING_URI, MLFLOW_TRACKING_URI or "
             "the store under THREATCAST_DATA_DIR (./data)).")] = None,
) -> None:
    """Serve forecasts over HTTP (FastAPI under uvicorn); /docs has the API."""
    try:
        serve_forever(host=host, port=port, model_uri=model, tracking_uri=tracking_uri)
    except ValidationError as exc:
        from service.server import settings_problems

        typer.echo(f"error: invalid service settings: {settings_problems(exc)}", err=True)
        raise typer.Exit(code=2) from exc
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=1) from exc


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
