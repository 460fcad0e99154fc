"""The OpenAPI schema as the server enforces it: limits from the settings and the served model.

FastAPI renders the schema from the route declarations once; this module then fills in, on each
request for ``/openapi.json``, what only the running server knows: the largest horizon it answers
(the served model's, else ``THREATCAST_MAX_HORIZON``), the history limit, the batch and nowcast
item limits, and request examples naming regions and months the served model accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pandas as pd
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.settings import Settings
from service.state import ModelHolder
from service.table import ServedModel

Schema = dict[str, Any]

STATIC_NOWCAST_EXAMPLE: Schema = {
    "events": [{"event_id": "ops:2024-07-001", "date": "2024-07-14", "country": "MLI",
                "admin1": "Tombouctou", "attack_type": "bombing", "fatalities": 2}],
    "horizon": 3,
}
"""The nowcast example shown while no model is served (a model with a cutoff before 2024-07)."""


def _set_maximum(schema: Schema, maximum: int) -> None:
    """Set ``maximum`` on the integer alternative(s) of a (possibly nullable) schema."""
    if schema.get("type") == "integer":
        schema["maximum"] = maximum
    for alternative in schema.get("anyOf", ()):
        _set_maximum(alternative, maximum)


def _parameters(schema: Schema) -> list[Schema]:
    found: list[Schema] = []
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            found.extend(p for p in operation.get("parameters", ()) if isinstance(p, dict))
    return found


def _request_example(schema: Schema, path: str, example: Schema) -> None:
    body = schema.get("paths", {}).get(path, {}).get("post", {}).get("requestBody")
    if body is not None:
        body["content"]["application/json"]["example"] = example


def nowcast_example(served: ServedModel | None) -> Schema:
    """A nowcast body the server accepts: one bombing in the first served region, after the cutoff."""
    if served is None or not served.infos:
        return copy.deepcopy(STATIC_NOWCAST_EXAMPLE)
    info = served.infos[min(served.infos)]
    month = pd.Period(served.cutoff, freq="M") + 1
    return {"events": [{"event_id": f"ops:{month}-001", "date": f"{month}-14", "country": info["country"],
                        "admin1": info["admin1"], "attack_type": "bombing", "fatalities": 2}],
            "horizon": min(3, served.horizon)}


def accepted_schema(base: Schema, settings: Settings, served: ServedModel | None) -> Schema:
    """``base`` with the limits and examples of this server (a new dict; ``base`` is unchanged)."""
    schema = copy.deepcopy(base)
    horizon = served.horizon if served is not None else settings.max_horizon
    for parameter in _parameters(schema):
        if parameter.get("in") != "query":
            continue
        if parameter.get("name") == "horizon":
            _set_maximum(parameter["schema"], horizon)
        elif parameter.get("name") == "months":
            _set_maximum(parameter["schema"], settings.max_history_months)
    components = schema.get("components", {}).get("schemas", {})
    batch = components.get("BatchRequest", {}).get("properties", {})
    if batch:
        _set_maximum(batch["horizon"], horizon)
        batch["region_ids"]["maxItems"] = settings.max_batch_regions
    nowcast = components.get("NowcastRequest", {}).get("properties", {})
    if nowcast:
        _set_maximum(nowcast["horizon"], horizon)
        nowcast["events"]["maxItems"] = settings.max_nowcast_events
    _request_example(schema, "/v1/nowcast", nowcast_example(served))
    if served is not None and served.infos:
        _request_example(schema, "/v1/forecasts", {"region_ids": sorted(served.infos)[:2]})
    return schema


def install(app: FastAPI, settings: Settings, holder: ModelHolder) -> None:
    """Serve :func:`accepted_schema` of the current model as the app's ``/openapi.json``."""
    base: Schema | None = None

    def openapi() -> Schema:
        nonlocal base
        if base is None:
            base = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
        return accepted_schema(base, settings, holder.current)

    method: Callable[[], Schema] = openapi
    app.openapi = method  # type: ignore[method-assign]
