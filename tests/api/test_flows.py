"""Flow routes as a customer sees them: create, read, list pages, patch, race, publish, revisions."""

from __future__ import annotations

import threading

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tenant, create, new_tenant, small_flow

BACKENDS = ("sqlite", "postgresql")  # the main flow tests run on both stores


def test_create_answers_201_with_id_revision_and_problems(client: TestClient, alice: Tenant) -> None:
    r = client.post("/api/v1/flows", json=small_flow("Sales"), headers=alice.headers)
    assert r.status_code == 201
    body = r.json()
    assert body["name"] == "Sales" and body["revision"] >= 1 and body["node_count"] == 2 and body["edge_count"] == 1
    assert body["problems"] == []
    assert r.headers["location"] == f"/api/v1/flows/{body['id']}"


def test_create_keeps_warnings_and_errors_of_a_draft(client: TestClient, alice: Tenant) -> None:
    doc = small_flow()
    doc["nodes"][0]["config"] = {}  # say without its required text: a draft may hold it
    body = create(client, alice, doc)
    assert any(p["severity"] == "error" and p["node_id"] == "hello" for p in body["problems"])


def test_get_flow_has_counts_and_problems(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    r = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers)
    assert r.status_code == 200
    body = r.json()
    assert (body["id"], body["node_count"], body["edge_count"], body["problems"]) == (flow["id"], 2, 1, [])
    assert r.headers["etag"] == f'"{body["revision"]}"'


