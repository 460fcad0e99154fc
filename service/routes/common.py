"""Pieces shared by the forecast routes: documented error responses, parameters and JSON replies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response

from service.errors import ApiError, unknown_region
from service.schemas import AttackType, ErrorBody
from service.table import ServedModel

JSON = "application/json"

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown region (closest ids suggested)."},
    422: {"model": ErrorBody, "description": "Invalid parameter: which one and why."},
    503: {"model": ErrorBody, "description": "No model is loaded."},
}

BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "The body is larger than THREATCAST_MAX_BODY_BYTES, or "
                                              "lists more items than allowed."},
    415: {"model": ErrorBody, "description": "The body is not JSON (Content-Type: application/json)."},
}

AttackTypeQuery = Annotated[AttackType | None,
                            Query(description="Only this attack type ('all' = every type summed).")]
HorizonQuery = Annotated[int | None, Query(ge=1, le=120, description="Return horizons 1..horizon.")]


def json_bytes(body: bytes, status: int = 200) -> Response:
    """A JSON response from pre-serialised bytes."""
    return Response(content=body, status_code=status, media_type=JSON)


def check_horizon(served: ServedModel, horizon: int | None, name: str = "horizon",
                  location: str = "query") -> None:
    """422 when ``horizon`` (a query parameter, or a body field) exceeds what the served model forecasts."""
    if horizon is not None and horizon > served.horizon:
        where = "query parameter" if location == "query" else f"{location} field"
        raise ApiError(422, "invalid_request",
                       f"{where} {name!r}: the served model forecasts horizons 1..{served.horizon}",
                       {"errors": [{"location": location, "parameter": name,
                                    "message": f"must be <= {served.horizon}"}]})


def check_region(served: ServedModel, region_id: str) -> None:
    """404 with suggestions when the region is not served."""
    if region_id not in served.infos:
        raise unknown_region(region_id, served.infos)

CountryQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$", description="ISO3 country code.",
                                           examples=["MLI"])]


def country_filter(served: ServedModel, country: str | None) -> str | None:
    """The upper-cased ISO3 code, or 404 listing the covered countries when none of its regions is served."""
    if country is None:
        return None
    code = country.upper()
    if not any(info["country"] == code for info in served.infos.values()):
        countries = sorted({info["country"] for info in served.infos.values()})
        raise ApiError(404, "unknown_country", f"the served model covers no region of {code}",
                       {"country": code, "countries": countries})
    return code
