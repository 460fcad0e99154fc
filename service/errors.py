"""Error responses: one JSON shape (``error``, ``message``, ``details``) for every failure.

Validation problems say which parameter (or which event and field) and why; anything unexpected
is logged with its traceback and answered with a bare 500 that reveals nothing internal.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("threatcast.service")


class ApiError(Exception):
    """An error with an HTTP status, a machine-readable code, a message and details."""

    def __init__(self, status: int, error: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details or {}
        self.headers = headers


def error_response(status: int, error: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON response of an error."""
    return JSONResponse({"error": error, "message": message, "details": details or {}},
                        status_code=status, headers=headers)


def suggestions(word: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``word`` (case-insensitive), best first."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[c] for c in close]


def unknown_region(region_id: str, known: Iterable[str]) -> ApiError:
    """404 for an unknown region, suggesting the closest known ids."""
    close = suggestions(region_id, known)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ApiError(404, "unknown_region", f"no region {region_id!r} in the served model{hint}",
                    {"region_id": region_id, "suggestions": close})


def _describe(err: dict[str, Any]) -> dict[str, Any]:
    loc: Sequence[Any] = err.get("loc", ())
    where = str(loc[0]) if loc else ""
    path = list(loc[1:])
    out: dict[str, Any] = {"location": where, "message": str(err.get("msg", "invalid"))}
    if where == "body" and len(path) >= 2 and path[0] == "events" and isinstance(path[1], int):
        out["event_index"] = path[1]
        out["field"] = ".".join(str(p) for p in path[2:]) or "events"
        out["parameter"] = "events"
    else:
        out["parameter"] = ".".join(str(p) for p in path) or where
    return out


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(e) for e in exc.errors()]
    first = problems[0] if problems else {"parameter": "request", "message": "invalid"}
    if "event_index" in first:
        head = f"event {first['event_index']} field {first['field']}: {first['message']}"
    else:
        head = f"{first['location']} parameter {first['parameter']!r}: {first['message']}"
    return error_response(422, "invalid_request", head, {"errors": problems})


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.details, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                          headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error; the failure has been logged")


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
