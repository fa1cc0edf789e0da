"""Live counts against the real Redis: two LiveCounts on one prefix play two server processes.

The bug these pin: a call abandoned without a status callback expires from Redis by TTL, and
nothing used to take it off its node, so the editor showed it there forever.
(``_next_sweep = 0`` makes the next flush sweep every flow instead of waiting SWEEP_EVERY.)
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis

from ringflow.runtime.backends import RedisBackend
from ringflow.runtime.counts import BUCKET, GRACE, LiveCounts
from ringflow.runtime.flows import StaticFlows
from ringflow.runtime.history import RedisHistory
from ringflow.runtime.service import Runtime

from .flows import doc

pytestmark = pytest.mark.redis
REDIS_URL = os.environ.get("RINGFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = 1_796_000_000.0
MENU = doc([("w", "say", {"text": "Hi"}), ("m", "menu", {"prompt": "Menu", "digits": ["1", "2"]}),
            ("m2", "menu", {"prompt": "Second", "digits": ["1"]}), ("bye", "hangup", {})],
           [("w", "next", "m"), ("m", "1", "m2"), ("m", "2", "bye"), ("m2", "1", "bye")])


class Process:
    """One server process: its own runtime and counts, the shared Redis, a clock the test moves."""

    def __init__(self, client: aioredis.Redis, prefix: str, clock: list[float]):
        self.events: list[dict] = []
        self.counts = LiveCounts(lambda flow_id, ev: self.events.append(ev), client, prefix=prefix, clock=lambda: clock[0])
        self.rt = Runtime(StaticFlows({(1, 1): MENU}), RedisBackend(client, prefix=prefix, ttl=60),
                          RedisHistory(client, prefix=prefix, ttl=60), None, self.counts, clock=lambda: clock[0], ttl=60)

    async def shown(self) -> dict[str, int]:
        """What the editor would show after this process's next flush."""
        self.events.clear()
        await self.counts.flush()
        return self.events[-1]["nodes"] if self.events else {}


@pytest.fixture
async def redis_client():
    prefix = f"rfk{uuid.uuid4().hex[:10]}"
    client = aioredis.from_url(REDIS_URL)
    yield client, prefix
    async for key in client.scan_iter(match=f"{prefix}*"):
        await client.delete(key)
    await client.aclose()


def sid() -> str:
    return "CA" + uuid.uuid4().hex


async def test_abandoned_calls_leave_their_node_after_they_expire(redis_client):
    client, prefix = redis_client
    clock = [NOW]
    a, b = Process(client, prefix, clock), Process(client, prefix, clock)
    abandoned = [sid() for _ in range(50)]
    for c in abandoned:
        await a.rt.start_call(1, 1, (c, "+1555", "+1666", "inbound", "AC1"))
    assert await a.shown() == {"m": 50}
    assert await client.hlen(a.counts.keys(1)[2]) <= 2  # filed by minute and node, not per call
    alive = sid()
    clock[0] += 200
    await b.rt.start_call(1, 1, (alive, "+1555", "+1666", "inbound", "AC1"))
    await b.rt.step_call(alive, 1, ("digits", "1"))
    assert await b.shown() == {"m": 50, "m2": 1}
    clock[0] = NOW + 60 + BUCKET + GRACE + 1  # the 50 expired (60 s TTL) long enough ago; no status callback came
    a.counts._next_sweep = b.counts._next_sweep = 0.0  # the next flush is a sweep
    assert await a.shown() == {"m2": 1}  # swept by a process with no news of any of these calls
    assert await b.shown() == {}  # nothing changed since: no event
    assert int(await client.hget(a.counts.keys(1)[0], "m")) == 0
    clock[0] += 200 + BUCKET
    b.counts._next_sweep = 0.0
    await b.counts.flush()
    assert b.events[-1]["nodes"] == {}  # the other call was abandoned too
    assert int(await client.hget(a.counts.keys(1)[0], "m2")) == 0
    assert await client.hlen(a.counts.keys(1)[2]) == 0 and await client.zcard(a.counts.keys(1)[3]) == 0


async def test_flushes_from_two_processes_in_either_order_give_the_same_totals(redis_client):
    client, prefix = redis_client
    clock = [NOW]
    a, b = Process(client, prefix, clock), Process(client, prefix, clock)
    c = sid()
    await a.rt.start_call(1, 1, (c, "+1555", "+1666", "inbound", "AC1"))  # on "m", not flushed yet
    clock[0] += 90
    await b.rt.step_call(c, 1, ("digits", "1"))  # another process moves it to "m2" and flushes first
    await b.counts.flush()
    assert await a.shown() == {"m2": 1}
    clock[0] += 60 + BUCKET + GRACE + 1
    b.counts._next_sweep = 0.0
    await b.counts.flush()
    assert b.events[-1]["nodes"] == {}  # swept off "m2", where it really was, not off "m"
    assert {k.decode(): int(v) for k, v in (await client.hgetall(a.counts.keys(1)[0])).items()} == {"m": 0, "m2": 0}


async def test_ended_and_freed_calls_are_not_swept_again(redis_client):
    client, prefix = redis_client
    clock = [NOW]
    a = Process(client, prefix, clock)
    hung_up, finished, replayed = sid(), sid(), sid()
    for s in (hung_up, finished, replayed):
        await a.rt.start_call(1, 1, (s, "+1555", "+1666", "inbound", "AC1"))
    clock[0] += 30
    await a.rt.step_call(finished, 1, ("digits", "2"))  # the flow hangs up
    await a.rt.end_call(hung_up)  # the status callback frees the other
    await a.rt.step_call(replayed, 1, ("digits", "7"))  # an invalid digit replays the menu: same node, later deadline
    assert await a.shown() == {"m": 1}
    clock[0] += 3600
    a.counts._next_sweep = 0.0
    await a.counts.flush()
    assert a.events[-1]["nodes"] == {}
    assert int(await client.hget(a.counts.keys(1)[0], "m")) == 0  # the replayed call left once, the others never again
    assert await client.hlen(a.counts.keys(1)[2]) == 0 and await client.zcard(a.counts.keys(1)[3]) == 0
