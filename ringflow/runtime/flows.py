"""Where the runtime gets compiled flows: the store, with a cache per revision.

A published revision never changes, so its compiled form is cached by
(customer_id, flow_id, revision) and shared by every call; only "which revision is
published now" is re-read, at most every couple of seconds. Drafts (test calls) are
keyed by a negative revision so they never collide with published ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Hashable, Protocol, TypeVar, cast

from ringflow.bytelru import ByteLRU
from ringflow.model.document import FlowDocument
from ringflow.runtime.backends import BackendUnavailable
from ringflow.runtime.compile import CompiledFlow, compile_flow
from ringflow.store.base import NotFound, Store, StoreError

log = logging.getLogger("ringflow.runtime")
T = TypeVar("T")


class FlowsUnavailable(BackendUnavailable):
    """The store cannot be read (a database outage): callers hear an apology, never "not set up"."""


class FlowSource(Protocol):
    async def owner(self, flow_id: int) -> int | None: ...
    async def published(self, customer_id: int, flow_id: int) -> CompiledFlow | None: ...
    async def draft(self, customer_id: int, flow_id: int) -> CompiledFlow | None: ...
    async def by_key(self, key: Hashable) -> CompiledFlow | None: ...


COMPILED_BYTES_PER_NODE = 1024  # measured: about 900 bytes per node of a compiled demo flow
COMPILED_CACHE_BYTES = 256 * 1024 * 1024


class _Cache:
    """Compiled flows by key, bounded by (estimated) bytes: a million-node flow costs a million
    entries' worth, so a few huge flows cannot hold the memory a count of flows would allow."""

    def __init__(self, max_bytes: int = COMPILED_CACHE_BYTES):
        self.items: ByteLRU[CompiledFlow] = ByteLRU(max_bytes)

    def get(self, key: Hashable) -> CompiledFlow | None:
        return self.items.get(key)

    def put(self, cf: CompiledFlow) -> CompiledFlow:
        self.items.put(cf.key, cf, 4096 + COMPILED_BYTES_PER_NODE * len(cf.ids))
        return cf


class StoreFlows:
    """FlowSource over a ``Store`` (sync calls run in a worker thread, only on cache misses)."""

    def __init__(self, store: Store, max_bytes: int = COMPILED_CACHE_BYTES, ttl: float = 2.0):
        self.store, self.ttl = store, ttl
        self._cache = _Cache(max_bytes)
        self._published: dict[tuple[int, int], tuple[float, int | None]] = {}
        self._owners: dict[int, tuple[float, int | None]] = {}

    async def _read(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """One store read in a worker thread; a failure that is not the store's own answer
        (NotFound, ...) is an outage: logged here with what was read, raised as FlowsUnavailable."""
        try:
            return await asyncio.to_thread(fn, *args)
        except StoreError:
            raise
        except Exception as exc:
            log.error("store unavailable reading %s %s: %s", what, args, exc, exc_info=True)
            raise FlowsUnavailable(f"store unavailable reading {what}") from exc

    async def owner(self, flow_id: int) -> int | None:
        hit = self._owners.get(flow_id)
        now = time.monotonic()
        if hit and now - hit[0] < 30:
            return hit[1]
        customer = await self._read("the owner of flow", self.store.flow_owner, flow_id)
        if len(self._owners) > 100_000:
            self._owners.clear()
        self._owners[flow_id] = (now, customer)
        return customer

    async def _published_revision(self, customer_id: int, flow_id: int) -> int | None:
        now = time.monotonic()
        hit = self._published.get((customer_id, flow_id))
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        meta = await self._read("flow", self.store.get_flow, customer_id, flow_id)
        rev = meta.published_revision if meta is not None else None
        if len(self._published) > 100_000:
            self._published.clear()
        self._published[(customer_id, flow_id)] = (now, rev)
        return rev

    async def published(self, customer_id: int, flow_id: int) -> CompiledFlow | None:
        rev = await self._published_revision(customer_id, flow_id)
        return None if rev is None else await self.by_key((customer_id, flow_id, rev))

    async def draft(self, customer_id: int, flow_id: int) -> CompiledFlow | None:
        meta = await self._read("flow", self.store.get_flow, customer_id, flow_id)
        if meta is None:
            return None
        key = (customer_id, flow_id, -meta.revision)
        cf = self._cache.get(key)
        if cf is None:
            doc = await self._read("draft of flow", self.store.get_document, customer_id, flow_id)
            cf = self._cache.put(compile_flow(doc, key))
        return cf

    def cached(self, key: Hashable) -> CompiledFlow | None:
        return self._cache.get(key)

    def forget(self, customer_id: int, flow_id: int) -> None:
        """A deleted flow: drop its compiled revisions, its published revision and its owner now,
        so a webhook or test call for it stops at once instead of after the TTLs."""
        self._cache.items.drop_where(lambda k: k[:2] == (customer_id, flow_id))  # type: ignore[index]
        self._published.pop((customer_id, flow_id), None)
        self._owners.pop(flow_id, None)

    async def by_key(self, key: Hashable) -> CompiledFlow | None:
        cf = self._cache.get(key)
        if cf is not None:
            return cf
        customer_id, flow_id, rev = cast(tuple[int, int, int], key)
        if rev <= 0:  # a draft test call served by another process (or after eviction): same draft revision only
            draft = await self.draft(customer_id, flow_id)
            return draft if draft is not None and draft.key == key else None
        try:
            _, doc = await self._read("revision of flow", self.store.get_revision, customer_id, flow_id, rev)
        except NotFound:  # the flow was deleted under a live call
            return None
        return self._cache.put(compile_flow(doc, key))


class StaticFlows:
    """FlowSource over documents in memory: for the simulator, benchmarks and tests."""

    def __init__(self, docs: dict[tuple[int, int], FlowDocument] | None = None):
        self._flows: dict[tuple[int, int], CompiledFlow] = {}
        for (customer_id, flow_id), doc in (docs or {}).items():
            self.add(customer_id, flow_id, doc)

    def add(self, customer_id: int, flow_id: int, doc: FlowDocument, revision: int = 1) -> CompiledFlow:
        cf = compile_flow(doc, (customer_id, flow_id, revision))
        self._flows[(customer_id, flow_id)] = cf
        return cf

    async def owner(self, flow_id: int) -> int | None:
        return next((c for c, f in self._flows if f == flow_id), None)

    async def published(self, customer_id: int, flow_id: int) -> CompiledFlow | None:
        return self._flows.get((customer_id, flow_id))

    async def draft(self, customer_id: int, flow_id: int) -> CompiledFlow | None:
        return self._flows.get((customer_id, flow_id))

    async def by_key(self, key: Hashable) -> CompiledFlow | None:
        cf = self._flows.get(key[:2])  # type: ignore[index]
        return cf if cf is not None and cf.key == key else None
