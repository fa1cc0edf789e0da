"""Editor data: viewport, skeleton (decoded per docs/skeleton.md), critical, search, node-types, config."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from ringflow.model.catalogue import CATALOGUE, TYPE_CODES
from ringflow.model.demo import generate_flow
from tests.api.conftest import Tenant, create
from tests.api.skeleton_codec import decode

BACKENDS = ("sqlite", "postgresql")  # the main flow tests run on both stores


@pytest.fixture(scope="module")
def demo(client: TestClient, alice: Tenant) -> dict:
    doc = generate_flow(300, name="Demo 300")
    meta = create(client, alice, doc)
    return {"meta": meta, "doc": doc}


def _vp(client: TestClient, tenant: Tenant, fid: int, **params: object):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/flows/{fid}/viewport", params=params, headers=tenant.headers)


def test_viewport_answers_the_nodes_in_the_rectangle_and_their_edges(client: TestClient, alice: Tenant, demo: dict) -> None:
    doc, fid = demo["doc"], demo["meta"]["id"]
    x0, y0, x1, y1 = 0, 0, 1500, 600
    r = _vp(client, alice, fid, x0=x0, y0=y0, x1=x1, y1=y1, limit=10_000)
    assert r.status_code == 200
    body = r.json()
    expected = {n["id"] for n in doc["nodes"]
                if n["x"] <= x1 and n["x"] + n.get("w", 200) >= x0 and n["y"] <= y1 and n["y"] + n.get("h", 72) >= y0}
    got = {n["id"] for n in body["nodes"]}
    assert got == expected and expected and body["truncated"] is False
    assert all({"id", "type", "x", "y", "label", "config", "key"} <= set(n) for n in body["nodes"])
    for edge in body["edges"]:
        assert edge["source"] in got or edge["target"] in got


def test_viewport_limit_truncates_and_defaults_from_settings(client: TestClient, alice: Tenant, demo: dict) -> None:
    fid = demo["meta"]["id"]
    body = _vp(client, alice, fid, x0=-1e6, y0=-1e6, x1=1e6, y1=1e6, limit=5).json()
    assert len(body["nodes"]) == 5 and body["truncated"] is True
    body = _vp(client, alice, fid, x0=-1e6, y0=-1e6, x1=1e6, y1=1e6).json()
    assert body["limit"] == 1000 and len(body["nodes"]) == len(demo["doc"]["nodes"])


@pytest.mark.parametrize("params", [
    {"x0": "nan", "y0": 0, "x1": 10, "y1": 10},
    {"x0": 0, "y0": 0, "x1": "inf", "y1": 10},
    {"x0": 10, "y0": 0, "x1": 0, "y1": 10},
    {"x0": 0, "y0": 10, "x1": 10, "y1": 0},
    {"x0": "abc", "y0": 0, "x1": 10, "y1": 10},
    {"x0": 0, "y0": 0, "x1": 10},
    {"x0": 0, "y0": 0, "x1": 10, "y1": 10, "limit": 0},
])
def test_viewport_rejects_bad_rectangles(client: TestClient, alice: Tenant, demo: dict, params: dict) -> None:
    r = _vp(client, alice, demo["meta"]["id"], **params)
    assert r.status_code in (400, 422)
    assert set(r.json()["error"]) == {"code", "message", "details"}


def test_skeleton_decodes_to_the_document(client: TestClient, alice: Tenant, demo: dict) -> None:
    doc, meta = demo["doc"], demo["meta"]
    r = client.get(f"/api/v1/flows/{meta['id']}/skeleton", headers=alice.headers | {"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert r.headers["etag"] == f'"{meta["revision"]}"'
    sk = decode(r.content)
    n, e = len(doc["nodes"]), len(doc["edges"])
    assert (sk.version, sk.revision, len(sk.keys), len(sk.src)) == (1, meta["revision"], n, e)
    assert sk.keys == sorted(set(sk.keys))
    assert len(r.content) <= 24 * (n + e)
    # map skeleton index -> node through the keys the viewport reports
    vp = _vp(client, alice, meta["id"], x0=-1e6, y0=-1e6, x1=1e6, y1=1e6, limit=10_000).json()
    by_key = {node["key"]: node for node in vp["nodes"]}
    assert set(by_key) == set(sk.keys)
    ids = []
    for i, key in enumerate(sk.keys):
        node = by_key[key]
        ids.append(node["id"])
        assert (sk.x[i], sk.y[i], sk.w[i], sk.h[i]) == (node["x"], node["y"], node["w"], node["h"])
        assert sk.types[i] == TYPE_CODES[node["type"]]
    assert ids[sk.start] == doc["start"]
    edges = {(ids[s], ids[t]) for s, t in zip(sk.src, sk.dst)}
    assert edges == {(ed["source"], ed["target"]) for ed in doc["edges"]}
    types = {node["id"]: node["type"] for node in vp["nodes"]}
    for s, o, t in zip(sk.src, sk.outlets, sk.dst):
        outlets = CATALOGUE[types[ids[s]]].outlets
        if CATALOGUE[types[ids[s]]].dynamic_outlets is None:
            edge = next(ed for ed in doc["edges"] if ed["source"] == ids[s] and ed["target"] == ids[t] and outlets.index(ed["outlet"]) == o)
            assert edge
        else:
            assert o == 255
    minx = min(n_["x"] for n_ in doc["nodes"])
    assert sk.bounds[0] == minx


def test_skeleton_gzip_etag_304_and_new_revision(client: TestClient, alice: Tenant, demo: dict) -> None:
    fid, rev = demo["meta"]["id"], demo["meta"]["revision"]
    url = f"/api/v1/flows/{fid}/skeleton"
    plain = client.get(url, headers=alice.headers | {"Accept-Encoding": "identity"}).content
    r = client.get(url, headers=alice.headers | {"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.content == plain  # httpx inflates it
    assert int(r.headers["content-length"]) < len(plain)
    r = client.get(url, headers=alice.headers | {"If-None-Match": f'"{rev}"'})
    assert r.status_code == 304 and r.content == b""
    p = client.patch(f"/api/v1/flows/{fid}", json={"ops": [{"op": "move_node", "id": demo["doc"]["start"], "x": -500, "y": -400}]},
                     headers=alice.headers | {"If-Match": str(rev)})
    assert p.status_code == 200
    demo["meta"]["revision"] = p.json()["revision"]
    r = client.get(url, headers=alice.headers | {"If-None-Match": f'"{rev}"', "Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers["etag"] == f'"{rev + 1}"'
    sk = decode(r.content)
    assert sk.revision == rev + 1 and sk.x[sk.start] == -500 and sk.bounds[:2] == (-500, -400)


def test_skeleton_of_an_empty_flow(client: TestClient, alice: Tenant) -> None:
    meta = create(client, alice, {"name": "Empty", "nodes": [], "edges": []})
    r = client.get(f"/api/v1/flows/{meta['id']}/skeleton", headers=alice.headers | {"Accept-Encoding": "identity"})
    sk = decode(r.content)
    assert (len(sk.keys), len(sk.src), sk.start) == (0, 0, -1) and len(r.content) == 40


def test_critical_starts_at_the_start_node(client: TestClient, alice: Tenant, demo: dict) -> None:
    r = client.get(f"/api/v1/flows/{demo['meta']['id']}/critical", params={"limit": 20}, headers=alice.headers)
    assert r.status_code == 200
    body = r.json()
    ids = [n["id"] for n in body["nodes"]]
    assert demo["doc"]["start"] in ids and 0 < len(ids) <= 20 and all("key" in n for n in body["nodes"])


def test_search_finds_nodes_by_label_with_key_and_position(client: TestClient, alice: Tenant, demo: dict) -> None:
    label = demo["doc"]["nodes"][3]["label"]
    r = client.get(f"/api/v1/flows/{demo['meta']['id']}/search", params={"q": label.lower(), "limit": 50}, headers=alice.headers)
    assert r.status_code == 200
    found = r.json()["nodes"]
    assert any(n["id"] == demo["doc"]["nodes"][3]["id"] for n in found)
    assert all({"key", "x", "y"} <= set(n) for n in found)
    assert client.get(f"/api/v1/flows/{demo['meta']['id']}/search", params={"q": ""}, headers=alice.headers).status_code == 422


def test_node_types_lists_the_catalogue_with_codes_and_the_schema(client: TestClient, alice: Tenant) -> None:
    body = client.get("/api/v1/node-types", headers=alice.headers).json()
    assert [t["name"] for t in body["types"]] == list(CATALOGUE)
    assert all(t["code"] == TYPE_CODES[t["name"]] for t in body["types"])
    say = next(t for t in body["types"] if t["name"] == "say")
    assert say["outlets"] == ["next"] and "text" in say["config_schema"]["properties"]
    assert body["flow_schema"]["title"] == "Ringflow flow document"


def test_config_serves_editor_settings(client: TestClient, alice: Tenant) -> None:
    body = client.get("/api/v1/config", headers=alice.headers).json()
    assert body["RINGFLOW_MAX_VIEWPORT_NODES"] == 100 and body["RINGFLOW_PERFORMANCE_MODE"] == "auto"


def test_big_document_streams_as_valid_json(client: TestClient, alice: Tenant) -> None:
    doc = generate_flow(12_000, name="Big")
    meta = create(client, alice, doc)
    r = client.get(f"/api/v1/flows/{meta['id']}/document", headers=alice.headers | {"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip"
    got = orjson.loads(r.content)
    assert len(got["nodes"]) == len(doc["nodes"]) and len(got["edges"]) == len(doc["edges"])


def test_concurrent_cold_skeletons_are_built_once(client: TestClient, alice: Tenant, demo: dict, store: object, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    calls = []
    real = store.geometry  # type: ignore[attr-defined]

    def counting(*args: object):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(store, "geometry", counting)
    client.app.state.skeletons = type(client.app.state.skeletons)()  # type: ignore[attr-defined]  # cold cache
    url = f"/api/v1/flows/{demo['meta']['id']}/skeleton"
    bodies: list[bytes] = []
    barrier = threading.Barrier(4)

    def fetch() -> None:
        barrier.wait()
        r = client.get(url, headers=alice.headers | {"Accept-Encoding": "identity"})
        assert r.status_code == 200
        bodies.append(r.content)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(bodies)) == 1 and len(bodies) == 4
