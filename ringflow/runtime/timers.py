"""Due timers: a messaging conversation waiting in send-and-wait-for-reply follows its ``timeout``
transition by itself once the widget's timeout passes with no reply, as Studio does.

A timer is only a hint: ``(conversation sid, due time)``. When it comes due, the conversation's
state decides (still waiting at a reply widget, and waiting long enough by the state's own
time), so a reply that came first, a conversation that ended or moved on to another wait, or a
stale timer never fires a wrong branch. Where timers live follows the call state:

- in this process (``MemoryTimers``): a heap of due times;
- in Redis (``RedisTimers``): ``SHARDS`` sorted sets (``rf:{due7}:z``, score = due time), a
  conversation in the set its sid hashes to. Every script touches one key, so each runs on one
  Redis Cluster slot; the sets spread over the cluster's shards.

Claiming is exclusive: a claim moves the due timers it takes ``LEASE`` seconds into the future in
the same atomic step, so two workers (or two ticks) racing never take the same timer; the winner
removes it when done (only if it still holds that lease), and a worker that died mid-way leaves it
to be claimed again once the lease runs out. The timeout branch's messages are sent only after
the state's compare-and-set accepted the step, so they go out once.

Messages from the timeout branch have no webhook to answer: they go through the provider's REST
API (Messages) with the customer's account SID and token.

``run(services)`` is the ticker; the app's runtime services (``ringflow.api.services``) start it
with their other tasks in the app's lifespan and cancel it at shutdown.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import zlib
from typing import Any

from ringflow.runtime.backends import BackendUnavailable
from ringflow.runtime.callinfo import MESSAGE
from ringflow.runtime.compile import REPLY, CompiledFlow
from ringflow.runtime.service import Outcome
from ringflow.runtime.state import ENDED, CallState

log = logging.getLogger("ringflow.runtime.timers")
SHARDS = 16
LEASE = 30  # seconds a claimed timer belongs to the worker that claimed it
BATCH = 200  # timers claimed per shard and tick
TICK = 1.0  # seconds between ticks

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
"""
_DONE = """
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


class MemoryTimers:
    """Timers of one process: the latest due time per sid, and a heap that may hold stale entries."""

    def __init__(self) -> None:
        self.due: dict[str, int] = {}
        self.heap: list[tuple[int, str]] = []

    async def set(self, sid: str, at: int) -> None:
        self.due[sid] = at
        heapq.heappush(self.heap, (at, sid))

    async def claim(self, now: float, limit: int = BATCH) -> list[tuple[str, int]]:
        lease = int(now) + LEASE
        out: list[tuple[str, int]] = []
        taken: set[str] = set()
        while self.heap and self.heap[0][0] <= now and len(out) < limit:
            at, sid = heapq.heappop(self.heap)
            if self.due.get(sid) == at and sid not in taken:  # else a stale entry: the sid was set again since
                taken.add(sid)
                out.append((sid, lease))
        for sid, _ in out:
            await self.set(sid, lease)
        return out

    async def done(self, sid: str, lease: int) -> None:
        if self.due.get(sid) == lease:
            del self.due[sid]


class RedisTimers:
    """Timers shared by every worker: SHARDS sorted sets, each one key (one Cluster slot)."""

    def __init__(self, link: Any, prefix: str = "rf"):
        self.link, self.prefix = link, prefix
        self._claim = link.script(_CLAIM)
        self._done = link.script(_DONE)

    def key(self, shard: int) -> str:
        return f"{self.prefix}:{{due{shard}}}:z"

    def key_of(self, sid: str) -> str:
        return self.key(zlib.crc32(sid.encode()) % SHARDS)

    async def set(self, sid: str, at: int) -> None:
        await self.link.call("ZADD", self.key_of(sid), at, sid)

    async def claim(self, now: float, limit: int = BATCH) -> list[tuple[str, int]]:
        lease = int(now) + LEASE
        replies = await asyncio.gather(*(self.link.evalsha(self._claim, [self.key(i)], [now, lease, limit]) for i in range(SHARDS)))
        return [(m.decode() if isinstance(m, bytes) else str(m), lease) for got in replies for m in got or ()]

    async def done(self, sid: str, lease: int) -> None:
        await self.link.evalsha(self._done, [self.key_of(sid)], [sid, lease])


def of(svc: Any) -> MemoryTimers | RedisTimers:
    """The timers of an app's runtime services: in Redis when its calls live there."""
    found = getattr(svc, "_due_timers", None)
    if found is None:
        backend = svc.runtime.backend
        link = getattr(backend, "link", None)
        found = RedisTimers(link, getattr(backend, "prefix", "rf")) if link is not None else MemoryTimers()
        svc._due_timers = found
    return found


def reply_due(runtime: Any, st: CallState, cf: CompiledFlow) -> int | None:
    """The instant a conversation's send-and-wait-for-reply times out; None when it waits for no reply."""
    if st.node == ENDED or st.call[3] != MESSAGE or cf.kinds[st.node] != REPLY:
        return None
    return int(runtime.waiting_since(cf, st)) + int(cf.conf[st.node].timeout)


async def watch(svc: Any, out: Outcome) -> None:
    """After a conversation's step: if it now waits for a reply, file its timeout."""
    due = reply_due(svc.runtime, out.state, out.flow)
    if due is not None:
        await of(svc).set(out.state.call[0], due)


async def tick(svc: Any) -> int:
    """Fire every timer due by the runtime's clock; how many conversations took their timeout."""
    timers, now = of(svc), svc.runtime.clock()
    fired = 0
    for sid, lease in await timers.claim(now):
        try:
            fired += await _fire(svc, sid, now)
        except BackendUnavailable as exc:
            log.warning("conversation %s: timeout not taken (%s); retried once the lease of %d s ends", sid, exc, LEASE)
            continue
        await timers.done(sid, lease)
    return fired


async def _fire(svc: Any, sid: str, now: float) -> int:
    runtime = svc.runtime
    got = await runtime.get_state(sid)
    if got is None:
        return 0
    st, cf = got
    due = reply_due(runtime, st, cf)
    if due is None:
        return 0  # it ended or no longer waits for a reply: nothing to do
    if due > now:
        await of(svc).set(sid, due)  # it moved on to another wait since this timer was filed
        return 0
    out = await runtime.step_call(sid, st.step, ("timeout",))
    if out is None or out.replay:
        return 0  # another worker, or the reply itself, moved the conversation first
    await send_messages(svc, out)
    await watch(svc, out)
    return 1


async def send_messages(svc: Any, out: Outcome) -> None:
    """The <Message>s of a step no webhook answers, sent through the provider's REST API."""
    customer = out.flow.key[0]  # type: ignore[index]
    for action in out.actions:
        if action[0] != "message":
            continue
        _, body, to, sender, media = action[:5]
        ok, _sid = await svc.messenger.send(customer, out.state.call, to, sender, body, media)
        if not ok:
            log.warning("conversation %s: the provider did not send a message of its timeout branch", out.state.call[0])


async def run(svc: Any, every: float = TICK) -> None:
    """The ticker: fire what is due every ``every`` seconds until cancelled (the app's lifespan
    starts it with the runtime services and cancels it at shutdown)."""
    while True:
        await asyncio.sleep(every)
        try:
            await tick(svc)
        except Exception:  # noqa: BLE001 - the ticker must survive; the next tick retries (claimed timers after LEASE)
            log.exception("due timers: tick failed")
