"""The Redis hub: two hubs (two server processes) on one Redis see each other's events, resume, reload."""

from __future__ import annotations

import asyncio
import secrets
from typing import Iterator

import pytest
import redis

from ringflow.api.redis_events import RedisHub

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    p = f"ringflow_t_{secrets.token_hex(6)}:events:"
    yield p
    r = redis.Redis.from_url(URL)
    keys = list(r.scan_iter(match=p + "*"))
    if keys:
        r.delete(*keys)
    r.close()


async def _next(hub: RedisHub, sub, timeout: float = 3.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await asyncio.wait_for(sub.wake.wait(), timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        batch = await hub.read(sub)
        if batch.events or batch.reload:
            return batch


async def test_events_cross_processes_and_resume(prefix: str) -> None:
    a, b = RedisHub(URL, prefix), RedisHub(URL, prefix, ring_size=5)
    try:
        sub = await b.subscribe(42)
        assert await hub_empty(b, sub)
        a.publish(42, {"type": "patch", "revision": 2})
        a.publish(43, {"type": "patch", "revision": 99})  # another flow
        batch = await _next(b, sub)
        assert batch.events == [{"type": "patch", "revision": 2}] and not batch.reload
        resume_from = b.position(sub)
        b.unsubscribe(sub)
        a.publish(42, {"type": "counts", "n": 1})
        again = await b.subscribe(42, resume_from)
        batch = await _next(b, again)
        assert batch.events == [{"type": "counts", "n": 1}]
        b.unsubscribe(again)
        for i in range(200):  # far more than the ring keeps (trimmed approximately, in chunks)
            b.publish(42, {"type": "counts", "n": i})
        await b._writer  # the queued events are written
        stale = await b.subscribe(42, resume_from)
        assert (await _next(b, stale)).reload is True
        junk = await b.subscribe(42, "not-an-id")
        assert (await _next(b, junk)).reload is True
        assert b.stream_count() == 2
    finally:
        await a.aclose()
        await b.aclose()


async def hub_empty(hub: RedisHub, sub) -> bool:  # type: ignore[no-untyped-def]
    return (await hub.read(sub)).events == []


async def test_redis_down_drops_events_without_raising(prefix: str) -> None:
    hub = RedisHub("redis://127.0.0.1:1/0", prefix)
    try:
        assert hub.publish(1, {"type": "patch"}) == ""
        sub = await hub.subscribe(1)
        assert (await hub.read(sub)).reload is True or sub.last is None
    finally:
        await hub.aclose()


def test_two_server_processes_share_live_events(prefix: str, store: object) -> None:
    import json

    import httpx

    from ringflow.api.app import create_app
    from tests.api.conftest import make_settings
    from tests.api.server import serve
    from tests.api.test_events import SSEReader

    apps = [create_app(make_settings(), store, events=RedisHub(URL, prefix)) for _ in range(2)]  # type: ignore[arg-type]
    for app in apps:
        app.state.heartbeat_seconds = 0.3  # readers notice their stop flag quickly
    with serve(apps[0]) as base_a, serve(apps[1]) as base_b, httpx.Client() as http:
        body = http.post(f"{base_a}/api/v1/customers", json={"name": "Two"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        key = {"Authorization": f"Bearer {body['api_key']}"}
        flow = http.post(f"{base_a}/api/v1/flows", json={"name": "Shared", "nodes": [{"id": "a", "type": "hangup"}], "edges": []},
                         headers=key).json()
        reader = SSEReader(f"{base_b}/api/v1/flows/{flow['id']}/events", key)
        reader.wait_for(lambda m: m.get("event") == "hello")
        r = http.patch(f"{base_a}/api/v1/flows/{flow['id']}", json={"ops": [{"op": "move_node", "id": "a", "x": 7, "y": 8}]},
                       headers=key | {"If-Match": str(flow["revision"]), "X-Ringflow-Client": "A"})
        assert r.status_code == 200
        got = reader.wait_for(lambda m: m.get("event") == "changes")
        event = json.loads(got["data"])["events"][0]
        assert event["client"] == "A" and event["revision"] == r.json()["revision"]
        reader.stop()

