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
from typing import Any, Awaitable, Hashable, Protocol

from ringflow.bytelru import ByteLRU

RING_SIZE = 512
# rings kept for flows nobody is watching, so a client reconnecting (stream lifetime, network blip) resumes
# without a gap; beyond this many, the ones idle the longest are forgotten (a very late resume then reloads)
MAX_IDLE_FLOWS = 2_000


@dataclass(slots=True, eq=False)  # identity equality: a set member per connection
class Subscription:
    """One listener: where it is in the flow's ring, and how to wake it."""

    flow_key: Hashable
    last: Any  # the hub's position: an int sequence here, a stream id in a Redis hub
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class Batch:
    """What a subscriber gets: events after its position, or ``reload`` when they are gone."""

    events: list[dict[str, Any]]
    last_id: str | None
    reload: bool = False


class Hub(Protocol):
    """What the API needs of a hub; ``read`` is called on the event loop and must be quick."""

    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str: ...
    # in-process hubs answer at once, the Redis hub with an awaitable (ringflow/api/stream.py awaits either)
    def subscribe(self, flow_key: Hashable, last_event_id: str | None = None) -> Subscription | Awaitable[Subscription]: ...
    def unsubscribe(self, sub: Subscription) -> None: ...
    def read(self, sub: Subscription) -> Batch | Awaitable[Batch]: ...
    def stream_count(self) -> int: ...
    def position(self, sub: Subscription) -> str: ...  # the event id a client resumes from


class _FlowRing:
    __slots__ = ("floor", "ring", "subs")

    def __init__(self, floor: int, size: int) -> None:
        self.floor = floor  # every event of this flow after ``floor`` is still in ``ring``
        self.ring: deque[tuple[int, dict[str, Any]]] = deque(maxlen=size)
        self.subs: set[Subscription] = set()


class EventHub:
    """The single-process hub. Event ids are ``<epoch>-<seq>`` from one counter for the whole hub,
    so an id from before a restart (other epoch) or from a forgotten ring is never misread.

    Rings of flows nobody watches sit in ``_idle`` in the order they became idle: bounding them
    costs O(1) per change, and the ring forgotten first is the one idle the longest, never a
    ring whose only listener is reconnecting right now."""

    def __init__(self, ring_size: int = RING_SIZE) -> None:
        self.epoch = secrets.token_hex(4)
        self.ring_size = ring_size
        self._flows: dict[Hashable, _FlowRing] = {}
        self._idle: ByteLRU[bool] = ByteLRU(MAX_IDLE_FLOWS)  # cost 1 each: the longest idle go first
        self._streams = 0
        self._seq = 0
        self._lock = threading.Lock()

    def _flow(self, key: Hashable) -> _FlowRing:
        fr = self._flows.get(key)
        if fr is None:
            fr = self._flows[key] = _FlowRing(self._seq, self.ring_size)
        return fr

    def _became_idle(self, key: Hashable) -> None:
        for forgotten in self._idle.put(key, True, 1):
            del self._flows[forgotten]

    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def position(self, sub: Subscription) -> str:
        return self.event_id(sub.last)

    def publish(self, flow_key: Hashable, event: dict[str, Any]) -> str:
        """Append ``event`` (a JSON-able dict with a ``type``) to the flow's ring and wake listeners."""
        with self._lock:
            fr = self._flow(flow_key)
            self._seq += 1
            seq = self._seq
            if len(fr.ring) == fr.ring.maxlen:
                fr.floor = fr.ring[0][0]  # about to be evicted
            fr.ring.append((seq, event))
            subs = list(fr.subs)
            if not subs and flow_key not in self._idle:
                self._became_idle(flow_key)
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
            last = self._seq
            if last_event_id is not None:
                epoch, _, seq = last_event_id.partition("-")
                last = int(seq) if epoch == self.epoch and seq.isdigit() and int(seq) <= self._seq else -1
            sub = Subscription(flow_key, last, loop)
            fr.subs.add(sub)
            self._idle.pop(flow_key)
            self._streams += 1
            if last < fr.floor or (fr.ring and fr.ring[-1][0] > last):
                sub.wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            fr = self._flows.get(sub.flow_key)
            if fr is None or sub not in fr.subs:
                return
            fr.subs.discard(sub)
            self._streams -= 1
            if not fr.subs:
                # kept even when empty: its floor still proves "nothing happened since", so the
                # listener resuming in a moment gets no needless reload
                self._became_idle(sub.flow_key)

    def read(self, sub: Subscription) -> Batch:
        """Everything newer than the subscriber's position, advancing it (or ``reload``)."""
        with self._lock:
            fr = self._flow(sub.flow_key)
            sub.wake.clear()
            if sub.last < fr.floor:  # what it missed has left the ring, or predates this process
                sub.last = self._seq
                return Batch([], self.event_id(self._seq), reload=True)
            events = [ev for seq, ev in fr.ring if seq > sub.last]
            if not events:
                return Batch([], None)
            sub.last = fr.ring[-1][0]
            return Batch(events, self.event_id(sub.last))

    def stream_count(self) -> int:
        return self._streams
