"""Per-revision editor data (skeleton, problems) shared by every worker through Redis.

Each process keeps its in-memory LRU in front (a warm hit stays a memory copy); behind it,
Redis holds what any worker computed, keyed by the cache's own key (customer, flow, revision
or flow, revision: ids and revisions are never reused), so a cold worker, or every worker
after a restart, serves a 500,000-node flow's skeleton in a GET instead of rebuilding it for
seconds. The skeleton is stored gzip-compressed (what most browsers receive anyway); problem
summaries as JSON. Entries expire after ``TTL`` seconds; Redis being down only costs the rebuild.

The editor routes are sync (thread pool), the Redis layer async: calls cross to the app's
event loop (``anyio.from_thread`` from a route's thread, the loop itself from other threads).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
from typing import Any, Callable, Hashable

import anyio.from_thread
import orjson

from ringflow.api.background import Background
from ringflow.api.flows import ProblemCache
from ringflow.api.skeleton import HEADER, Packed, SkeletonCache
from ringflow.redisio import OUTAGE, RedisLink

log = logging.getLogger("ringflow.api")
TTL = 7 * 24 * 3600
RUNTIME_OR_OUTAGE: tuple[type[BaseException], ...] = (*OUTAGE, RuntimeError)
CALL_TIMEOUT = 5.0


class _Bridge:
    """Run a coroutine of the link on the app's event loop from any thread."""

    def __init__(self, link: RedisLink):
        self.link = link
        self.loop: asyncio.AbstractEventLoop | None = None

    def remember_loop(self) -> None:
        """Called where the app's loop is at hand, for the background threads that will need it."""
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                self.loop = anyio.from_thread.run_sync(asyncio.get_running_loop)
            except RuntimeError:
                pass

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            self.loop = anyio.from_thread.run_sync(asyncio.get_running_loop)
            return anyio.from_thread.run(fn, *args)
        except RuntimeError:  # not a thread of the app's pool: use the loop seen last
            if self.loop is None or self.loop.is_closed():
                raise
            return asyncio.run_coroutine_threadsafe(fn(*args), self.loop).result(CALL_TIMEOUT)

    def get(self, key: str) -> bytes | None:
        try:
            raw: bytes | None = self.run(self.link.call, "GET", key)
            return raw
        except RUNTIME_OR_OUTAGE as exc:
            log.warning("shared editor cache unavailable, rebuilding locally: %s", exc)
            return None

    def put(self, key: str, value: bytes) -> None:
        try:
            self.run(self.link.call, "SET", key, value, "EX", TTL)
        except RUNTIME_OR_OUTAGE as exc:
            log.warning("shared editor cache not written: %s", exc)


def _name(prefix: str, kind: str, key: Hashable) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return f"{prefix}:ed:{kind}:" + ":".join(map(str, parts))


class SharedSkeletonCache(SkeletonCache):
    def __init__(self, link: RedisLink, prefix: str = "rf", max_bytes: int = 256 * 1024 * 1024):
        super().__init__(max_bytes)
        self.bridge, self.prefix = _Bridge(link), prefix

    def get(self, key: Hashable) -> Packed | None:
        hit = super().get(key)
        if hit is not None:
            return hit
        gz = self.bridge.get(_name(self.prefix, "skel", key))
        if gz is None:
            return None
        raw = gzip.decompress(gz)
        revision = HEADER.unpack_from(raw)[5]  # the header's revision field (docs/skeleton.md)
        return self.keep(key, Packed(raw, gz, revision))  # as it came from Redis: no second gzip of ~13 MB

    def put(self, key: Hashable, raw: bytes, revision: int) -> Packed:
        item = super().put(key, raw, revision)
        self.bridge.put(_name(self.prefix, "skel", key), item.gz)
        return item


class SharedProblemCache(ProblemCache):
    def __init__(self, link: RedisLink, prefix: str = "rf", max_bytes: int = 16 * 1024 * 1024,
                 background: Background | None = None):
        super().__init__(max_bytes, background)
        self.bridge, self.prefix = _Bridge(link), prefix

    def _shared(self, key: Any) -> dict[str, Any] | None:
        raw = self.bridge.get(_name(self.prefix, "problems", key))
        if raw is None:
            return None
        value: dict[str, Any] = orjson.loads(raw)
        super().put(key, value)
        return value

    def peek(self, key: Any) -> dict[str, Any] | None:
        hit = super().peek(key)
        return hit if hit is not None else self._shared(key)

    def put(self, key: Any, value: dict[str, Any]) -> None:
        super().put(key, value)
        self.bridge.put(_name(self.prefix, "problems", key), orjson.dumps(value))

    def make_in_background(self, key: Any, make: Any) -> None:
        self.bridge.remember_loop()
        super().make_in_background(key, make)

    def get_or_make(self, key: Any, make: Any) -> dict[str, Any]:
        hit = self.peek(key)
        return hit if hit is not None else super().get_or_make(key, make)
