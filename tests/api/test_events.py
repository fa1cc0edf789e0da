"""Live events: the hub on its own, then SSE between two editors over a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Iterator

import httpx
import pytest

from ringflow.api.app import create_app
from ringflow.api.events import EventHub
from tests.api.conftest import Tenant, make_settings
from tests.api.server import serve


async def test_hub_delivers_in_order_and_resumes() -> None:
    hub = EventHub(ring_size=4)
    sub = hub.subscribe(7)
    hub.publish(7, {"type": "patch", "n": 1})
    hub.publish(8, {"type": "patch", "n": 99})  # another flow: not ours
    hub.publish(7, {"type": "patch", "n": 2})
    await asyncio.wait_for(sub.wake.wait(), 1)
    batch = hub.read(sub)
    assert [e["n"] for e in batch.events] == [1, 2] and not batch.reload
    assert hub.read(sub).events == []
    resumed = hub.subscribe(7, batch.last_id)
    hub.publish(7, {"type": "patch", "n": 3})
    assert [e["n"] for e in hub.read(resumed).events] == [3]
    for i in range(10):
        hub.publish(7, {"type": "counts", "n": i})
    stale = hub.subscribe(7, batch.last_id)  # 11 events ago, ring holds 4
    assert hub.read(stale).reload is True
    other_epoch = hub.subscribe(7, "deadbeef-1")
    assert hub.read(other_epoch).reload is True
    assert hub.stream_count() == 4
    for s in (sub, resumed, stale, other_epoch):
        hub.unsubscribe(s)
    assert hub.stream_count() == 0


async def test_publish_from_another_thread_wakes_the_loop() -> None:
    hub = EventHub()
    sub = hub.subscribe("f")
    threading.Thread(target=hub.publish, args=("f", {"type": "counts"})).start()
    await asyncio.wait_for(sub.wake.wait(), 2)
    assert hub.read(sub).events == [{"type": "counts"}]


class SSEReader:
    """Reads one SSE stream on a thread, collecting parsed messages."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.messages: list[dict] = []
        self.comments = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        with httpx.Client(timeout=30) as c, c.stream("GET", url, headers=headers) as r:
            self.status = r.status_code
            msg: dict = {}
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if msg:
                        self.messages.append(msg)
                    msg = {}
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    key, _, value = line.partition(": ")
                    msg[key] = value

    def wait_for(self, pred, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if pred(m):
                    return m
            time.sleep(0.02)
        raise AssertionError(f"no matching message in {self.messages}")

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture(scope="module")
def live(store: object) -> Iterator[tuple[str, object]]:
    app = create_app(make_settings(), store)  # type: ignore[arg-type]
    app.state.heartbeat_seconds = 0.3
    with serve(app) as base:
        yield base, app


def test_sse_delivers_changes_to_the_other_editor_and_resumes(live: tuple[str, object]) -> None:
    base, app = live
    with httpx.Client(base_url=base) as http:
        admin = {"Authorization": "Bearer test-admin-token"}
        body = http.post("/api/v1/customers", json={"name": "Live"}, headers=admin).json()
        t = Tenant(body["id"], body["api_key"], body["key_id"])
        flow = http.post("/api/v1/flows", json={"name": "Live flow", "nodes": [{"id": "a", "type": "hangup"}], "edges": []},
                         headers=t.headers).json()
        url = f"{base}/api/v1/flows/{flow['id']}/events"
        watcher = SSEReader(url, t.headers)
        hello = watcher.wait_for(lambda m: m.get("event") == "hello")
        assert json.loads(hello["data"])["revision"] == flow["revision"]
        rev = flow["revision"]
        for i in range(5):  # a burst: coalesced into few messages
            r = http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "move_node", "id": "a", "x": i * 10, "y": 0}]},
                           headers=t.headers | {"If-Match": str(rev), "X-Ringflow-Client": "editor-1"})
            assert r.status_code == 200
            rev = r.json()["revision"]
        msg = watcher.wait_for(lambda m: m.get("event") == "changes" and rev in [e["revision"] for e in json.loads(m["data"])["events"]])
        all_events = [e for m in watcher.messages if m.get("event") == "changes" for e in json.loads(m["data"])["events"]]
        assert [e["revision"] for e in all_events] == list(range(flow["revision"] + 1, rev + 1))
        assert all(e["client"] == "editor-1" and e["type"] == "patch" for e in all_events)
        assert all_events[-1]["changes"]["updated_nodes"][0]["x"] == 40
        watcher.wait_for(lambda m: True)
        time.sleep(0.5)
        assert watcher.comments >= 1  # heartbeats keep proxies from closing the stream
        metrics = http.get("/metrics").text
        assert "ringflow_event_streams_open 1" in metrics
        watcher.stop()
        # a second editor reconnects with the last id it saw and gets only what it missed
        r = http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "rename", "name": "Renamed live"}]},
                       headers=t.headers | {"If-Match": str(rev), "X-Ringflow-Client": "editor-2"})
        assert r.status_code == 200
        resumed = SSEReader(url, t.headers | {"Last-Event-ID": msg["id"]})
        got = resumed.wait_for(lambda m: m.get("event") == "changes")
        events = json.loads(got["data"])["events"]
        assert [e["revision"] for e in events] == [r.json()["revision"]] and events[0]["changes"]["name"] == "Renamed live"
        resumed.stop()
        stale = SSEReader(url, t.headers | {"Last-Event-ID": "00000000-3"})
        assert stale.wait_for(lambda m: m.get("event") == "reload")
        stale.stop()


