"""The one Redis layer on a real Redis Cluster: found by INFO cluster from any node, one pipeline per
shard, and every multi-key script (call state + history, live counts) on one hash slot."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from redis.exceptions import ConnectionError as RConnectionError

from ringflow.api.redis_events import RedisHub
from ringflow.redisio import RedisLink
from ringflow.runtime.backends import RedisBackend
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.flows import StaticFlows
from ringflow.runtime.history import RedisHistory
from ringflow.runtime.service import Runtime
from tests.runtime.flows import doc
from tests.topology import Cluster, free_port

NOW = 1_796_000_000.0
MENU = doc([("w", "say", {"text": "Hi"}), ("m", "menu", {"prompt": "Menu", "digits": ["1", "2"]}), ("bye", "hangup", {})],
           [("w", "next", "m"), ("m", "1", "bye"), ("m", "2", "m")])


async def test_any_node_url_finds_the_cluster(cluster: Cluster) -> None:
    for port in cluster.ports[:2] + cluster.ports[-1:]:  # a primary or a replica: either names the cluster
        link = RedisLink.from_url(f"redis://127.0.0.1:{port}/0")
        await link.ready()
        assert link.cluster is True
        # keys on every shard, written in one loop turn
        keys = [f"t{uuid.uuid4().hex[:6]}:{{{i}}}" for i in range(60)]
        assert await asyncio.gather(*(link.call("SET", k, i) for i, k in enumerate(keys))) == [True] * 60
        assert [int(v) for v in await asyncio.gather(*(link.call("GET", k) for k in keys))] == list(range(60))
        await asyncio.gather(*(link.call("DEL", k) for k in keys))
        await link.aclose()


async def test_a_url_naming_several_nodes_survives_a_dead_first_node(cluster: Cluster) -> None:
    """A worker (re)started after the node its URL names first died still finds the cluster through
    the others; with that node alone it could not (every webhook would get the apology)."""
    dead = free_port()  # nothing listens there: a killed primary
    alone = RedisLink.from_url(f"redis://127.0.0.1:{dead}/0")
    with pytest.raises(RConnectionError):
        await alone.call("PING")
    link = RedisLink.from_url(f"redis://127.0.0.1:{dead},127.0.0.1:{cluster.ports[1]},127.0.0.1:{cluster.ports[2]}/0")
    key = f"t{uuid.uuid4().hex[:6]}"
    assert await link.call("SET", key, 1) is True and link.cluster is True
    assert int(await link.call("GET", key)) == 1
    await link.call("DEL", key)
    await link.aclose()


async def test_standalone_is_not_taken_for_a_cluster() -> None:
    link = RedisLink.from_url("redis://127.0.0.1:6379/0")
    assert await link.call("PING") in (True, b"PONG") and link.cluster is False
    await link.aclose()


async def test_calls_history_and_counts_on_the_cluster(cluster: Cluster) -> None:
    prefix = f"rfc{uuid.uuid4().hex[:8]}"
    link = RedisLink.from_url(cluster.url)
    events: list[dict] = []
    counts = LiveCounts(lambda flow_id, ev: events.append(ev), link, prefix=prefix, clock=lambda: NOW)
    history = RedisHistory(link, prefix=prefix, ttl=60)
    rt = Runtime(StaticFlows({(1, 1): MENU}), RedisBackend(link, prefix=prefix, ttl=60), history, None, counts,
                 clock=lambda: NOW, ttl=60)
    sids = [f"CA{uuid.uuid4().hex}" for _ in range(30)]  # spread over the three shards by their hash tags
    outs = await asyncio.gather(*(rt.start_call(1, 1, (sid, "+1", "+2", "inbound", "AC")) for sid in sids))
    assert all(o.node_id == "m" for o in outs)
    nxt = await asyncio.gather(*(rt.step_call(sid, 1, ("digits", "2")) for sid in sids[:10]))  # back round the menu
    assert all(o is not None and o.node_id == "m" for o in nxt)
    for _ in range(50):  # history is written after the answer
        got = await history.get(1, sids[0])
        if got and len(got["history"]) >= 3:
            break
        await asyncio.sleep(0.02)
    assert got is not None and [h["node_id"] for h in got["history"]][:2] == ["w", "m"]
    listed, _ = await history.list(1, 1, None, 100)
    assert {c["call_sid"] for c in listed} == set(sids)
    await counts.flush()
    assert events[-1]["nodes"] == {"m": 30} and events[-1]["outlets"]["m.2"] == 10
    assert await rt.backend.count() == 30  # SCAN on every primary
    await link.aclose()


async def test_event_streams_on_the_cluster(cluster: Cluster) -> None:
    prefix = f"rfe{uuid.uuid4().hex[:8]}:events:"
    a, b = RedisHub(cluster.url, prefix), RedisHub(f"redis://127.0.0.1:{cluster.ports[-1]}/0", prefix)  # two processes
    try:
        subs = {flow: await b.subscribe(flow) for flow in range(1, 7)}  # streams on several shards
        await asyncio.sleep(0.2)  # the listener has subscribed
        for sub in subs.values():
            await b.read(sub)
        for flow in subs:
            a.publish(flow, {"type": "patch", "revision": flow})
        for flow, sub in subs.items():
            events: list[dict] = []
            while not events:  # a wake is a hint (the listener's reconnect wakes everyone): read until the event is there
                await asyncio.wait_for(sub.wake.wait(), 3)
                batch = await b.read(sub)
                assert not batch.reload
                events += batch.events
            assert events == [{"type": "patch", "revision": flow}]
    finally:
        await a.aclose()
        await b.aclose()


async def test_wait_durability_confirms_each_state_write_on_a_replica(cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    """With one replica per shard, WAIT 1 is confirmed for every write; asking for 2 is not, and says so."""
    prefix = f"rfw{uuid.uuid4().hex[:8]}"
    link = RedisLink.from_url(cluster.url)
    for replicas, unconfirmed in ((1, 0), (2, 12)):
        backend = RedisBackend(link, prefix=prefix, ttl=60, wait_replicas=replicas, wait_ms=50)
        rt = Runtime(StaticFlows({(1, 1): MENU}), backend, RedisHistory(link, prefix=prefix, ttl=60), None, None, clock=lambda: NOW,
                     ttl=60)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ringflow.runtime"):
            outs = await asyncio.gather(*(rt.start_call(1, 1, (f"CA{uuid.uuid4().hex}", "+1", "+2", "inbound", "AC")) for _ in range(12)))
        assert all(o.node_id == "m" for o in outs)
        assert sum("not confirmed on" in r.getMessage() for r in caplog.records) == unconfirmed
    await link.aclose()
