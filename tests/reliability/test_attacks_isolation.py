"""Issue 14's isolation attacks, replayed against a real server on both backends.

High 1: a deleted flow's id handed to the next flow (SQLite reused the largest rowid) let the
new owner read the old flow through every cache keyed by flow id: problems, skeleton, compiled
flow, event ring. High 3: an unsigned step webhook on one customer's flow URL moved another
customer's call. M1: webhooks of a customer without a provider token were accepted unsigned.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import Tenant
from tests.api.test_events import SSEReader
from tests.reliability.conftest import BACKENDS, database, live_app, tenant

SECRET = "A-SECRET-ORPHAN"


def _flow(name: str, text: str, orphan: str | None = None) -> dict[str, Any]:
    nodes = [{"id": "hello", "type": "say", "x": 0, "y": 0, "label": f"{name} greeting", "config": {"text": text}},
             {"id": "bye", "type": "hangup", "x": 0, "y": 200, "label": "Bye", "config": {}}]
    if orphan:
        nodes.append({"id": orphan, "type": "say", "x": 400, "y": 0, "label": orphan, "config": {"text": orphan}})
    return {"name": name, "start": "hello", "nodes": nodes, "edges": [{"source": "hello", "outlet": "next", "target": "bye"}]}


def _create(http: httpx.Client, who: Tenant, doc: dict[str, Any]) -> dict[str, Any]:
    r = http.post("/api/v1/flows", json=doc, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


def _publish(http: httpx.Client, who: Tenant, flow_id: int) -> None:
    r = http.post(f"/api/v1/flows/{flow_id}/publish", headers=who.headers)
    assert r.status_code == 201, r.text


def _said(http: httpx.Client, who: Tenant, flow_id: int) -> list[str]:
    r = http.post(f"/api/v1/flows/{flow_id}/test-calls", json={}, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["said"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deleted_flows_id_and_caches_never_answer_for_the_next_flow(backend: str) -> None:
    """The issue's repro: A's orphan node, patches, skeleton and events never reach B."""
    with database(backend) as url, live_app(url) as (base, _store), httpx.Client(base_url=base, timeout=30) as http:
        a, b = tenant(base, "A"), tenant(base, "B")
        # B holds an event id from before A's patches (any stream of its own gives one)
        own = _create(http, b, _flow("B first", "B one"))
        hello = SSEReader(f"{base}/api/v1/flows/{own['id']}/events", b.headers)
        earlier = hello.wait_for(lambda m: m.get("event") == "hello")["id"]
        hello.stop()

        flow = _create(http, a, _flow("A flow", "A text", SECRET))
        fid, rev = flow["id"], flow["revision"]
        for label in ("A-LABEL-1", "A-LABEL-2"):
            r = http.patch(f"/api/v1/flows/{fid}", json={"ops": [{"op": "update_node", "id": SECRET, "label": label}]},
                           headers=a.headers | {"If-Match": str(rev)})
            assert r.status_code == 200, r.text
            rev = r.json()["revision"]
        got = http.get(f"/api/v1/flows/{fid}", headers=a.headers).json()
        assert any(p.get("node_id") == SECRET for p in got["problems"])  # cached now
        a_skeleton = http.get(f"/api/v1/flows/{fid}/skeleton", headers=a.headers)
        assert a_skeleton.status_code == 200
        _publish(http, a, fid)
        assert http.delete(f"/api/v1/flows/{fid}", headers=a.headers).status_code == 204

        mine = _create(http, b, _flow("B flow", "B text"))
        assert SECRET not in json.dumps(mine)
        rev = mine["revision"]
        for x in (10, 20):  # B's flow reaches the revision A's was cached at
            r = http.patch(f"/api/v1/flows/{mine['id']}", json={"ops": [{"op": "move_node", "id": "bye", "x": x, "y": 200}]},
                           headers=b.headers | {"If-Match": str(rev)})
            rev = r.json()["revision"]
        read = http.get(f"/api/v1/flows/{mine['id']}", headers=b.headers).json()
        assert SECRET not in json.dumps(read) and read["node_count"] == 2
        skeleton = http.get(f"/api/v1/flows/{mine['id']}/skeleton", headers=b.headers)
        assert skeleton.status_code == 200 and skeleton.content != a_skeleton.content
        assert int.from_bytes(skeleton.content[8:12], "little") == 2  # B's two nodes
        resumed = SSEReader(f"{base}/api/v1/flows/{mine['id']}/events", b.headers | {"Last-Event-ID": earlier})
        time.sleep(0.8)
        resumed.stop()
        assert resumed.status == 200
        assert not any("A-LABEL" in json.dumps(m) or SECRET in json.dumps(m) for m in resumed.messages), resumed.messages
        assert mine["id"] > fid  # never the deleted flow's id


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_flow_in_place_of_a_deleted_one_runs_its_own_text(backend: str) -> None:
    """One customer: delete a published flow that says OLD, create and publish one that says NEW."""
    with database(backend) as url, live_app(url) as (base, _store), httpx.Client(base_url=base, timeout=30) as http:
        a = tenant(base, "A")
        old = _create(http, a, _flow("Old", "OLD"))
        _publish(http, a, old["id"])
        assert _said(http, a, old["id"]) == ["OLD"]
        assert http.delete(f"/api/v1/flows/{old['id']}", headers=a.headers).status_code == 204
        assert http.post(f"/api/v1/flows/{old['id']}/test-calls", json={}, headers=a.headers).status_code == 404
        new = _create(http, a, _flow("New", "NEW"))
        _publish(http, a, new["id"])
        assert _said(http, a, new["id"]) == ["NEW"]
        assert new["id"] > old["id"]