def test_document_round_trips(client: TestClient, alice: Tenant) -> None:
    doc = small_flow("Round trip")
    flow = create(client, alice, doc)
    r = client.get(f"/api/v1/flows/{flow['id']}/document", headers=alice.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    got = orjson.loads(r.content)
    assert got["name"] == "Round trip" and got["start"] == "hello"
    assert sorted(n["id"] for n in got["nodes"]) == ["bye", "hello"]
    assert got["edges"] == [{"source": "hello", "outlet": "next", "target": "bye"}]


def test_delete_then_404(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    assert client.delete(f"/api/v1/flows/{flow['id']}", headers=alice.headers).status_code == 204
    r = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.delete(f"/api/v1/flows/{flow['id']}", headers=alice.headers).status_code == 404


def test_list_pages_by_keyset_and_filters_by_name(client: TestClient) -> None:
    carol = new_tenant(client, "Carol")
    names = [f"Flow {i:02d}" for i in range(7)] + ["Billing hotline"]
    for name in names:
        create(client, carol, small_flow(name))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = client.get("/api/v1/flows", params=params, headers=carol.headers)
        assert r.status_code == 200
        body = r.json()
        assert len(body["flows"]) <= 3
        seen += [f["name"] for f in body["flows"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(names) and len(seen) == len(set(seen)) and pages == 3
    r = client.get("/api/v1/flows", params={"q": "billing"}, headers=carol.headers)
    assert [f["name"] for f in r.json()["flows"]] == ["Billing hotline"]


def test_list_rejects_a_forged_cursor(client: TestClient, alice: Tenant) -> None:
    r = client.get("/api/v1/flows", params={"cursor": "not-a-cursor!!"}, headers=alice.headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_cursor"


def _patch(client: TestClient, tenant: Tenant, flow_id: int, rev: object, ops: list, client_id: str | None = None):  # type: ignore[no-untyped-def]
    headers = tenant.headers | {"If-Match": str(rev)}
    if client_id:
        headers["X-Ringflow-Client"] = client_id
    return client.patch(f"/api/v1/flows/{flow_id}", json={"ops": ops}, headers=headers)


def test_patch_applies_ops_and_bumps_revision(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    fid, rev = flow["id"], flow["revision"]
    r = _patch(client, alice, fid, f'"{rev}"', [
        {"op": "add_node", "node": {"id": "menu", "type": "say", "x": 300, "y": 0, "label": "More", "config": {"text": "Hi"}}},
        {"op": "move_node", "id": "hello", "x": 5, "y": 6},
        {"op": "rename", "name": "Renamed"},
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revision"] == rev + 1
    assert [n["id"] for n in body["changes"]["added_nodes"]] == ["menu"]
    moved = [n for n in body["changes"]["updated_nodes"] if n["id"] == "hello"]
    assert moved and (moved[0]["x"], moved[0]["y"]) == (5, 6)
    meta = client.get(f"/api/v1/flows/{fid}", headers=alice.headers).json()
    assert meta["name"] == "Renamed" and meta["node_count"] == 3 and meta["revision"] == rev + 1


def test_patch_needs_if_match(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    r = client.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "rename", "name": "x"}]}, headers=alice.headers)
    assert r.status_code == 428 and r.json()["error"]["code"] == "precondition_required"
    r = _patch(client, alice, flow["id"], "abc", [{"op": "rename", "name": "x"}])
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_if_match"


def test_patch_with_bad_op_is_422_and_changes_nothing(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    r = _patch(client, alice, flow["id"], flow["revision"], [{"op": "delete_node", "id": "nope"}])
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_patch"
    r = _patch(client, alice, flow["id"], flow["revision"], [{"op": "explode"}])
    assert r.status_code == 422 and "ops[0].op" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers).json()["revision"] == flow["revision"]


def test_patch_race_one_wins_one_gets_412_and_nothing_is_lost(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    fid, base = flow["id"], flow["revision"]
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def editor(name: str, x: int) -> None:
        barrier.wait()
        results[name] = _patch(client, alice, fid, base, [
            {"op": "add_node", "node": {"id": f"n_{name}", "type": "hangup", "x": x, "y": 0}}])

    threads = [threading.Thread(target=editor, args=(n, i * 300)) for i, n in enumerate(("a", "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results.values())  # type: ignore[attr-defined]
    assert statuses == [200, 412]
    loser = next(n for n, r in results.items() if r.status_code == 412)  # type: ignore[attr-defined]
    current = results[loser].json()["error"]["details"]["current_revision"]  # type: ignore[attr-defined]
    assert current == base + 1
    retry = _patch(client, alice, fid, current, [{"op": "add_node", "node": {"id": f"n_{loser}", "type": "hangup", "x": 900, "y": 0}}])
    assert retry.status_code == 200
    doc = orjson.loads(client.get(f"/api/v1/flows/{fid}/document", headers=alice.headers).content)
    assert {"n_a", "n_b"} <= {n["id"] for n in doc["nodes"]}


def test_validate_publish_and_revisions(client: TestClient, alice: Tenant) -> None:
    bad = small_flow()
    bad["nodes"][0]["config"] = {}
    flow = create(client, alice, bad)
    fid = flow["id"]
    v = client.post(f"/api/v1/flows/{fid}/validate", headers=alice.headers).json()
    assert v["valid"] is False and any(p["field"] for p in v["problems"])
    r = client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "flow_has_errors"
    assert r.json()["error"]["details"]["problems"]
    fix = _patch(client, alice, fid, flow["revision"], [{"op": "update_node", "id": "hello", "config": {"text": "Hello again"}}])
    assert fix.status_code == 200, fix.text
    assert client.post(f"/api/v1/flows/{fid}/validate", headers=alice.headers).json()["valid"] is True
    r = client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    revs = client.get(f"/api/v1/flows/{fid}/revisions", headers=alice.headers).json()
    assert [x["number"] for x in revs["revisions"]] == [number] and revs["next_cursor"] is None
    one = client.get(f"/api/v1/flows/{fid}/revisions/{number}", headers=alice.headers).json()
    assert one["revision"]["number"] == number
    assert next(n for n in one["document"]["nodes"] if n["id"] == "hello")["config"] == {"text": "Hello again"}
    assert client.get(f"/api/v1/flows/{fid}/revisions/{number + 5}", headers=alice.headers).status_code == 404
    meta = client.get(f"/api/v1/flows/{fid}", headers=alice.headers).json()
    assert meta["status"] == "published" and meta["published_revision"] == number


def test_huge_flows_answer_metadata_at_once_and_validate_behind(client: TestClient, alice: Tenant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    from ringflow.api import flows as flows_module

    monkeypatch.setattr(flows_module, "PROBLEMS_INLINE_MAX_NODES", 1)
    bad = small_flow("Huge-ish")
    bad["nodes"][0]["config"] = {}
    flow = create(client, alice, bad)
    assert client.app.state.precompute.idle()  # the write's own precompute is done: then forget what it stored
    client.app.state.problem_cache._items.clear()  # type: ignore[attr-defined]
    first = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers).json()
    assert first["problems_pending"] is True and first["problems"] == [] and first["node_count"] == 2
    deadline = time.monotonic() + 5
    while True:
        later = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers).json()
        if not later["problems_pending"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert later["problems_pending"] is False and any(p["node_id"] == "hello" for p in later["problems"])


@pytest.mark.parametrize("value", [2**63, 2**64 - 1, -(2**63) - 1])
def test_a_cursor_beyond_64_bits_is_bad_cursor_not_a_500(client: TestClient, alice: Tenant, value: int) -> None:
    """Issue 14, L1: the database's BIGINT overflowed (OverflowError, a 500) on these."""
    import base64

    cursor = base64.urlsafe_b64encode(f"[{value}]".encode()).decode().rstrip("=")
    flow = create(client, alice)
    for path in ("/api/v1/flows", f"/api/v1/flows/{flow['id']}/revisions"):
        r = client.get(path, params={"cursor": cursor}, headers=alice.headers)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_cursor", (path, r.text)


def test_a_nul_in_a_name_or_label_is_422_naming_the_field(client: TestClient, alice: Tenant) -> None:
    """Issue 14, L2: the store's DocumentError escaped as a 500 (both backends)."""
    for doc, field in (({**small_flow(), "name": "bad\x00name"}, "name"),
                       ({**small_flow(), "nodes": [{**small_flow()["nodes"][0], "label": "x\x00"}, small_flow()["nodes"][1]]}, "label")):
        r = client.post("/api/v1/flows", json=doc, headers=alice.headers)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid_document" and err["details"]["field"] == field and field in err["message"]
    r = client.post("/api/v1/customers", json={"name": "Evil\x00Corp"}, headers={"Authorization": "Bearer test-admin-token"})
    assert r.status_code == 422 and r.json()["error"]["details"]["errors"][0]["field"] == "name" and "NUL" in r.text
