"""Request dependencies (``Annotated`` aliases used by the routes).

Every dependency is ``async``: FastAPI runs plain ``def`` dependencies in a worker thread, which
would cost far more than the lookups they guard.
"""

from __future__ import annotations

import email.message
import hmac
import logging
import math
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from service.errors import ApiError, clip
from service.limits import FailureLimiter
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


log = logging.getLogger("threatcast.service")


def client_address(request: Request) -> str:
    """The client's address as the server saw it (``unknown`` when the server gives none)."""
    return request.client.host if request.client else "unknown"


def _reject_admin(request: Request, limiter: FailureLimiter, client: str, error: ApiError) -> ApiError:
    count = limiter.failed(client)
    log.warning("admin call refused (%s): %s %s from %s, failure %d of %d allowed per %gs",
                error.error, request.method, request.url.path, client, count, limiter.max_failures,
                limiter.window)
    return error


async def require_admin(request: Request, settings: SettingsDep,
                        x_api_key: Annotated[str | None, Header(description="Admin API key.")] = None
                        ) -> None:
    """401 without an ``X-API-Key`` header, 403 with a key that is not configured.

    Each refusal is logged (never with the key) and counted per client address; a client with
    ``admin_max_failures`` refusals in the window gets 429 with ``Retry-After``, key unchecked.
    """
    limiter: FailureLimiter = request.app.state.admin_failures
    client = client_address(request)
    wait = limiter.retry_after(client)
    if wait is not None:
        log.warning("admin call refused (rate_limited): %s %s from %s", request.method, request.url.path,
                    client)
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, "too_many_failures",
                       f"too many refused admin calls from this client; retry in {seconds} s",
                       {"retry_after_seconds": seconds}, headers={"Retry-After": str(seconds)})
    if not x_api_key:
        raise _reject_admin(request, limiter, client, ApiError(
            401, "missing_api_key", "admin calls need an X-API-Key header",
            headers={"WWW-Authenticate": "X-API-Key"}))
    if not any(hmac.compare_digest(x_api_key.encode(), k.encode()) for k in settings.admin_api_keys):
        raise _reject_admin(request, limiter, client, ApiError(
            403, "invalid_api_key", "the X-API-Key is not valid for admin calls"))


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``application/*+json``)."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    json_subtype = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and json_subtype


async def require_json(request: Request) -> None:
    """415 when a request carries a body whose Content-Type is not JSON."""
    content_type = request.headers.get("content-type")
    if content_type is not None and is_json(content_type):
        return
    if content_type is None and not await request.body():
        return  # no body at all: validation says the body is missing
    shown = clip(content_type, 100) if content_type is not None else "none"
    raise ApiError(415, "unsupported_media_type",
                   f"the request body must be JSON (Content-Type: application/json), not {shown}",
                   {"content_type": shown, "accepted": ["application/json"]})


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
