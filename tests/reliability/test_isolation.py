"""Tenant isolation as a property: customers doing random things never see each other.

A Hypothesis state machine drives three customers (by API key or by browser session cookie)
through create, patch, list, get, document, viewport, skeleton, critical, search, validate,
publish, revisions, delete, test calls and call history, aiming at their own flows and at
other customers' flows alike. Every name, label and node id a customer writes carries its
marker, so a leak is a plain substring match; foreign flows must answer 404 and stay untouched.
The event streams get the same check over a real server.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, Iterator

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ringflow.api.app import create_app
from ringflow.api.auth import SESSION_COOKIE
from ringflow.store import open_store
from tests.api.conftest import Tenant, make_settings, new_tenant
from tests.reliability.conftest import live_app, record, tenant

CUSTOMERS = 3


class World:
    """One app for the whole module; each customer has a key, a cookie client and a marker."""

    def __init__(self, path: str) -> None:
        self.store = open_store(f"sqlite:///{path}")
        self.app = create_app(make_settings(), self.store)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.client.__enter__()
        self.tenants: list[Tenant] = []
        self.markers: list[str] = []
        self.cookie_clients: list[TestClient] = []
        for i in range(CUSTOMERS):
            marker = f"MARK{i}x{secrets.token_hex(4)}"
            t = new_tenant(self.client, f"Customer {marker}")
            jar = self.client.post("/api/v1/session", json={"api_key": t.key}).cookies[SESSION_COOKIE]
            cc = TestClient(self.app, raise_server_exceptions=False, cookies={SESSION_COOKIE: jar},
                            headers={"Origin": "http://testserver"})
            self.tenants.append(t)
            self.markers.append(marker)
            self.cookie_clients.append(cc)
        self.flows: list[set[int]] = [set() for _ in range(CUSTOMERS)]
        self.requests = 0

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World(str(tmp_path_factory.mktemp("iso") / "iso.db"))
    yield w
    w.close()


def _doc(marker: str, n: int) -> dict[str, Any]:
    nodes = [{"id": f"{marker}_n{i}", "type": "say", "x": i * 250, "y": (i % 3) * 150, "label": f"{marker} label {i}",
              "config": {"text": f"{marker} says {i}"}} for i in range(n)]
    nodes.append({"id": f"{marker}_end", "type": "hangup", "x": 0, "y": 900, "label": f"{marker} bye", "config": {}})
    edges = [{"source": nodes[i]["id"], "outlet": "next", "target": nodes[i + 1]["id"]} for i in range(n)]
    return {"name": f"{marker} flow", "start": nodes[0]["id"], "nodes": nodes, "edges": edges}


def _ids_in(body: Any, keys: tuple[str, ...] = ("id", "flow_id")) -> set[int]:
    found: set[int] = set()
    if isinstance(body, dict):
        for k, v in body.items():
            if k in keys and isinstance(v, int):
                found.add(v)
            found |= _ids_in(v, keys)
    elif isinstance(body, list):
        for v in body:
            found |= _ids_in(v, keys)
    return found


class Isolation(RuleBasedStateMachine):
    world: World

    @initialize()
    def start(self) -> None:
        """Each run starts from no flows, so what Hypothesis draws never depends on earlier runs."""
        self.w = type(self).world
        for who in range(CUSTOMERS):
            for flow_id in list(self.w.flows[who]):
                r = self.w.client.delete(f"/api/v1/flows/{flow_id}", headers=self.w.tenants[who].headers)
                assert r.status_code in (204, 404)  # 404: an earlier failing run already deleted it
            self.w.flows[who].clear()

    def _call(self, who: int, via_cookie: bool, method: str, url: str, **kw: Any) -> httpx.Response:
        w = self.w
        if via_cookie:
            r = w.cookie_clients[who].request(method, url, **kw)
        else:
            headers = {**kw.pop("headers", {}), **w.tenants[who].headers}
            r = w.client.request(method, url, headers=headers, **kw)
        w.requests += 1
        assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
        text = r.content.decode("latin-1")
        for other in range(CUSTOMERS):
            if other != who:
                assert w.markers[other] not in text, f"customer {who} saw customer {other}'s data via {method} {url}"
        if r.status_code < 300 and r.headers.get("content-type", "").startswith("application/json"):
            others = set().union(*(w.flows[o] for o in range(CUSTOMERS) if o != who))
            leaked = _ids_in(orjson.loads(r.content), ("flow_id",)) & others
            if url.startswith("/api/v1/flows") and not url.startswith("/api/v1/flows/"):
                leaked |= _ids_in(orjson.loads(r.content), ("id",)) & others
            assert not leaked, f"customer {who} got foreign flow ids {leaked} from {url}"
        return r

    def _target(self, who: int, data: st.DataObject) -> tuple[int, bool]:
        """One of anyone's flows (or a made-up id), and whether it is the caller's own."""
        every = [(f, o == who) for o in range(CUSTOMERS) for f in self.w.flows[o]]
        if not every or data.draw(st.integers(0, 9)) == 0:
            return data.draw(st.integers(10**9, 10**12)), False  # far above any real id
        return data.draw(st.sampled_from(sorted(every)))

    who = st.integers(0, CUSTOMERS - 1)
    cookie = st.booleans()

    @rule(who=who, cookie=cookie, n=st.integers(1, 6))
    def create(self, who: int, cookie: bool, n: int) -> None:
        r = self._call(who, cookie, "POST", "/api/v1/flows", json=_doc(self.w.markers[who], n))
        assert r.status_code == 201, r.text
        self.w.flows[who].add(r.json()["id"])

    @rule(who=who, cookie=cookie, data=st.data())
    def read(self, who: int, cookie: bool, data: st.DataObject) -> None:
        flow_id, own = self._target(who, data)
        path = data.draw(st.sampled_from(["", "/document", "/viewport?x0=-1e6&y0=-1e6&x1=1e6&y1=1e6", "/skeleton",
                                          "/critical", "/search?q=label", "/revisions", "/revisions/1", "/calls"]))
        r = self._call(who, cookie, "GET", f"/api/v1/flows/{flow_id}{path}")
        if not own:
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        elif path != "/revisions/1":
            assert r.status_code == 200

    @rule(who=who, cookie=cookie, data=st.data())
    def patch(self, who: int, cookie: bool, data: st.DataObject) -> None:
        flow_id, own = self._target(who, data)
        owner = next((o for o in range(CUSTOMERS) if flow_id in self.w.flows[o]), None)
        before = self.w.store.get_flow(self.w.tenants[owner].id, flow_id) if owner is not None else None
        marker = self.w.markers[who]
        nid = f"{marker}_p{secrets.token_hex(3)}"
        ops = data.draw(st.sampled_from([
            [{"op": "add_node", "node": {"id": nid, "type": "say", "x": 5, "y": 5, "label": marker, "config": {"text": marker}}}],
            [{"op": "rename", "name": f"{marker} renamed"}],
            [{"op": "move_node", "id": f"{marker}_n0", "x": 1, "y": 2}],
        ]))
        rev = before.revision if before is not None else 1
        r = self._call(who, cookie, "PATCH", f"/api/v1/flows/{flow_id}", json={"ops": ops}, headers={"If-Match": str(rev)})
        if own:
            assert r.status_code in (200, 412), r.text
        else:
            assert r.status_code == 404
            if before is not None:
                after = self.w.store.get_flow(self.w.tenants[owner].id, flow_id)  # type: ignore[index]
                assert after is not None and after.revision == before.revision and after.name == before.name

    @rule(who=who, cookie=cookie, data=st.data())
    def act(self, who: int, cookie: bool, data: st.DataObject) -> None:
        flow_id, own = self._target(who, data)
        path = data.draw(st.sampled_from(["/validate", "/publish", "/test-calls?draft=1"]))
        r = self._call(who, cookie, "POST", f"/api/v1/flows/{flow_id}{path}", json={})
        if not own:
            assert r.status_code == 404
        else:
            assert r.status_code in (200, 201)
            if path.startswith("/test-calls"):  # a stranger cannot step or read someone else's test call
                sid = r.json()["call_sid"]
                for other in range(CUSTOMERS):
                    if other != who:
                        s = self._call(other, False, "POST", f"/api/v1/test-calls/{sid}/steps", json={"digits": "1"})
                        assert s.status_code == 404
                        assert self._call(other, False, "GET", f"/api/v1/calls/{sid}").status_code == 404

    @rule(who=who, cookie=cookie, q=st.sampled_from(["", "flow", "MARK", "renamed"]))
    def list_flows(self, who: int, cookie: bool, q: str) -> None:
        r = self._call(who, cookie, "GET", f"/api/v1/flows?limit=500&q={q}")
        assert r.status_code == 200
        assert {f["id"] for f in r.json()["flows"]} <= self.w.flows[who]

    @precondition(lambda self: any(self.w.flows))
    @rule(who=who, cookie=cookie, data=st.data())
    def delete(self, who: int, cookie: bool, data: st.DataObject) -> None:
        flow_id, own = self._target(who, data)
        r = self._call(who, cookie, "DELETE", f"/api/v1/flows/{flow_id}")
        if own:
            assert r.status_code == 204
            self.w.flows[who].discard(flow_id)
        else:
            assert r.status_code == 404
            owner = next((o for o in range(CUSTOMERS) if flow_id in self.w.flows[o]), None)
            if owner is not None:
                assert self.w.store.get_flow(self.w.tenants[owner].id, flow_id) is not None

    @invariant()
    def each_list_is_exactly_ones_own(self) -> None:
        for who in range(CUSTOMERS):
            r = self.w.client.get("/api/v1/flows?limit=500", headers=self.w.tenants[who].headers)
            assert {f["id"] for f in r.json()["flows"]} == self.w.flows[who]


def test_customers_never_see_each_other(world: World) -> None:
    Isolation.world = world
    machine = Isolation.TestCase
    # derandomized: the same 20 runs every time, so "did real work" below is a fact, not a coin toss
    machine.settings = settings(max_examples=20, stateful_step_count=20, deadline=None, derandomize=True,
                                suppress_health_check=list(HealthCheck))
    machine().runTest()
    assert world.requests > 300  # it did real work
    record(test="isolation", customers=CUSTOMERS, requests=world.requests)


# --- event streams -----------------------------------------------------------------------------

async def _collect(base: str, headers: dict[str, str], flow_id: int, out: list[bytes], ready: asyncio.Event) -> int:
    """Read the stream into ``out`` until cancelled; the status code when it refused."""
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        async with http.stream("GET", f"/api/v1/flows/{flow_id}/events") as r:
            if r.status_code != 200:
                out.append(await r.aread())
                ready.set()
                return r.status_code
            ready.set()
            try:
                async for chunk in r.aiter_bytes():
                    out.append(chunk)
            except asyncio.CancelledError:
                pass
            return 200


def test_event_streams_carry_only_the_subscribers_own_flow(tmp_path: Any) -> None:
    with live_app(f"sqlite:///{tmp_path / 'sse.db'}") as (base, _store):
        a, b = tenant(base, "Stream A"), tenant(base, "Stream B")
        ma, mb = "STREAMA" + secrets.token_hex(3), "STREAMB" + secrets.token_hex(3)
        fa = httpx.post(f"{base}/api/v1/flows", json=_doc(ma, 2), headers=a.headers).json()
        fb = httpx.post(f"{base}/api/v1/flows", json=_doc(mb, 2), headers=b.headers).json()
        jar = httpx.post(f"{base}/api/v1/session", json={"api_key": a.key}).cookies[SESSION_COOKIE]
        a_cookie = {"Cookie": f"{SESSION_COOKIE}={jar}"}

        async def scenario() -> tuple[list[int], list[list[bytes]]]:
            outs: list[list[bytes]] = [[], [], [], []]
            readies = [asyncio.Event() for _ in outs]
            tasks = [asyncio.create_task(_collect(base, a.headers, fa["id"], outs[0], readies[0])),
                     asyncio.create_task(_collect(base, a_cookie, fa["id"], outs[1], readies[1])),
                     asyncio.create_task(_collect(base, b.headers, fb["id"], outs[2], readies[2])),
                     asyncio.create_task(_collect(base, a.headers, fb["id"], outs[3], readies[3]))]  # A peeks at B
            await asyncio.gather(*(r.wait() for r in readies))
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                for flow, t, m in ((fa, a, ma), (fb, b, mb)):
                    ops = [{"op": "update_node", "id": f"{m}_n0", "label": f"{m} live edit"}]
                    r = await http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": ops},
                                         headers={**t.headers, "If-Match": str(flow["revision"])})
                    assert r.status_code == 200
            await asyncio.sleep(1.0)
            for task in tasks:
                task.cancel()
            return [await t if not t.cancelled() else 200 for t in tasks], outs

        codes, outs = asyncio.run(scenario())
        assert codes == [200, 200, 200, 404]
        a_key, a_ck, b_key, peek = (b"".join(o).decode() for o in outs)
        for seen in (a_key, a_ck):
            assert f"{ma} live edit" in seen and mb not in seen
        assert f"{mb} live edit" in b_key and ma not in b_key
        assert mb not in peek and '"not_found"' in peek
