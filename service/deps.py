"""Request dependencies (``Annotated`` aliases used by the routes).

Every dependency is ``async``: FastAPI runs plain ``def`` dependencies in a worker thread, which
would cost far more than the lookups they guard.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from service.errors import ApiError
from service.metrics import Metrics
from service.settings import Settings
from service.state import ModelHolder
from service.table import ServedModel


async def get_holder(request: Request) -> ModelHolder:
    """The app's model holder."""
    holder: ModelHolder = request.app.state.holder
    return holder


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_served(request: Request) -> ServedModel:
    """The served model, taken once for the whole request; 503 when none is loaded."""
    holder: ModelHolder = request.app.state.holder
    served = holder.current
    if served is None:
        reason = holder.unavailable_reason()
        raise ApiError(503, "no_model", f"no model is loaded: {reason}", {"reason": reason},
                       headers={"Retry-After": "5" if holder.loading else "30"})
    return served


HolderDep = Annotated[ModelHolder, Depends(get_holder)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ServedDep = Annotated[ServedModel, Depends(get_served)]


async def require_admin(settings: SettingsDep,
                  x_api_key: Annotated[str | None, Header(description="Admin API key.")] = None) -> None:
    """401 without an ``X-API-Key`` header, 403 with a key that is not configured."""
    if not x_api_key:
        raise ApiError(401, "missing_api_key", "admin calls need an X-API-Key header",
                       headers={"WWW-Authenticate": "X-API-Key"})
    if not any(hmac.compare_digest(x_api_key.encode(), k.encode()) for k in settings.admin_api_keys):
        raise ApiError(403, "invalid_api_key", "the X-API-Key is not valid for admin calls")


async def json_list_size(request: Request, key: str) -> int:
    """Length of the list at ``key`` of a JSON object body (0 when the body is not of that shape)."""
    try:
        body: Any = await request.json()
    except ValueError:
        return 0
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return len(body[key])
    return 0


async def limit_batch(request: Request, settings: SettingsDep) -> None:
    """413 before validation when a batch names more regions than allowed."""
    size = await json_list_size(request, "region_ids")
    if size > settings.max_batch_regions:
        raise ApiError(413, "batch_too_large",
                       f"{size} regions requested; at most {settings.max_batch_regions} per request",
                       {"limit": settings.max_batch_regions, "given": size})


async def limit_nowcast(request: Request, settings: SettingsDep) -> None:
    """413 before validation when a nowcast carries more events than allowed."""
    size = await json_list_size(request, "events")
    if size > settings.max_nowcast_events:
        raise ApiError(413, "too_many_events",
                       f"{size} events submitted; at most {settings.max_nowcast_events} per request",
                       {"limit": settings.max_nowcast_events, "given": size})
