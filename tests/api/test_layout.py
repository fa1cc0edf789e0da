"""POST /api/v1/layout: the editor's Layout button arranged by model/layout.py, and every bad body a 4xx."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ringflow.api.layout import MAX_LAYOUT_BODY, MAX_LAYOUT_NODES
from ringflow.model.catalogue import NODE_WIDTH
from ringflow.model.demo import generate_flow
from tests.api.conftest import Tenant

ROOT = Path(__file__).resolve().parents[2]


def menu_body() -> dict[str, Any]:
    """A welcome, a menu whose digits are listed 2 before 1, two branches (one card grown), a hang-up."""
    return {
        "nodes": [
            {"id": "welcome", "type": "say", "config": {"text": "Hi"}},
            {"id": "menu", "type": "menu", "config": {"prompt": "Press 2 or 1", "digits": ["2", "1"]}},
            {"id": "sales", "type": "say", "config": {"text": "Sales"}, "h": 160},
            {"id": "support", "type": "say", "config": {"text": "Support"}},
            {"id": "bye", "type": "hangup"},
        ],
        "edges": [  # sent in no useful order: the server orders ports by the menu's outlets
            {"source": "menu", "outlet": "1", "target": "sales"},
            {"source": "menu", "outlet": "timeout", "target": "welcome"},
            {"source": "welcome", "outlet": "next", "target": "menu"},
            {"source": "menu", "outlet": "2", "target": "support"},
            {"source": "sales", "outlet": "next", "target": "bye"},
            {"source": "support", "outlet": "next", "target": "bye"},
            {"source": "support", "outlet": "next", "target": "welcome"},  # a loop back up
        ],
        "start": "welcome",
        "origin": {"x": 400, "y": -120},
    }


def post(client: TestClient, tenant: Tenant | None, body: Any, **headers: str):  # type: ignore[no-untyped-def]
    auth = tenant.headers if tenant else {}
    if isinstance(body, (bytes, str)):
        return client.post("/api/v1/layout", content=body, headers={"content-type": "application/json", **auth, **headers})
    return client.post("/api/v1/layout", json=body, headers={**auth, **headers})


def test_menu_flow_is_laid_out_in_layers_without_overlaps(client: TestClient, alice: Tenant) -> None:
    r = post(client, alice, menu_body())
    assert r.status_code == 200, r.text
    pos = r.json()["positions"]
    assert set(pos) == {"welcome", "menu", "sales", "support", "bye"}
    y = {k: p["y"] for k, p in pos.items()}
    x = {k: p["x"] for k, p in pos.items()}
    assert y["welcome"] < y["menu"] < y["sales"] == y["support"] < y["bye"]  # layers go down; the loop back is set aside
    assert x["support"] < x["sales"], "the menu's ports are in its digits' order: 2 (support) left of 1 (sales)"
    assert y["bye"] >= y["sales"] + 160, "the layer under a grown card starts below it"
    assert min(x.values()) == 400 and y["welcome"] == -120, "the top-left corner stays where it was"
    boxes = [(p["x"], p["y"], p["x"] + NODE_WIDTH, p["y"] + (160 if k == "sales" else 72)) for k, p in pos.items()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"cards overlap: {a} {b}"


def test_a_demo_block_gets_the_demo_layout(client: TestClient, alice: Tenant) -> None:
    """One algorithm: the Layout button on an untouched demo block puts every card where `ringflow demo` did."""
    doc = generate_flow(20, seed=4)
    body = {"nodes": [{"id": n["id"], "type": n["type"], "config": n["config"]} for n in doc["nodes"]],
            "edges": [dict(e) for e in reversed(doc["edges"])], "start": doc["start"],
            "origin": {"x": min(n["x"] for n in doc["nodes"]), "y": min(n["y"] for n in doc["nodes"])}}
    pos = post(client, alice, body).json()["positions"]
    assert {k: (p["x"], p["y"]) for k, p in pos.items()} == {n["id"]: (n["x"], n["y"]) for n in doc["nodes"]}


def test_a_selection_without_the_start_and_an_unknown_type_are_laid_out(client: TestClient, alice: Tenant) -> None:
    body = {"nodes": [{"id": "a", "type": "not_a_type"}, {"id": "b", "type": "say"}],
            "edges": [{"source": "a", "outlet": "odd", "target": "b"}], "start": "elsewhere"}
    pos = post(client, alice, body).json()["positions"]
    assert pos["a"]["y"] < pos["b"]["y"]


def test_layout_needs_a_key(client: TestClient) -> None:
    r = post(client, None, menu_body())
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def _nodes(n: int) -> list[dict[str, str]]:
    return [{"id": f"n{i}", "type": "say"} for i in range(n)]


@pytest.mark.parametrize("body,status,code,says", [
    (b"{not json", 400, "invalid_json", "not valid JSON"),
    (b"", 400, "invalid_json", "empty"),
    (b"[1, 2]", 422, "invalid", "the body: Expected `object`"),
    ({"edges": []}, 422, "invalid", "`nodes`"),
    ({"nodes": {"a": 1}}, 422, "invalid", "$.nodes"),
    ({"nodes": [{"id": "a b", "type": "say"}]}, 422, "invalid", "$.nodes[0].id"),
    ({"nodes": [{"id": "a"}]}, 422, "invalid", "`type`"),
    ({"nodes": [{"id": "a", "type": "say", "h": 0}]}, 422, "invalid", "$.nodes[0].h"),
    ({"nodes": [{"id": "a", "type": "say", "x": 5}]}, 422, "invalid", "unknown field `x`"),
    ({"nodes": [{"id": "a", "type": "say", "config": [1]}]}, 422, "invalid", "$.nodes[0].config"),
    ({"nodes": _nodes(1), "origin": {"x": "left", "y": 0}}, 422, "invalid", "$.origin.x"),
    ({"nodes": _nodes(1), "origin": {"x": 1e300, "y": 0}}, 422, "invalid", "$.origin.x"),
    ({"nodes": _nodes(1), "edges": [{"source": "n0", "target": "n0"}]}, 422, "invalid", "`outlet`"),
    ({"nodes": _nodes(2) + [{"id": "n1", "type": "say"}]}, 422, "duplicate_id", "nodes[2].id 'n1' is given twice"),
    ({"nodes": _nodes(2), "edges": [{"source": "n0", "outlet": "next", "target": "gone"}]}, 422, "unknown_node",
     "edges[0].target 'gone' is not one of the nodes given"),
    ({"nodes": _nodes(MAX_LAYOUT_NODES + 1)}, 422, "too_many_nodes", f"up to {MAX_LAYOUT_NODES} nodes"),
])
def test_bad_bodies_get_a_4xx_that_names_the_problem(client: TestClient, alice: Tenant, body: Any, status: int, code: str,
                                                     says: str) -> None:
    r = post(client, alice, body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and says in err["message"], err


def test_not_json_and_oversized_bodies_are_refused(client: TestClient, alice: Tenant) -> None:
    r = post(client, alice, b"nodes=1", **{"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = post(client, alice, b" " * (MAX_LAYOUT_BODY + 1))
    assert r.status_code == 413 and str(MAX_LAYOUT_BODY) in r.json()["error"]["message"]


def test_the_editor_and_the_server_share_the_node_limit() -> None:
    """actions.js refuses before sending; the server refuses the same count, never a different one."""
    js = (ROOT / "ringflow/web/js/ui/actions.js").read_text()
    found = re.search(r"const MAX_LAYOUT = (\d+);", js)
    assert found and int(found.group(1)) == MAX_LAYOUT_NODES


def test_openapi_lists_the_route(client: TestClient) -> None:
    post_op = client.get("/openapi.json").json()["paths"]["/api/v1/layout"]["post"]
    assert "Arrange nodes in layers" in post_op["summary"]


def test_layouts_take_turns_with_other_work_and_a_full_queue_is_told_to_wait(app, client: TestClient, alice: Tenant,  # type: ignore[no-untyped-def]
                                                                             bob: Tenant) -> None:
    """A layout is seconds of CPU at the limit: it runs on the app's background threads, fair
    between customers, and a customer whose queue is full hears 429 with Retry-After."""
    import threading

    from ringflow.api.background import Background

    saved, started, gate = app.state.background, threading.Event(), threading.Event()
    app.state.background = Background(workers=2, max_queued=1)
    try:
        app.state.background.submit(alice.id, lambda: started.set() or gate.wait(), "alice's long job")
        assert started.wait(10)  # it runs, holding one thread
        app.state.background.submit(alice.id, lambda: None, "alice's next job")  # waits its turn: alice's queue is full
        refused = post(client, alice, menu_body())
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "busy"
        laid_out = post(client, bob, menu_body())  # bob takes the other thread at once
        assert laid_out.status_code == 200 and set(laid_out.json()["positions"]) == {n["id"] for n in menu_body()["nodes"]}
    finally:
        gate.set()
        app.state.background.shutdown()
        app.state.background = saved
