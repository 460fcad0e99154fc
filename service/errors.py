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
from starlette.routing import Match

log = logging.getLogger("threatcast.service")

MAX_ECHO = 200
"""Most characters of a client-supplied value (an id, a field name) echoed in an error body."""
MAX_LISTED = 20
"""Most unknown ids listed in one error body (the count says how many there were)."""


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


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters (marked with ``...`` when cut), for echoing in errors."""
    return text if len(text) <= limit else text[:limit] + "..."


def suggestions(word: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``word`` (case-insensitive), best first; none for an overlong word."""
    if len(word) > MAX_ECHO:
        return []
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[c] for c in close]


def unknown_region(region_id: str, known: Iterable[str]) -> ApiError:
    """404 for an unknown region, suggesting the closest known ids."""
    close = suggestions(region_id, known)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    shown = clip(region_id)
    return ApiError(404, "unknown_region", f"no region {shown!r} in the served model{hint}",
                    {"region_id": shown, "suggestions": close})


def unknown_regions(unknown: Sequence[str], known: Iterable[str]) -> ApiError:
    """404 for a batch naming unknown regions: at most :data:`MAX_LISTED` listed (clipped), and the count."""
    pool = list(known)
    listed = [clip(r) for r in unknown[:MAX_LISTED]]
    close = {shown: suggestions(r, pool) for shown, r in zip(listed, unknown, strict=False)}
    more = f" (and {len(unknown) - len(listed)} more)" if len(unknown) > len(listed) else ""
    return ApiError(404, "unknown_region",
                    f"{len(unknown)} unknown region id(s): {', '.join(listed[:10])}"
                    + (" ..." if len(listed) > 10 and not more else "") + more,
                    {"unknown": listed, "unknown_count": len(unknown), "suggestions": close})


def _line_column(document: object, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in the JSON ``document``."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else str(document)
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _describe(err: dict[str, Any], document: object) -> dict[str, Any]:
    loc: Sequence[Any] = err.get("loc", ())
    where = str(loc[0]) if loc else ""
    path = list(loc[1:])
    out: dict[str, Any] = {"location": where, "message": str(err.get("msg", "invalid"))}
    if err.get("type") == "json_invalid":
        line, column = _line_column(document, int(path[0]) if path and isinstance(path[0], int) else 0)
        reason = str((err.get("ctx") or {}).get("error", "not valid JSON"))
        out.update(parameter="body", message=f"{reason} at line {line} column {column}",
                   line=line, column=column)
    elif where == "body" and len(path) >= 2 and path[0] == "events" and isinstance(path[1], int):
        out["event_index"] = path[1]
        out["field"] = clip(".".join(str(p) for p in path[2:])) or "events"
        out["parameter"] = "events"
    else:
        out["parameter"] = clip(".".join(str(p) for p in path)) or where
    return out


def _headline(first: dict[str, Any]) -> str:
    if "line" in first:
        return f"invalid JSON body: {first['message']}"
    if "event_index" in first:
        return f"event {first['event_index']} field {first['field']}: {first['message']}"
    where, name = first["location"], first["parameter"]
    if where == "body":
        return f"body: {first['message']}" if name == "body" else f"body field {name!r}: {first['message']}"
    kind = {"query": "query parameter", "path": "path parameter", "header": "header",
            "cookie": "cookie"}.get(where, f"{where} parameter")
    return f"{kind} {name!r}: {first['message']}"


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(e, exc.body) for e in exc.errors()]
    first = problems[0] if problems else {"location": "request", "parameter": "request", "message": "invalid"}
    return error_response(422, "invalid_request", _headline(first), {"errors": problems})


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.details, exc.headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every standard method that some route of the app answers on the request's path."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    headers = dict(getattr(exc, "headers", None) or {})
    message = str(exc.detail)
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        message = f"{clip(request.method, 20)} is not allowed here; allowed: {', '.join(allowed)}"
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                          headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error; the failure has been logged")


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