def test_runtime_counts_reach_the_stream(live: tuple[str, object]) -> None:
    base, app = live
    with httpx.Client(base_url=base) as http:
        body = http.post("/api/v1/customers", json={"name": "Counts"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        t = Tenant(body["id"], body["api_key"], body["key_id"])
        flow = http.post("/api/v1/flows", json={"name": "Counted", "nodes": [], "edges": []}, headers=t.headers).json()
        reader = SSEReader(f"{base}/api/v1/flows/{flow['id']}/events", t.headers)
        reader.wait_for(lambda m: m.get("event") == "hello")
        app.state.events.publish(flow["id"], {"type": "counts", "nodes": {"a": 3}})  # type: ignore[attr-defined]
        got = reader.wait_for(lambda m: m.get("event") == "changes")
        assert json.loads(got["data"])["events"] == [{"type": "counts", "nodes": {"a": 3}}]
        reader.stop()


def test_bursts_are_coalesced_into_few_messages(live: tuple[str, object]) -> None:
    base, app = live
    with httpx.Client(base_url=base) as http:
        body = http.post("/api/v1/customers", json={"name": "Burst"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        key = {"Authorization": f"Bearer {body['api_key']}"}
        flow = http.post("/api/v1/flows", json={"name": "Busy", "nodes": [], "edges": []}, headers=key).json()
        reader = SSEReader(f"{base}/api/v1/flows/{flow['id']}/events", key)
        reader.wait_for(lambda m: m.get("event") == "hello")
        for i in range(50):  # a burst far faster than 10 messages a second
            app.state.events.publish(flow["id"], {"type": "counts", "n": i})  # type: ignore[attr-defined]
        reader.wait_for(lambda m: m.get("event") == "changes" and json.loads(m["data"])["events"][-1]["n"] == 49)
        batches = [json.loads(m["data"])["events"] for m in reader.messages if m.get("event") == "changes"]
        assert [e["n"] for b in batches for e in b] == list(range(50))  # all delivered, in order
        assert len(batches) <= 3  # coalesced
        reader.stop()


def test_sse_refuses_strangers(live: tuple[str, object]) -> None:
    base, _ = live
    with httpx.Client(base_url=base) as http:
        body = http.post("/api/v1/customers", json={"name": "Owner"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        owner = Tenant(body["id"], body["api_key"], body["key_id"])
        body = http.post("/api/v1/customers", json={"name": "Snoop"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        snoop = Tenant(body["id"], body["api_key"], body["key_id"])
        flow = http.post("/api/v1/flows", json={"name": "Private", "nodes": [], "edges": []}, headers=owner.headers).json()
        assert http.get(f"/api/v1/flows/{flow['id']}/events", headers=snoop.headers).status_code == 404
        assert http.get(f"/api/v1/flows/{flow['id']}/events").status_code == 401


async def test_forgotten_rings_bound_memory_and_resume_as_reload(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ringflow.api import events as events_module

    monkeypatch.setattr(events_module, "MAX_IDLE_FLOWS", 10)
    hub = EventHub()
    first = hub.publish("f0", {"type": "patch"})
    for i in range(1, 40):
        hub.publish(f"f{i}", {"type": "patch"})
    assert len(hub._flows) <= 10
    hub.publish("f0", {"type": "patch", "after": True})  # f0's ring was forgotten and starts again
    sub = hub.subscribe("f0", first)
    assert hub.read(sub).reload is True  # never a silent gap


def _stream_until_it_ends(http: httpx.Client, name: str) -> tuple[str, float]:
    """A new tenant's empty flow: its whole event stream, and how long the stream lasted."""
    body = http.post("/api/v1/customers", json={"name": name}, headers={"Authorization": "Bearer test-admin-token"}).json()
    key = {"Authorization": f"Bearer {body['api_key']}"}
    flow = http.post("/api/v1/flows", json={"name": name, "nodes": [], "edges": []}, headers=key).json()
    started = time.monotonic()
    with http.stream("GET", f"/api/v1/flows/{flow['id']}/events", headers=key) as r:
        text = "".join(r.iter_text())
    return text, time.monotonic() - started


def test_the_stream_lifetime_setting_reaches_the_streams(store: object) -> None:
    """RINGFLOW_STREAM_MAX_SECONDS (Settings.stream_max_seconds) is what ends a real stream."""
    app = create_app(make_settings(stream_max_seconds=1), store)  # type: ignore[arg-type]
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:  # a 300 s stream fails here, by timeout
        text, took = _stream_until_it_ends(http, "Setting")
    assert "event: hello" in text
    assert 0.7 <= took < 10  # 75-100% of one second (jittered), not the default five minutes


def test_streams_end_after_their_lifetime_so_clients_reconnect(live: tuple[str, object]) -> None:
    base, app = live
    app.state.stream_max_seconds = 0.8  # type: ignore[attr-defined]
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            text, took = _stream_until_it_ends(http, "Lifetime")
            assert took < 5
            assert "event: hello" in text and "retry: 2000" in text
    finally:
        app.state.stream_max_seconds = 300.0  # type: ignore[attr-defined]


async def test_a_reconnecting_listener_keeps_its_ring_while_others_come_and_go(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A stream ends (lifetime cap) and resumes a moment later: the events published in that gap must
    arrive as events, not as a reload, however many other flows open streams meanwhile."""
    from ringflow.api import events as events_module

    monkeypatch.setattr(events_module, "MAX_IDLE_FLOWS", 10)
    hub = EventHub()
    sub = hub.subscribe("watched")
    hub.publish("watched", {"type": "patch", "n": 1})
    resume_from = hub.position(sub) if not hub.read(sub).reload else None
    assert resume_from is not None
    hub.unsubscribe(sub)  # the stream ended; the client reconnects...
    hub.publish("watched", {"type": "patch", "n": 2})  # ...and misses this one meanwhile
    others = [hub.subscribe(f"other{i}") for i in range(50)]  # many other streams open (not idle)
    for i in range(5):
        hub.publish(f"unwatched{i}", {"type": "patch"})  # a few idle rings: still within the bound
    again = hub.subscribe("watched", resume_from)
    batch = hub.read(again)
    assert batch.reload is False and [e["n"] for e in batch.events] == [2]
    assert hub.stream_count() == 51
    for s in others:
        hub.unsubscribe(s)
    hub.unsubscribe(again)
    hub.unsubscribe(again)  # twice is harmless
    assert hub.stream_count() == 0
    assert len(hub._flows) <= 10  # idle rings are bounded


async def test_a_quiet_flow_resumes_without_a_reload_after_other_flows_had_news() -> None:
    """A flow with no events: its stream ends and resumes while other flows publish. Nothing was
    missed, so the resumed stream must not be told to reload (10,000 editors would refetch)."""
    hub = EventHub()
    sub = hub.subscribe("quiet")
    hello_id = hub.position(sub)
    hub.unsubscribe(sub)
    for i in range(20):
        hub.publish(f"busy{i % 3}", {"type": "patch"})
    again = hub.subscribe("quiet", hello_id)
    assert hub.read(again).reload is False
    hub.publish("quiet", {"type": "patch", "n": 1})
    assert [e["n"] for e in hub.read(again).events] == [1]
