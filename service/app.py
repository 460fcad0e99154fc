"""The FastAPI application: settings, model holder, metrics, errors, routes and the dashboard hook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from service import errors, openapi
from service.limits import BodySizeLimit, FailureLimiter
from service.loader import load_model
from service.metrics import Metrics, MetricsMiddleware
from service.routes import countries, episodes, forecasts, health, model, nowcast, regions
from service.settings import Settings
from service.state import Loader, LoadOutcome, ModelHolder

log = logging.getLogger("threatcast.service")

STATIC_DIR = Path(__file__).parent / "static"
"""Dashboard hook: when this folder exists it is served at ``/static`` and its ``index.html`` at ``/``."""

DESCRIPTION = """Monthly attack-count forecasts by region and attack type, with predictive quantiles,
P(at least one attack), risk tiers and the tactic mix. Every forecast response names the model
version and data cutoff that produced it and flags stale data."""


def create_app(settings: Settings | None = None, loader: Loader = load_model,
               static_dir: Path | None = STATIC_DIR) -> FastAPI:
    """Build the app; the model loads in the background at start-up.

    Until the load succeeds (or when it fails) the app runs and answers ``/health`` but is not ready.

    Args:
        settings: configuration (read from the environment by default).
        loader: ``(model_uri, tracking_uri) -> LoadedModel``; MLflow by default.
        static_dir: dashboard folder mounted at ``/static`` (and ``/``) when it exists.
    """
    cfg = settings or Settings()
    metrics = Metrics()
    holder = ModelHolder(cfg, loader)
    holder.on_swap.append(metrics.model_swapped)

    def report(outcome: LoadOutcome) -> None:
        metrics.reloads.labels("ok" if outcome.ok else "failed").inc()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the load runs behind the server: /health answers at once, /ready once a model is in
        startup = asyncio.create_task(holder.start(report), name="threatcast-model-load")
        app.state.startup = startup
        try:
            yield
        finally:
            startup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await startup

    app = FastAPI(title="threatcast", version="1", description=DESCRIPTION, lifespan=lifespan,
                  redirect_slashes=False)
    app.state.settings = cfg
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.admin_failures = FailureLimiter(cfg.admin_max_failures, cfg.admin_failure_window_seconds)
    errors.install(app)
    # outermost last: metrics count every answer, the 413s of the body limit included
    app.add_middleware(BodySizeLimit, max_bytes=cfg.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for module in (regions, health, forecasts, nowcast, model, countries, episodes):  # region forecast first
        app.include_router(module.router)
    mount_dashboard(app, static_dir)
    openapi.install(app, cfg, holder)
    return app


def mount_dashboard(app: FastAPI, static_dir: Path | None) -> None:
    """Serve ``static_dir`` at ``/static`` and its ``index.html`` at ``/`` (else redirect to ``/docs``)."""
    index = static_dir / "index.html" if static_dir else None
    if static_dir is not None and static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=static_dir), name="static")

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        if index is not None and index.is_file():
            return FileResponse(index)
        return RedirectResponse("/docs")
