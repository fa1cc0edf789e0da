"""One auto-pipelined Redis connection for the webhook hot path.

redis-py spends ~100-150 µs of CPU per command (pool checkout, retry wrapper, observability
hooks, generic argument encoding) plus one socket write and one read per command. Webhooks
issue small, independent commands from many coroutines at once, so here every command issued
during one event-loop turn goes out in a single write, and replies are matched to callers in
order (Redis answers in order on one connection). ~10 µs of Python per command.

Failure semantics match the rest of the runtime: an unreachable Redis, a dropped connection
or a reply later than ``timeout`` raises ``ConnectionError`` (an ``OSError``) in every waiting
caller, and the next command reconnects.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from typing import Any
from urllib.parse import unquote, urlparse

from redis.exceptions import NoScriptError, ResponseError


class RespError(ResponseError):
    """Redis answered with an error reply (a bug or a bad script, not an outage)."""


def pack(args: tuple[Any, ...]) -> bytes:
    out = []
    for a in args:
        if type(a) is not bytes:
            a = str(a).encode()
        out.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"*%d\r\n" % len(args) + b"".join(out)


class _Reader:
    """Incremental RESP2 parser: ``feed`` bytes, ``take`` whole replies."""

    _INCOMPLETE = object()

    def __init__(self) -> None:
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data: bytes) -> None:
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def take(self) -> Any:
        """The next whole reply, or ``_INCOMPLETE``."""
        start = self.pos
        got = self._one()
        if got is self._INCOMPLETE:
            self.pos = start
        return got

    def _one(self) -> Any:
        buf = self.buf
        end = buf.find(b"\r\n", self.pos)
        if end < 0:
            return self._INCOMPLETE
        kind, line = buf[self.pos], bytes(buf[self.pos + 1:end])
        self.pos = end + 2
        if kind == 58:  # ':'
            return int(line)
        if kind == 36:  # '$'
            n = int(line)
            if n < 0:
                return None
            if len(buf) < self.pos + n + 2:
                return self._INCOMPLETE
            value = bytes(buf[self.pos:self.pos + n])
            self.pos += n + 2
            return value
        if kind == 42:  # '*'
            n = int(line)
            if n < 0:
                return None
            items = []
            for _ in range(n):
                item = self._one()
                if item is self._INCOMPLETE:
                    return item
                items.append(item)
            return items
        if kind == 43:  # '+'
            return line
        if kind == 45:  # '-'
            text = line.decode(errors="replace")
            return NoScriptError(text) if text.startswith("NOSCRIPT") else RespError(text)
        raise ConnectionError(f"unexpected Redis reply type {chr(kind)!r}")


class Pipe(asyncio.Protocol):
    def __init__(self, host: str = "127.0.0.1", port: int = 6379, db: int = 0, username: str | None = None,
                 password: str | None = None, connect_timeout: float = 0.5, timeout: float = 1.0, *, tls: bool = False,
                 unix_path: str | None = None):
        self.host, self.port, self.db, self.username, self.password = host, port, db, username, password
        self.connect_timeout, self.timeout, self.tls, self.unix_path = connect_timeout, timeout, tls, unix_path
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the connection belongs to
        self._connecting: asyncio.Task[None] | None = None
        self._out: list[bytes] = []  # packed commands not yet written
        self._waiting: deque[tuple[asyncio.Future[Any], float]] = deque()  # (caller, sent at), in command order
        self._reader = _Reader()
        self._flush_armed = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._scripts: dict[str, bytes] = {}  # sha1 -> source

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> "Pipe":
        u = urlparse(url)
        user, password = unquote(u.username) if u.username else None, unquote(u.password) if u.password else None
        query = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
        if u.scheme == "unix":
            return cls(db=int(query.get("db", 0)), username=user, password=password, unix_path=u.path, **kw)
        db = int(u.path.lstrip("/")) if u.path.lstrip("/").isdigit() else int(query.get("db", 0))
        return cls(u.hostname or "127.0.0.1", u.port or 6379, db, user, password, tls=u.scheme == "rediss", **kw)

    @classmethod
    def like(cls, client: Any) -> "Pipe":
        """A pipe to the same server as a redis-py client (its pool's connection settings)."""
        pool = client.connection_pool
        kw = pool.connection_kwargs
        return cls(kw.get("host", "127.0.0.1"), kw.get("port", 6379), int(kw.get("db", 0)), kw.get("username"), kw.get("password"),
                   kw.get("socket_connect_timeout") or 0.5, kw.get("socket_timeout") or 1.0,
                   tls="SSL" in pool.connection_class.__name__, unix_path=kw.get("path"))

    # --- sending -----------------------------------------------------------------------------

    def send(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command; the future gets its reply (or the error). Never blocks."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or the app moved to a new loop (tests): start afresh
            self._loop, self._transport, self._connecting, self._flush_armed, self._watchdog = loop, None, None, False, None
            self._out, self._waiting = [], deque()
        fut: asyncio.Future[Any] = loop.create_future()
        self._out.append(pack(args))
        self._waiting.append((fut, time.monotonic()))
        if self._transport is None:
            if self._connecting is None:
                self._connecting = loop.create_task(self._connect())
        elif not self._flush_armed:
            self._flush_armed = True
            loop.call_soon(self._flush)
        return fut

    async def call(self, *args: Any) -> Any:
        result = await self.send(*args)
        if isinstance(result, Exception):
            raise result
        return result

    def script(self, source: str) -> str:
        sha = hashlib.sha1(source.encode()).hexdigest()
        self._scripts[sha] = source.encode()
        return sha

    async def evalsha(self, sha: str, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA, loading the script once if this server has not seen it (e.g. after a restart)."""
        result = await self.send("EVALSHA", sha, len(keys), *keys, *args)
        if isinstance(result, NoScriptError):
            result = await self.send("EVAL", self._scripts[sha], len(keys), *keys, *args)  # also caches it server side
        if isinstance(result, Exception):
            raise result
        return result

    def _flush(self) -> None:
        self._flush_armed = False
        if self._transport is not None and self._out:
            data, self._out = b"".join(self._out), []
            self._transport.write(data)
            if self._watchdog is None:
                self._watchdog = asyncio.get_running_loop().call_later(self.timeout, self._check)

    def _check(self) -> None:
        """A reply overdue by ``timeout``: the server hangs or the network dropped; fail everyone."""
        self._watchdog = None
        if not self._waiting:
            return
        if time.monotonic() - self._waiting[0][1] > self.timeout and self._transport is not None:
            self._transport.abort()  # connection_lost fails the waiters
            return
        self._watchdog = asyncio.get_running_loop().call_later(self.timeout / 2, self._check)

    # --- connection --------------------------------------------------------------------------

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.unix_path:
                connecting = loop.create_unix_connection(lambda: self, self.unix_path)
            else:
                connecting = loop.create_connection(lambda: self, self.host, self.port, ssl=self.tls or None)
            await asyncio.wait_for(connecting, self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self._connecting = None
            self._fail(ConnectionError(f"Redis at {self.host}:{self.port} unreachable: {exc!r}"))
            return
        self._connecting = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._reader = _Reader()
        hello: list[bytes] = []
        if self.password:
            hello.append(pack(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)))
        if self.db:
            hello.append(pack(("SELECT", self.db)))
        if hello:  # their replies are skipped by waiter placeholders put first in line
            loop = asyncio.get_running_loop()
            for _ in hello:
                self._waiting.appendleft((loop.create_future(), time.monotonic()))
            self._out[:0] = hello
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while self._waiting:
            reply = self._reader.take()
            if reply is _Reader._INCOMPLETE:
                return
            fut = self._waiting.popleft()[0]
            if not fut.done():
                fut.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        if asyncio.get_running_loop() is not self._loop:
            return  # a connection of a loop this pipe has left: its callers are gone with it
        self._transport = None
        self._fail(ConnectionError(f"Redis connection lost: {exc!r}"))

    def _fail(self, exc: Exception) -> None:
        self._out.clear()
        waiting, self._waiting = self._waiting, deque()
        for fut, _ in waiting:
            if not fut.done():
                fut.set_result(exc)
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
