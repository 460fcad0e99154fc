"""Run the service under uvicorn (what ``python -m service``, ``threatcast serve`` and the demo call)."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from pydantic import ValidationError

from service.app import create_app
from service.settings import Settings


def settings_with(model_uri: str | None = None, tracking_uri: str | None = None) -> Settings:
    """Settings from the environment, with the model and tracking URIs overridden when given.

    Raises:
        pydantic.ValidationError: on an invalid ``THREATCAST_*`` variable.
    """
    overrides: dict[str, Any] = {}
    if model_uri:
        overrides["model_uri"] = model_uri
    if tracking_uri:
        overrides["tracking_uri"] = tracking_uri
    return Settings(**overrides)


def settings_problems(exc: ValidationError) -> str:
    """One line naming each invalid setting and what is wrong with it."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def run(host: str = "127.0.0.1", port: int = 8000, model_uri: str | None = None,
        tracking_uri: str | None = None, log_level: str = "info") -> None:
    """Serve forecasts on ``host:port`` until interrupted (blocking).

    Args:
        host: interface to bind (``0.0.0.0`` in a container).
        port: TCP port.
        model_uri: model to serve (default: ``THREATCAST_MODEL_URI`` or the champion alias).
        tracking_uri: MLflow tracking URI (default: ``THREATCAST_TRACKING_URI``,
            ``MLFLOW_TRACKING_URI`` or the embedded SQLite store).
        log_level: uvicorn log level.
    """
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings_with(model_uri, tracking_uri))
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
