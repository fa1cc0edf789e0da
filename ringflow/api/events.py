"""In-process pub/sub for a flow's live events (editors' patches, the runtime's call counts).

Each flow has a bounded ring of recent events with increasing ids. A subscriber holds
only the id it has seen and one ``asyncio.Event`` (no queue per connection): when woken
it reads what is newer from the ring. A subscriber that fell further behind than the
ring holds is told to reload. ``publish`` is safe from any thread (sync route handlers
run in a thread pool; the runtime may publish from anywhere).

The :class:`Hub` protocol is what the API depends on, so a Redis-backed hub (pub/sub
plus a capped stream per flow) can replace :class:`EventHub` for several processes.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Hashable, Protocol

RING_SIZE = 512


@dataclass(slots=True, eq=False)  # identity equality: a set member per connection
class Subscription:
    """One listener: where it is in the flow's ring, and how to wake it."""

    flow_key: Hashable
    last_seq: int
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class Batch:
    """What a subscriber gets: events after its position, or ``reload`` when they are gone."""

    events: list[dict[str, Any]]
    last_id: str | None
    reload: bool = False


class Hub(Protocol):
    epoch: str

    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str: ...
    def subscribe(self, flow_key: Hashable, last_event_id: str | None = None) -> Subscription: ...
    def unsubscribe(self, sub: Subscription) -> None: ...
    def read(self, sub: Subscription) -> Batch: ...
    def stream_count(self) -> int: ...


class _FlowRing:
    __slots__ = ("seq", "ring", "subs")

    def __init__(self) -> None:
        self.seq = 0
        self.ring: deque[tuple[int, dict[str, Any]]] = deque(maxlen=RING_SIZE)
        self.subs: set[Subscription] = set()


class EventHub:
    """The single-process hub. Event ids are ``<epoch>-<seq>``: an id from before a restart reloads."""

    def __init__(self, ring_size: int = RING_SIZE) -> None:
        self.epoch = secrets.token_hex(4)
        self.ring_size = ring_size
        self._flows: dict[Hashable, _FlowRing] = {}
        self._lock = threading.Lock()

    def _flow(self, key: Hashable) -> _FlowRing:
        fr = self._flows.get(key)
        if fr is None:
            fr = self._flows[key] = _FlowRing()
            fr.ring = deque(maxlen=self.ring_size)
        return fr

    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str:
        """Append ``event`` (a JSON-able dict with a ``type``) to the flow's ring and wake listeners."""
        with self._lock:
            fr = self._flow(flow_key)
            fr.seq += 1
            fr.ring.append((fr.seq, event))
            subs = list(fr.subs)
            seq = fr.seq
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.wake.set)
            except RuntimeError:  # that loop has closed; the stream is gone
                pass
        return self.event_id(seq)

    def subscribe(self, flow_key: Hashable, last_event_id: str | None = None) -> Subscription:
        """Start listening now, or right after ``last_event_id`` when resuming."""
        loop = asyncio.get_running_loop()
        with self._lock:
            fr = self._flow(flow_key)
            last = fr.seq
            if last_event_id is not None:
                epoch, _, seq = last_event_id.partition("-")
                last = int(seq) if epoch == self.epoch and seq.isdigit() and int(seq) <= fr.seq else -1
            sub = Subscription(flow_key, last, loop)
            fr.subs.add(sub)
            if last < fr.seq:
                sub.wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            fr = self._flows.get(sub.flow_key)
            if fr is not None:
                fr.subs.discard(sub)
                if not fr.subs and not fr.ring:
                    del self._flows[sub.flow_key]

    def read(self, sub: Subscription) -> Batch:
        """Everything newer than the subscriber's position, advancing it."""
        with self._lock:
            fr = self._flow(sub.flow_key)
            sub.wake.clear()
            if sub.last_seq >= fr.seq:
                return Batch([], None)
            oldest = fr.ring[0][0] if fr.ring else fr.seq + 1
            reload = sub.last_seq < 0 or sub.last_seq + 1 < oldest
            events = [ev for seq, ev in fr.ring if seq > sub.last_seq] if not reload else []
            sub.last_seq = fr.seq
            return Batch(events, self.event_id(fr.seq), reload)

    def stream_count(self) -> int:
        with self._lock:
            return sum(len(fr.subs) for fr in self._flows.values())
