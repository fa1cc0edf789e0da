"""A Redis-backed event hub: editors connected to different server processes see each other.

Each flow's recent events live in a capped Redis stream (``XADD ... MAXLEN ~ 512``); a pub/sub
channel carries only "flow N has news", so each process wakes just its own listeners, which then
read the stream from their position. Event ids are the stream ids, valid in every process and
across restarts. Same :class:`~ringflow.api.events.Hub` protocol as the in-process hub.

If Redis is down, publishing logs and drops the event (the write itself already succeeded) and
listeners are told to reload once it is back, so nothing is ever silently missed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Any, Hashable

import orjson
import redis

from ringflow.api.events import RING_SIZE, Batch, Subscription

log = logging.getLogger("ringflow.api")
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}\Z")


def _sid(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq)


class RedisHub:
    def __init__(self, url: str, prefix: str = "ringflow:events:", ring_size: int = RING_SIZE):
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.channel = prefix + "notify"
        self.ring_size = ring_size
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def _key(self, flow: str) -> str:
        return f"{self.prefix}{{{flow}}}"  # hash tag: one flow's stream stays on one cluster shard

    # --- publishing (any thread)
    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str:
        flow = str(flow_key)
        try:
            sid = self.redis.xadd(self._key(flow), {"e": orjson.dumps(event)}, maxlen=self.ring_size, approximate=True)
            self.redis.publish(self.channel, flow)
        except redis.RedisError as exc:
            log.warning("event for flow %s dropped: redis unavailable (%s)", flow, exc)
            return ""
        return sid.decode() if isinstance(sid, bytes) else str(sid)

    # --- listening (event loop)
    def _tail(self, flow: str) -> str:
        last = self.redis.xrevrange(self._key(flow), count=1)
        return last[0][0].decode() if last else "0-0"

    def subscribe(self, flow_key: Hashable, last_event_id: str | None = None) -> Subscription:
        flow = str(flow_key)
        loop = asyncio.get_running_loop()
        self._ensure_listener()
        try:
            if last_event_id is None:
                last: str | None = self._tail(flow)
            else:
                last = last_event_id if STREAM_ID.match(last_event_id) else None
        except redis.RedisError:
            last = None
        sub = Subscription(flow, last, loop)
        with self._lock:
            self._subs.setdefault(flow, set()).add(sub)
        sub.wake.set()  # let the stream check for anything after ``last`` at once
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.flow_key)  # type: ignore[arg-type]
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.flow_key]  # type: ignore[arg-type]

    def read(self, sub: Subscription) -> Batch:
        sub.wake.clear()
        key = self._key(str(sub.flow_key))
        try:
            if sub.last is None:
                sub.last = self._tail(str(sub.flow_key))
                return Batch([], sub.last, reload=True)
            info = self.redis.xinfo_stream(key) if self.redis.exists(key) else None
            if info and self._missed(sub.last, info):
                sub.last = self._tail(str(sub.flow_key))
                return Batch([], sub.last, reload=True)
            entries = self.redis.xrange(key, min="(" + sub.last, max="+", count=1000)
        except redis.RedisError:
            sub.last = None  # we cannot know what was missed: reload once Redis answers again
            return Batch([], None)
        if not entries:
            return Batch([], None)
        sub.last = entries[-1][0].decode()
        if len(entries) == 1000:
            sub.wake.set()  # more to come in the next batch
        return Batch([orjson.loads(fields[b"e"]) for _, fields in entries], sub.last)

    @staticmethod
    def _missed(last: str, info: dict[str, Any]) -> bool:
        """Were entries after ``last`` trimmed away? (Errs towards a harmless extra reload.)"""
        first = info.get("first-entry")
        if not first or int(info.get("entries-added", 0)) <= int(info.get("length", 0)):
            return False  # nothing was ever trimmed
        first_id = first[0].decode() if isinstance(first[0], bytes) else str(first[0])
        return _sid(last) < _sid(first_id)

    def position(self, sub: Subscription) -> str:
        return sub.last or "0-0"

    def stream_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subs.values())

    # --- the one pub/sub listener per process
    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="ringflow-events", daemon=True)
                self._listener.start()

    def _wake(self, flow: str | None) -> None:
        with self._lock:  # one flow's listeners by key: an event costs O(its listeners), not O(all streams)
            if flow is None:
                subs = [s for group in self._subs.values() for s in group]
            else:
                subs = list(self._subs.get(flow, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.wake.set)
            except RuntimeError:
                pass

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._wake(None)  # (re)connected: everyone re-reads what they may have missed
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        data = message["data"]
                        self._wake(data.decode() if isinstance(data, bytes) else str(data))
                pubsub.close()
            except redis.RedisError:
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
        self.redis.close()
