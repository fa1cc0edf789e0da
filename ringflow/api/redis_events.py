"""A Redis-backed event hub: editors connected to different server processes see each other.

Each flow's recent events live in a capped Redis stream (``XADD ... MAXLEN ~ 512``, one hash tag
per flow, so one shard of a cluster); a pub/sub channel carries only "flow N has news", so each
process wakes just its own listeners, which then read the stream from their position. Event ids
are the stream ids, valid in every process and across restarts. On a Redis Cluster a PUBLISH
reaches every node, so the listener subscribes on any one node and moves to another when it fails.

All of it goes through the package's one Redis layer (:mod:`ringflow.redisio`) on the event loop.
``publish`` may be called from any thread (sync route handlers): events are queued and written
in order by one task, so a flow's patches land in the stream in the order they were made.

If Redis is down, publishing logs and drops the event (the write itself already succeeded) and
listeners are told to reload once it is back, so nothing is ever silently missed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections import deque
from typing import Any, Hashable

import anyio.from_thread
import orjson
import redis.asyncio as aioredis

from ringflow.api.events import RING_SIZE, Batch, Subscription
from ringflow.redisio import FAILURES, RedisLink, as_dict

log = logging.getLogger("ringflow.api")
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}\Z")
READ_MAX = 1000
DRAIN_SECONDS = 2.0  # at shutdown, how long queued events may take to reach their streams
APPEND = """
for i = 4, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return #ARGV - 3
"""  # KEYS: the flow's stream; ARGV: ring size, channel, flow, events... (PUBLISH reaches every node of a cluster)


def _sid(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisHub:
    def __init__(self, url: str, prefix: str = "ringflow:events:", ring_size: int = RING_SIZE, link: RedisLink | None = None):
        self.link = link or RedisLink.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.channel = prefix + "notify"
        self.ring_size = ring_size
        self._subs: dict[str, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._closed = False
        self._append = self.link.script(APPEND)

    def _key(self, flow: str) -> str:
        return f"{self.prefix}{{{flow}}}"  # hash tag: one flow's stream stays on one cluster shard

    # --- publishing (any thread) -------------------------------------------------------------------

    def _event_loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            pass
        if self._loop is not None and not self._loop.is_closed():
            return self._loop
        try:  # a worker thread of the app's thread pool: ask its loop
            return anyio.from_thread.run_sync(asyncio.get_running_loop)
        except RuntimeError:
            return None

    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str:
        """Queue the event for its flow's stream; returns "" (the id is the stream's, known later)."""
        flow = str(flow_key)
        loop = self._event_loop()
        if loop is None or self._closed:
            log.warning("event for flow %s dropped: no event loop to write it from", flow)
            return ""
        self._outbox.append((flow, orjson.dumps(event)))
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._kick()
        else:
            loop.call_soon_threadsafe(self._kick)
        return ""

    def _kick(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._writer is None or self._writer.done():
            self._writer = self._loop.create_task(self._write())

    async def _write(self) -> None:
        """Drain the outbox a batch at a time (one pipeline per shard), in order: per flow one script
        that appends its events and then publishes the news, from the stream's own shard, so a
        listener is never woken before the events are there, and an edit costs one round trip."""
        while self._outbox:
            batch = [self._outbox.popleft() for _ in range(len(self._outbox))]
            by_flow: dict[str, list[bytes]] = {}
            for flow, blob in batch:
                by_flow.setdefault(flow, []).append(blob)
            done = await asyncio.gather(*(self.link.evalsha(self._append, [self._key(flow)], [self.ring_size, self.channel, flow, *blobs])
                                          for flow, blobs in by_flow.items()), return_exceptions=True)
            failed = [(len(blobs), r) for blobs, r in zip(by_flow.values(), done) if isinstance(r, BaseException)]
            if failed:
                log.warning("%d event write(s) dropped: redis unavailable (%s)", sum(n for n, _ in failed), failed[0][1])

    # --- listening (event loop) --------------------------------------------------------------------

    async def _tail(self, flow: str) -> str:
        last = await self.link.call("XREVRANGE", self._key(flow), "+", "-", "COUNT", 1)
        return _text(last[0][0]) if last else "0-0"

    async def subscribe(self, flow_key: Hashable, last_event_id: str | None = None) -> Subscription:
        flow = str(flow_key)
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._ensure_listener()
        try:
            if last_event_id is None:
                last: str | None = await self._tail(flow)
            else:
                last = last_event_id if STREAM_ID.match(last_event_id) else None
        except FAILURES:
            last = None
        sub = Subscription(flow, last, loop)
        self._subs.setdefault(flow, set()).add(sub)
        sub.wake.set()  # let the stream check for anything after ``last`` at once
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(str(sub.flow_key))
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.flow_key]  # type: ignore[arg-type]

    async def read(self, sub: Subscription) -> Batch:
        sub.wake.clear()
        flow = str(sub.flow_key)
        key = self._key(flow)
        try:
            if sub.last is None:
                sub.last = await self._tail(flow)
                return Batch([], sub.last, reload=True)
            # both in one round trip: what is new, and whether what came before it was trimmed away
            entries, info = await asyncio.gather(self.link.send("XRANGE", key, "(" + sub.last, "+", "COUNT", READ_MAX),
                                                 self.link.send("XINFO", "STREAM", key))
            if isinstance(entries, Exception):
                raise entries
            if not isinstance(info, Exception) and self._missed(sub.last, as_dict(info)):
                sub.last = await self._tail(flow)
                return Batch([], sub.last, reload=True)
        except FAILURES:
            sub.last = None  # we cannot know what was missed: reload once Redis answers again
            return Batch([], None)
        if not entries:
            return Batch([], None)
        sub.last = _text(entries[-1][0])
        if len(entries) == READ_MAX:
            sub.wake.set()  # more to come in the next batch
        return Batch([orjson.loads(as_dict(fields)[b"e"]) for _, fields in entries], sub.last)

    @staticmethod
    def _missed(last: str, info: dict[Any, Any]) -> bool:
        """Were entries after ``last`` trimmed away? (Errs towards a harmless extra reload.)"""
        info = {_text(k): v for k, v in info.items()}
        first = info.get("first-entry")
        if not first or int(info.get("entries-added", 0)) <= int(info.get("length", 0)):
            return False  # nothing was ever trimmed
        return _sid(last) < _sid(_text(first[0]))

    def position(self, sub: Subscription) -> str:
        return sub.last or "0-0"

    def stream_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    # --- the one pub/sub listener per process ------------------------------------------------------

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    def _wake(self, flow: str | None) -> None:
        subs = [s for group in self._subs.values() for s in group] if flow is None else list(self._subs.get(flow, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.wake.set)
            except RuntimeError:  # that loop has closed; the stream is gone
                pass

    async def _subscriber(self) -> Any:
        """A plain connection for SUBSCRIBE: the server itself, or one node of the cluster (any will do)."""
        client = await self.link.ready()
        if not self.link.cluster:
            return client.pubsub(ignore_subscribe_messages=True), None
        node = random.choice(client.get_nodes())
        conn = aioredis.Redis(host=node.host, port=node.port, **{k: v for k, v in self.link.options.items()
                                                                if k in ("username", "password", "socket_connect_timeout")})
        return conn.pubsub(ignore_subscribe_messages=True), conn

    async def _listen(self) -> None:
        while not self._closed:
            pubsub, conn = None, None
            try:
                pubsub, conn = await self._subscriber()
                await pubsub.subscribe(self.channel)
                self._wake(None)  # (re)connected: everyone re-reads what they may have missed
                while not self._closed:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        self._wake(_text(message["data"]))
            except FAILURES as exc:
                log.info("event listener reconnecting: %s", exc)
                await asyncio.sleep(0.5)
            finally:
                if pubsub is not None:
                    await pubsub.aclose()
                if conn is not None:
                    await conn.aclose()

    async def aclose(self) -> None:
        self._closed = True
        # events already accepted (their PATCH answered 200) reach their streams before the link closes
        if self._outbox and (self._writer is None or self._writer.done()):
            self._writer = asyncio.get_running_loop().create_task(self._write())
        if self._writer is not None and not self._writer.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), DRAIN_SECONDS)
            except asyncio.TimeoutError:
                log.warning("%d event(s) not written before shutdown", len(self._outbox))
            except FAILURES as exc:
                log.warning("events not written before shutdown: %s", exc)
        for task in (self._listener, self._writer):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass  # what cancel() asked for
                except FAILURES as exc:
                    log.info("event task ended with %s at shutdown", exc)
        await self.link.aclose()

    def close(self) -> Any:
        """From the loop: a coroutine to await. From elsewhere: stop what can be stopped."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._closed = True
            return None
        return self.aclose()
