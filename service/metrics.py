"""Prometheus metrics: requests, latency, forecasts served, reloads and the served model version.

Each app owns its registry (several apps can live in one process, e.g. in tests). Requests are
labelled by route template (``/v1/regions/{region_id}/forecast``), never by raw path, and by HTTP
method among the standard ones (any other method counts as ``other``), so the label set stays
bounded whatever clients send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.table import ServedModel

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""HTTP methods kept as metric labels; any other counts as ``other``."""

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    """The service's metric families, in their own registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("threatcast_http_requests", "HTTP requests by route, method and status.",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("threatcast_http_request_seconds", "HTTP request latency by route.",
                                 ["route"], buckets=_BUCKETS, registry=r)
        self.forecasts = Counter("threatcast_forecasts_served",
                                 "Forecast rows (region x attack type x horizon) served, by endpoint.",
                                 ["endpoint"], registry=r)
        self.reloads = Counter("threatcast_model_reloads", "Model load attempts by outcome.",
                               ["outcome"], registry=r)
        self.model_info = Gauge("threatcast_model_info", "The served model (value 1), labelled by version.",
                                ["model_name", "model_version", "data_cutoff"], registry=r)

    def model_swapped(self, served: ServedModel) -> None:
        """Point the model-info gauge at ``served``."""
        self.model_info.clear()
        name = str(served.loaded.provenance.get("model_name", "threatcast"))
        self.model_info.labels(name, served.version, served.cutoff).set(1)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware timing each HTTP request and counting it by route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time and count one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = route_label(scope)
            self.metrics.latency.labels(template).observe(time.perf_counter() - start)
            self.metrics.requests.labels(template, method_label(scope["method"]), str(status)).inc()


def method_label(method: str) -> str:
    """The metric label of an HTTP method: one of :data:`METHODS`, else ``other``."""
    return method if method in METHODS else "other"


def route_label(scope: Scope) -> str:
    """The matched route's template (``unmatched`` when no route matched), never the raw path."""
    route = scope.get("route")
    if route is None and "endpoint" in scope:  # plain routes (the schema, the docs) name only their endpoint
        endpoint = scope["endpoint"]
        router = scope.get("router")
        route = next((r for r in getattr(router, "routes", ()) if getattr(r, "endpoint", None) is endpoint),
                     None)
    template = getattr(route, "path", None)
    return template if isinstance(template, str) and template else "unmatched"
