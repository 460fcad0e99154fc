"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.deps import HolderDep, MetricsDep
from service.schemas import Health, Readiness

router = APIRouter(tags=["operations"])

_HEALTH = b'{"status":"ok"}'


@router.get("/health", response_model=Health, summary="Process is alive")
async def health() -> Response:
    """Always 200 while the process runs, whether or not a model is loaded (or still loading)."""
    return Response(_HEALTH, media_type="application/json")


@router.get("/ready", response_model=Readiness, summary="A model is loaded",
            responses={503: {"model": Readiness, "description": "No model loaded; the reason says why."}})
async def ready(holder: HolderDep) -> JSONResponse:
    """200 when forecasts can be served, else 503 with the reason (``the model is loading`` at start-up).

    The reason never shows the tracking URI or any internal address.
    """
    served = holder.current
    if served is None:
        body = Readiness(ready=False, reason=holder.unavailable_reason())
        return JSONResponse(body.model_dump(), status_code=503,
                            headers={"Retry-After": "5" if holder.loading else "30"})
    return JSONResponse(Readiness(ready=True, model_version=served.version,
                                  data_cutoff=served.cutoff).model_dump())


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus exposition: requests, latency, forecasts served, reloads, model version."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
