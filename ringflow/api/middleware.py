"""One pure-ASGI middleware for what every request needs: body limit, timing, access log, headers.

Pure ASGI (not BaseHTTPMiddleware) so streamed responses (documents, event streams)
pass through untouched and the per-request cost stays a few microseconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringflow.api.errors import ApiError, error_response
from ringflow.api.metrics import Metrics
from ringflow.clock import Clock, system_clock

access_log = logging.getLogger("ringflow.access")

HTML_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# FastAPI's /docs page loads Swagger UI from its CDN with an inline bootstrap script
DOCS_CSP = ("default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        super().__init__(413, "body_too_large", f"the request body is over the limit of {limit} bytes", {"limit": limit})


class Gatekeeper:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int, clock: Clock = system_clock):
        self.app, self.clock = app, clock
        self.metrics = metrics
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0
        path: str = scope.get("path", "")
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_body
                except ValueError:
                    too_big = False
                if too_big:
                    resp = error_response(413, "body_too_large", f"the request body is over the limit of {self.max_body} bytes",
                                          {"limit": self.max_body})
                    await resp(scope, receive, send)
                    self._finish(scope, 413, started, len(resp.body))
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                is_html = any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                headers.append((b"x-content-type-options", b"nosniff"))
                if is_html:
                    csp = DOCS_CSP if path in DOCS_PATHS else HTML_CSP
                    headers += [(b"content-security-policy", csp.encode()), (b"x-frame-options", b"DENY"),
                                (b"referrer-policy", b"same-origin")]
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, limited_receive, observed_send)
        finally:
            self._finish(scope, status, started, sent)

    def _finish(self, scope: Scope, status: int, started: float, sent: int) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "(unmatched)"
        method = scope.get("method", "")
        self.metrics.observe(method, template, status, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            state: dict[str, Any] = scope.get("state") or {}
            client = scope.get("client")
            access_log.info(orjson.dumps({
                "ts": round(self.clock(), 3), "method": method, "path": scope.get("path"), "route": template,
                "status": status, "ms": round(elapsed * 1000, 2), "bytes": sent,
                "customer": state.get("customer_id"), "client": client[0] if client else None,
            }).decode())
