"""Request limits: the body-size limit (413 before anything is parsed) and the admin-failure limiter.

The body limit is a pure ASGI middleware. A declared ``Content-Length`` above the limit is refused
at once, without reading a byte of the body and without routing the request. A body without a
declared length (``Transfer-Encoding: chunked``) is read up to the limit and refused as soon as it
grows past it; a body within the limit is then handed to the app unchanged. A declared length
within the limit is passed through: the HTTP server never delivers more bytes than it declares.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})


def _error_message(status: int, error: str, message: str, details: dict[str, object]) -> list[Message]:
    body = json.dumps({"error": error, "message": message, "details": details}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    return [{"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body}]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class BodySizeLimit:
    """Pure ASGI middleware answering 413 (JSON error body) to a request body over ``max_bytes``.

    Args:
        app: the wrapped application.
        max_bytes: largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body, else pass the request on (replaying a buffered body)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
                if length < 0:
                    raise ValueError(declared)
            except ValueError:
                await self._refuse(send, 400, "invalid_content_length",
                                   "the Content-Length header is not a non-negative integer", {})
                return
            if length > self.max_bytes:
                await self._too_large(send, length)
                return
            await self.app(scope, receive, send)
            return
        chunked = _header(scope, b"transfer-encoding") is not None
        if not chunked and scope.get("method", "GET") in _BODYLESS:
            await self.app(scope, receive, send)
            return
        await self._buffered(scope, receive, send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, length: int | None) -> None:
        given = f"of {length} bytes " if length is not None else ""
        details: dict[str, object] = {"limit": self.max_bytes}
        if length is not None:
            details["given"] = length
        await self._refuse(send, 413, "request_too_large",
                           f"the request body {given}exceeds the limit of {self.max_bytes} bytes", details)

    @staticmethod
    async def _refuse(send: Send, status: int, error: str, message: str, details: dict[str, object]) -> None:
        for part in _error_message(status, error, message, details):
            await send(part)


class FailureLimiter:
    """Counts failures per client in a sliding window; a client over the limit is blocked.

    Memory stays bounded: at most ``max_clients`` clients are tracked (the least recently failing
    is forgotten first) and each keeps at most ``max_failures`` timestamps.

    Args:
        max_failures: failures allowed per client within ``window_seconds``.
        window_seconds: length of the sliding window.
        max_clients: most clients tracked at once.
        clock: monotonic time source (seconds).
    """

    def __init__(self, max_failures: int, window_seconds: float, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        stamps = self._failures.get(client)
        if stamps is None:
            return None
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[client]
            return None
        return stamps

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it is not blocked."""
        now = self.clock()
        stamps = self._recent(client, now)
        if stamps is None or len(stamps) < self.max_failures:
            return None
        return max(stamps[0] + self.window - now, 0.0)

    def failed(self, client: str) -> int:
        """Record one failure of ``client``; the number of its failures in the window."""
        now = self.clock()
        stamps = self._recent(client, now)
        if stamps is None:
            stamps = deque(maxlen=self.max_failures)
            self._failures[client] = stamps
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
        self._failures.move_to_end(client)
        stamps.append(now)
        return len(stamps)
