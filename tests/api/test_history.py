"""History over HTTP: versions at publish, diff between any two revisions, restore as a new revision."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant, create

BACKENDS = ["sqlite", "postgresql"]


def _patch(client: TestClient, t: Tenant, fid: int, ops: list[dict]) -> int:
    rev = client.get(f"/api/v1/flows/{fid}", headers=t.headers).json()["revision"]
    r = client.patch(f"/api/v1/flows/{fid}", json={"ops": ops}, headers={**t.headers, "If-Match": str(rev)})
    assert r.status_code == 200, r.text
    return r.json()["revision"]


def test_publish_names_a_version_with_its_author(client: TestClient, alice: Tenant) -> None:
    fid = create(client, alice)["id"]
    for x in (10, 20, 30):
        _patch(client, alice, fid, [{"op": "move_node", "id": "bye", "x": x, "y": 200}])
    r = client.post(f"/api/v1/flows/{fid}/publish", json={"name": "Spring hours"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["number"], body["version"], body["name"]) == (4, 1, "Spring hours")
    assert body["author"] and alice.key.startswith(body["author"])
    revs = client.get(f"/api/v1/flows/{fid}/revisions", headers=alice.headers).json()["revisions"]
    assert [(v["version"], v["name"]) for v in revs] == [(1, "Spring hours")]
    bad = client.post(f"/api/v1/flows/{fid}/publish", json={"name": 5}, headers=alice.headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "name"
    assert client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers).status_code == 201  # no body: fine


def test_diff_between_revisions_and_the_draft(client: TestClient, alice: Tenant) -> None:
    fid = create(client, alice)["id"]
    one = client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers).json()["number"]
    _patch(client, alice, fid, [
        {"op": "update_node", "id": "hello", "config": {"text": "Welcome"}},
        {"op": "delete_node", "id": "bye"},
        {"op": "add_node", "node": {"id": "menu", "type": "menu", "x": 0, "y": 300, "label": "Main menu",
                                    "config": {"prompt": "Press 1", "digits": ["1"]}}},
        {"op": "add_edge", "source": "hello", "outlet": "next", "target": "menu"},
    ])
    two = client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers).json()["number"]
    r = client.get(f"/api/v1/flows/{fid}/diff", params={"from": one, "to": two}, headers=alice.headers)
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["from"]["version"], d["to"]["version"]) == (1, 2)
    assert [n["id"] for n in d["nodes"]["added"]] == ["menu"]
    assert [n["id"] for n in d["nodes"]["removed"]] == ["bye"]
    assert [(u["id"], u["fields"]) for u in d["nodes"]["updated"]] == [("hello", ["config"])]
    # the same outlet now leads elsewhere: one updated edge, with both targets
    assert d["edges"] == {"added": [], "removed": [],
                          "updated": [{"source": "hello", "outlet": "next", "before": "bye", "after": "menu"}]}
    same = client.get(f"/api/v1/flows/{fid}/diff?from={two}&to=draft", headers=alice.headers).json()
    assert same["to"] == {"draft": True, "revision": two} and not any(same["nodes"].values())
    for query, status in (("from=1&to=draft", 404), ("from=999&to=draft", 404), ("from=x&to=draft", 422), ("to=draft", 422)):
        if query.startswith("from=1&") and one == 1:
            continue
        bad = client.get(f"/api/v1/flows/{fid}/diff?{query}", headers=alice.headers)
        assert bad.status_code == status, (query, bad.text)


def test_restore_is_a_new_revision_sent_to_open_editors(client: TestClient, alice: Tenant, bob: Tenant) -> None:
    fid = create(client, alice)["id"]
    one = client.post(f"/api/v1/flows/{fid}/publish", headers=alice.headers).json()["number"]
    rev = _patch(client, alice, fid, [{"op": "rename", "name": "Broken"}, {"op": "delete_node", "id": "bye"}])
    assert client.post(f"/api/v1/flows/{fid}/revisions/{one}/restore", headers=bob.headers).status_code == 404
    stale = client.post(f"/api/v1/flows/{fid}/revisions/{one}/restore", headers={**alice.headers, "If-Match": str(rev - 1)})
    assert stale.status_code == 412
    r = client.post(f"/api/v1/flows/{fid}/revisions/{one}/restore", headers={**alice.headers, "If-Match": str(rev)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["revision"] == rev + 1 and body["restored_from"] == one
    assert [n["id"] for n in body["changes"]["added_nodes"]] == ["bye"] and body["changes"]["name"] == "Support line"
    meta = client.get(f"/api/v1/flows/{fid}", headers=alice.headers).json()
    assert (meta["name"], meta["node_count"], meta["revision"]) == ("Support line", 2, rev + 1)
    assert client.post(f"/api/v1/flows/{fid}/revisions/999/restore", headers=alice.headers).status_code == 404


def test_history_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/flows/{flow_id}/diff"]
    assert "post" in paths["/api/v1/flows/{flow_id}/revisions/{number}/restore"]
