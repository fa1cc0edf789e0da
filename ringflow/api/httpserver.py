"""Uvicorn's httptools protocol with the two limits production HTTP servers set on request heads.

Uvicorn accepted any amount of header bytes (8 MB were read and parsed) and waited forever for a
request head to finish (50 clients sending a byte now and then held 50 connections). Like Node's
``maxHeaderSize``/``headersTimeout`` and nginx's ``large_client_header_buffers``/``client_header_timeout``:

- a request line plus headers over ``max_header_bytes`` (16 KiB by default) gets ``431`` and the
  connection is closed, counted as bytes arrive, so an unfinished giant header is cut off too;
- a request head not complete within ``header_timeout`` seconds (10 by default) of its first byte,
  or of the connection opening, gets ``408`` and the connection is closed.

``python -m ringflow serve`` uses it; with the uvicorn command line pass
``--http ringflow.api.httpserver:LimitedHttpTools`` (limits from RINGFLOW_MAX_HEADER_BYTES and
RINGFLOW_HEADER_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ringflow.config import Settings, load_settings


class _Limited(HttpToolsProtocol):
    max_header_bytes = 16 * 1024
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._expect_head()

    def _expect_head(self) -> None:
        """A request head may start now: count its bytes from zero and give it ``header_timeout``."""
        self._head_bytes = 0
        self._reading_head = True
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _refuse(self, status: bytes, message: str) -> None:
        self._cancel_head_timer()
        self._reading_head = False
        if not self.transport.is_closing():
            body = message.encode()
            self.transport.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
                                 b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._reading_head:
            self.logger.info("request head not received within %s s; connection closed", self.header_timeout)
            self._refuse(b"408 Request Timeout", "the request head took too long")

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)  # completing the head (on_headers_complete) stops the count
        if self._reading_head and self._head_bytes > self.max_header_bytes:
            self.logger.info("request head over %d bytes; connection closed", self.max_header_bytes)
            self._refuse(b"431 Request Header Fields Too Large", f"request headers are limited to {self.max_header_bytes} bytes")

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._expect_head()  # the next request on this keep-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)


def limited_protocol(max_header_bytes: int, header_timeout: float) -> type[HttpToolsProtocol]:
    """The protocol class with these limits (uvicorn's ``http=``)."""
    return type("LimitedHttpTools", (_Limited,), {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout})


def server_options(settings: Settings) -> dict[str, Any]:
    """What ``uvicorn.run``/``uvicorn.Config`` need for these limits."""
    return {"http": limited_protocol(settings.max_header_bytes, settings.header_timeout_seconds),
            "h11_max_incomplete_event_size": settings.max_header_bytes}


def __getattr__(name: str) -> Any:
    """``LimitedHttpTools`` for uvicorn's ``--http`` option, built from the environment when asked for."""
    if name == "LimitedHttpTools":
        return server_options(load_settings())["http"]
    raise AttributeError(name)
