from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid

import pytest
import redis.asyncio as aioredis

from ringflow.runtime.backends import BackendUnavailable, MemoryBackend, RedisBackend
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.flows import StaticFlows
from ringflow.runtime.history import MemoryHistory, RedisHistory
from ringflow.runtime.httpclient import HttpResult
from ringflow.runtime.service import NotPublished, Runtime

from .flows import doc

REDIS_URL = os.environ.get("RINGFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = 1_796_000_000.0


class FakeHttp:
    """Stands in for the remote web service (the guarded client has its own tests)."""

    def __init__(self, result: HttpResult):
        self.result, self.calls = result, []

    async def fetch(self, method, url, headers=(), body="", timeout=10.0):
        self.calls.append((method, url, body))
        return self.result


MAIN = doc([("w", "say", {"text": "Hi"}), ("h", "http", {"url": "https://crm.test/{{trigger.call.From}}", "method": "POST", "body": "x"}),
            ("tier", "say", {"text": "Tier {{nodes.h.parsed.tier}}"}), ("sub", "subflow", {"flow_id": "2"}),
            ("m", "menu", {"prompt": "Menu", "digits": ["1"]}), ("bad", "say", {"text": "No sub"})],
           [("w", "next", "h"), ("h", "success", "tier"), ("tier", "next", "sub"), ("sub", "completed", "m"), ("sub", "failed", "bad")])
CHILD = doc([("c", "say", {"text": "In child {{nodes.h.parsed.tier}}"}), ("cs", "set", {"variables": {"from_child": "yes"}})],
            [("c", "next", "cs")])


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def parts(request):
    if request.param == "memory":
        yield MemoryBackend(), MemoryHistory(), None
        return
    prefix = f"rft{uuid.uuid4().hex[:10]}"
    client = aioredis.from_url(REDIS_URL)
    yield RedisBackend(client, prefix=prefix, ttl=60), RedisHistory(client, prefix=prefix, ttl=60), client
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


def make_runtime(parts, flows, http=None, counts=None):
    backend, history, _ = parts
    return Runtime(flows, backend, history, http or FakeHttp(HttpResult(200, {"tier": "gold"}, None)), counts, clock=lambda: NOW)


def call(sid=None):
    return (sid or "CA" + uuid.uuid4().hex, "+15551234567", "+15550000000", "inbound", "AC1")


async def test_one_answer_runs_http_and_subflow_until_the_menu(parts):
    flows = StaticFlows({(1, 1): MAIN, (1, 2): CHILD})
    http = FakeHttp(HttpResult(200, {"tier": "gold"}, None))
    rt = make_runtime(parts, flows, http)
    out = await rt.start_call(1, 1, call())
    texts = [a[1] for a in out.actions if a[0] == "say"]
    assert texts == ["Hi", "Tier gold", "In child gold"]
    assert out.actions[-1][0] == "gather" and out.node_id == "m" and out.state.vars == {"from_child": "yes"}
    assert http.calls == [("POST", "https://crm.test/+15551234567", "x")]
    assert out.path == ["w", "h", "tier", "sub", "c", "cs", "sub", "m"]
    stored = await rt.backend.get(out.state.sid)
    assert stored == out.state and stored.step == 1


async def test_subflow_parameters_survive_a_wait_in_the_subflow_and_stay_there(parts):
    parent = doc([("s", "set", {"variables": {"name": "Ada"}}),
                  ("sub", "subflow", {"flow_id": "2", "parameters": {"who": "{{flow.variables.name}}"}}),
                  ("after", "say", {"text": "Parent data [{{flow.data.who}}]"})],
                 [("s", "next", "sub"), ("sub", "completed", "after")])
    child = doc([("m", "menu", {"prompt": "Press 1", "digits": ["1"]}), ("hi", "say", {"text": "Hello {{flow.data.who}}"})],
                [("m", "1", "hi")])
    rt = make_runtime(parts, StaticFlows({(1, 1): parent, (1, 2): child}))
    out = await rt.start_call(1, 1, call())
    assert out.node_id == "m" and (await rt.backend.get(out.state.sid)).stack[-1][2] == {"who": "Ada"}
    out = await rt.step_call(out.state.sid, 1, ("digits", "1"))
    assert [a[1] for a in out.actions if a[0] == "say"] == ["Hello Ada", "Parent data []"] and out.state.stack is None


async def test_missing_subflow_and_failed_http(parts):
    flows = StaticFlows({(1, 1): MAIN})
    rt = make_runtime(parts, flows, FakeHttp(HttpResult(200, {"tier": "silver"}, None)))
    out = await rt.start_call(1, 1, call())
    assert [a[1] for a in out.actions if a[0] == "say"] == ["Hi", "Tier silver", "No sub"] and out.ended
    failing = make_runtime(parts, flows, FakeHttp(HttpResult(0, None, None, "timeout")))
    out2 = await failing.start_call(1, 1, call())
    assert [a[1] for a in out2.actions if a[0] == "say"] == ["Hi"] and out2.ended  # failed outlet unconnected


async def test_unknown_flow_raises_and_unknown_call_is_none(parts):
    rt = make_runtime(parts, StaticFlows({}))
    with pytest.raises(NotPublished):
        await rt.start_call(1, 1, call())
    assert await rt.step_call("CAnope", 1, ("digits", "1")) is None


async def test_retries_and_stale_steps_never_advance_twice(parts):
    flows = StaticFlows({(1, 1): doc([("m", "menu", {"prompt": "Menu", "digits": ["1", "2"]}), ("one", "say", {"text": "one"}),
                                      ("m2", "menu", {"prompt": "Second", "digits": ["1"]})], [("m", "1", "m2"), ("m", "2", "one")])})
    rt = make_runtime(parts, flows)
    c = call()
    first = await rt.start_call(1, 1, c)
    dup = await rt.start_call(1, 1, c)  # the provider retried the first webhook
    assert dup.replay and dup.actions == first.actions
    a = await rt.step_call(c[0], 1, ("digits", "1"))
    b = await rt.step_call(c[0], 1, ("digits", "2"))  # a retry (even with other digits) replays
    assert b.replay and b.actions == a.actions and b.state.step == 2 and b.node_id == "m2"
    both = await asyncio.gather(rt.step_call(c[0], 2, ("digits", "1")), rt.step_call(c[0], 2, ("digits", "1")))
    assert both[0].actions == both[1].actions and (await rt.backend.get(c[0])).step == 3


async def test_history_and_counts(parts):
    published = []
    counts = LiveCounts(lambda flow_id, ev: published.append((flow_id, ev)), parts[2], prefix=f"rfc{uuid.uuid4().hex[:8]}",
                        clock=lambda: NOW)  # the runtime's clock: a call is swept by the counts only once *its* time passes
    flows = StaticFlows({(1, 1): doc([("w", "say", {"text": "Hi"}), ("m", "menu", {"prompt": "Menu", "digits": ["1"]}),
                                      ("bye", "hangup", {})], [("w", "next", "m"), ("m", "1", "bye")])})
    rt = make_runtime(parts, flows, counts=counts)
    calls = [call() for _ in range(3)]
    for c in calls:
        await rt.start_call(1, 1, c)
    await rt.step_call(calls[0][0], 1, ("digits", "1"))
    await counts.flush()
    flow_id, event = published[-1]
    assert flow_id == 1 and event["type"] == "counts"
    assert event["nodes"] == {"m": 2} and event["outlets"] == {"w.next": 3, "m.1": 1}
    await rt.end_call(calls[1][0])
    await counts.flush()
    assert published[-1][1]["nodes"] == {"m": 1}
    rec = await rt.history.get(1, calls[0][0])
    assert [(h["node_id"], h["outlet"], h["event"]) for h in rec["history"]] == [("w", "next", "start"), ("m", "1", "digits"), ("bye", "", "")]
    assert rec["ended"] and await rt.history.get(2, calls[0][0]) is None
    if parts[2] is not None:
        await parts[2].delete(*counts.keys(1), f"{counts.prefix}:counts:flows")


async def test_memory_expiry_through_the_wheel():
    now = [NOW]
    backend = MemoryBackend(clock=lambda: now[0])
    rt = Runtime(StaticFlows({(1, 1): doc([("m", "menu", {"prompt": "p", "digits": ["1"]})], [])}), backend, MemoryHistory(),
                 FakeHttp(HttpResult(200, None, None)), clock=lambda: now[0], ttl=60)
    c = call()
    await rt.start_call(1, 1, c)
    now[0] += 61
    assert backend.sweep() == 1 and await rt.step_call(c[0], 1, ("digits", "1")) is None


class _Proxy:
    """A TCP proxy to Redis that the test can cut and restore, to play an outage."""

    def __init__(self, target=("127.0.0.1", 6379)):
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.up = True
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conns = []

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.sock.close()


@pytest.mark.redis
async def test_redis_outage_raises_cleanly_and_recovers():
    proxy = _Proxy()
    prefix = f"rft{uuid.uuid4().hex[:10]}"
    backend = RedisBackend.from_url(f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix, ttl=60)
    rt = Runtime(StaticFlows({(1, 1): doc([("m", "menu", {"prompt": "p", "digits": ["1"]})], [])}), backend, MemoryHistory(),
                 FakeHttp(HttpResult(200, None, None)), clock=lambda: NOW)
    c = call()
    await rt.start_call(1, 1, c)
    proxy.cut()
    with pytest.raises(BackendUnavailable):
        await rt.step_call(c[0], 1, ("digits", "1"))
    proxy.restore()
    out = None
    for _ in range(20):  # the client reconnects by itself on the next command
        try:
            out = await rt.step_call(c[0], 1, ("digits", "1"))
            break
        except BackendUnavailable:
            await asyncio.sleep(0.1)
    assert out is not None and out.state.step == 2
    await backend.delete(c[0])
    await backend.close()
    proxy.close()


async def test_background_history_lands_after_the_answer(parts):
    backend, history, _ = parts
    flows = StaticFlows({(1, 1): doc([("w", "say", {"text": "Hi"}), ("m", "menu", {"prompt": "p", "digits": ["1"]})], [("w", "next", "m")])})
    rt = Runtime(flows, backend, history, FakeHttp(HttpResult(200, None, None)), clock=lambda: NOW, background_history=True)
    c = call()
    await rt.start_call(1, 1, c)
    for _ in range(100):
        if rt._pending:
            await asyncio.sleep(0.01)
    rec = await history.get(1, c[0])
    assert rec is not None and rec["node_id"] == "m" and [h["node_id"] for h in rec["history"]] == ["w"]
