"""A revision's editor data (skeleton, problems) computed when the revision is written, not when
someone first opens it.

Every write path hands the new revision here: the API's create, PATCH, restore and publish
(``Precompute.written``) and the CLI's ``ringflow import`` / ``ringflow demo``
(``share_written``). With Redis the results go to the shared per-revision store
(:mod:`ringflow.api.shared_cache`), so every worker, cold or warm, and every worker after a
restart, opens even a 500,000-node flow without building anything; without Redis the one
process's caches are warm for the first open.

The work runs off the request path on the app's bounded pool (:mod:`ringflow.api.background`,
fair between customers), one job per flow at a time: a burst of PATCHes (a user dragging nodes)
builds only the newest revision once the build in progress ends, not one build per PATCH. When
the customer's queue there is full the precompute is skipped (logged): the write still succeeds,
and the first open builds what it needs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from ringflow.api.background import Background, QueueFull
from ringflow.api.flows import ProblemCache
from ringflow.api.problems import summarize
from ringflow.api.skeleton import SkeletonCache, build_skeleton
from ringflow.model.validation import validate
from ringflow.store.base import NotFound

log = logging.getLogger("ringflow.api")
FlowKey = tuple[int, int]  # (customer_id, flow_id)


def skeleton_of(store: Any, cache: SkeletonCache, customer_id: int, flow_id: int) -> None:
    """The newest revision's skeleton into ``cache`` (unless it is there already)."""
    with cache.build_lock((customer_id, flow_id)):
        geo = store.geometry(customer_id, flow_id)  # one snapshot: its revision is the one it draws
        key = (customer_id, flow_id, geo.revision)
        if cache.get(key) is None:
            cache.put(key, build_skeleton(geo, geo.revision), geo.revision)


def problems_of(store: Any, cache: ProblemCache, customer_id: int, flow_id: int) -> None:
    """The newest revision's problem summary into ``cache``; nothing if another write came meanwhile
    (the document read might then be of the newer revision: that write computes its own)."""
    meta = store.get_flow(customer_id, flow_id)
    if meta is None:
        return
    key = (customer_id, flow_id, meta.revision)
    if cache.peek(key) is not None:
        return
    doc = store.get_document(customer_id, flow_id)
    now = store.get_flow(customer_id, flow_id)
    if now is not None and now.revision == meta.revision:
        cache.put(key, summarize(validate(doc)))


class Precompute:
    """Skeleton and problems of each written revision, in the background, newest revision only."""

    def __init__(self, store: Any, skeletons: SkeletonCache, problems: ProblemCache, background: Background):
        self.store, self.skeletons, self.problems, self.background = store, skeletons, problems, background
        self._lock = threading.Lock()
        self._dirty: set[FlowKey] = set()
        self._running: set[FlowKey] = set()
        self._given: dict[FlowKey, tuple[int, dict[str, Any]]] = {}
        self.builds = 0  # revisions precomputed (tests, metrics)

    def written(self, customer_id: int, flow_id: int, revision: int, problems: dict[str, Any] | None = None) -> None:
        """A revision was just written (its problems, when the writer already has them)."""
        for cache in (self.skeletons, self.problems):  # shared caches reach Redis through the app's loop
            bridge = getattr(cache, "bridge", None)
            if bridge is not None:
                bridge.remember_loop()
        flow = (customer_id, flow_id)
        with self._lock:
            self._dirty.add(flow)
            if problems is not None:  # stored by the thread: a shared cache must not wait on Redis from the loop's own thread
                self._given[flow] = (revision, problems)
            if flow in self._running:
                return  # the running build picks the newest revision up when it ends
            self._running.add(flow)
        try:
            job = self.background.submit(customer_id, lambda: self._run(flow), f"precomputing the editor data of flow {flow_id}")
        except QueueFull as exc:  # this customer's queue is full: skipped, never the writer's error; the first open builds it
            self._dropped(flow)
            log.warning("%s; the first open will build it", exc)
            return
        job.add_done_callback(lambda f: self._dropped(flow) if f.cancelled() else None)  # the app shut down first

    def _dropped(self, flow: FlowKey) -> None:
        with self._lock:
            self._running.discard(flow)
            self._dirty.discard(flow)
            self._given.pop(flow, None)

    def _run(self, flow: FlowKey) -> None:
        while True:
            with self._lock:
                if flow not in self._dirty:
                    self._running.discard(flow)
                    return
                self._dirty.discard(flow)
                given = self._given.pop(flow, None)
            try:
                if given is not None:
                    self.problems.put((*flow, given[0]), given[1])
                skeleton_of(self.store, self.skeletons, *flow)
                problems_of(self.store, self.problems, *flow)
                self.builds += 1
            except NotFound:  # deleted meanwhile
                pass
            except Exception:  # noqa: BLE001 - a store or Redis hiccup: the first open builds it, and the operator hears of it
                log.exception("precomputing the editor data of flow %s failed; the first open will build it", flow[1])

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until no precompute runs (tests, benchmarks, the CLI)."""
        for _ in range(int(timeout * 20)):
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.05)
        return False


def share_written(redis_url: str, prefix: str, store: Any, flows: list[FlowKey]) -> None:
    """From the CLI: compute the flows' editor data now and store it in Redis for every worker."""
    from ringflow.api.shared_cache import SharedProblemCache, SharedSkeletonCache
    from ringflow.redisio import RedisLink

    async def run() -> None:
        link = RedisLink.from_url(redis_url)
        skeletons, problems = SharedSkeletonCache(link, prefix), SharedProblemCache(link, prefix)
        skeletons.bridge.remember_loop()
        problems.bridge.remember_loop()
        try:
            for customer_id, flow_id in flows:
                await asyncio.to_thread(skeleton_of, store, skeletons, customer_id, flow_id)
                await asyncio.to_thread(problems_of, store, problems, customer_id, flow_id)
        finally:
            await link.aclose()

    asyncio.run(run())
