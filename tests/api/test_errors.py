"""Bad input gets a 4xx with {"error": {code, message, details}}: never a 500, never a traceback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from tests.api.conftest import Tenant, create, make_settings


def _is_error(r, status: int | tuple[int, ...], code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    assert "Traceback" not in r.text
    return body["error"]


def test_invalid_json_is_400(client: TestClient, alice: Tenant) -> None:
    h = alice.headers | {"Content-Type": "application/json"}
    _is_error(client.post("/api/v1/flows", content=b"{not json", headers=h), 400, "invalid_json")
    _is_error(client.post("/api/v1/flows", content=b"", headers=h), 400, "invalid_json")
    _is_error(client.post("/api/v1/session", content=b"{", headers={"Content-Type": "application/json"}), 400, "invalid_json")


def test_wrong_media_type_is_415(client: TestClient, alice: Tenant) -> None:
    _is_error(client.post("/api/v1/flows", content=b"name=x", headers=alice.headers | {"Content-Type": "text/plain"}), 415)


@pytest.mark.parametrize("doc, field", [
    ([], None),
    ({"name": "x", "nodes": "many"}, "nodes"),
    ({"name": "x", "nodes": [{"id": "a", "type": "say", "x": "left"}]}, "x"),
    ({"name": "x", "nodes": [], "edges": [], "surprise": 1}, "surprise"),
    ({"name": "x", "nodes": [{"id": "a b", "type": "say"}]}, "id"),
    ({"name": "x", "nodes": [{"id": "a", "type": "say"}], "edges": [{"source": "a", "outlet": "next", "target": "zz"}]}, None),
])
def test_bad_documents_are_422_naming_the_problem(client: TestClient, alice: Tenant, doc: object, field: str | None) -> None:
    err = _is_error(client.post("/api/v1/flows", json=doc, headers=alice.headers), 422, "invalid_document")
    assert err["details"]["problems"]
    if field:
        assert any(p["field"] == field for p in err["details"]["problems"])


def test_wrong_types_and_unknown_fields_in_models(client: TestClient, alice: Tenant) -> None:
    err = _is_error(client.post("/api/v1/session", json={"api_key": 5}), 422, "invalid")
    assert err["details"]["errors"][0]["field"] == "api_key"
    err = _is_error(client.post("/api/v1/session", json={"api_key": "x", "remember": True}), 422)
    assert "remember" in err["message"]
    flow = create(client, alice)
    h = alice.headers | {"If-Match": str(flow["revision"])}
    _is_error(client.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [], "extra": 1}, headers=h), 422)
    _is_error(client.patch(f"/api/v1/flows/{flow['id']}", json={"ops": "x"}, headers=h), 422)
    _is_error(client.patch(f"/api/v1/flows/{flow['id']}", json=[1, 2], headers=h), 422)
    _is_error(client.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "move_node", "id": "hello", "x": "far"}]}, headers=h), 422)


def test_bad_path_and_query_values(client: TestClient, alice: Tenant) -> None:
    _is_error(client.get("/api/v1/flows/abc", headers=alice.headers), 422)
    _is_error(client.get("/api/v1/flows/0", headers=alice.headers), 422)
    _is_error(client.get("/api/v1/flows/99999999999999999999999", headers=alice.headers), 422)
    _is_error(client.get("/api/v1/flows", params={"limit": -1}, headers=alice.headers), 422)
    _is_error(client.get("/api/v1/flows", params={"limit": "lots"}, headers=alice.headers), 422)
    for cursor in ("garbage", "eyJhIjogMX0", "%%%", "A" * 500):
        _is_error(client.get("/api/v1/flows", params={"cursor": cursor}, headers=alice.headers), (400, 422))


def test_unknown_route_and_method(client: TestClient, alice: Tenant) -> None:
    _is_error(client.get("/api/v1/nothing", headers=alice.headers), 404)
    _is_error(client.put("/api/v1/flows", headers=alice.headers), 405)


def test_body_over_the_limit_is_413(store: object, alice: Tenant) -> None:
    app = create_app(make_settings(max_body_bytes=1000), store)  # type: ignore[arg-type]
    with TestClient(app) as c:
        big = {"name": "x" * 2000, "nodes": [], "edges": []}
        _is_error(c.post("/api/v1/flows", json=big, headers=alice.headers), 413, "body_too_large")

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(10):
                yield b" " * 500
        _is_error(c.post("/api/v1/flows", content=chunks(), headers=alice.headers | {"Content-Type": "application/json"}), 413)


def test_a_genuine_bug_is_a_json_500(store: object, alice: Tenant) -> None:
    app = create_app(make_settings(), store)  # type: ignore[arg-type]

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        err = _is_error(c.get("/boom"), 500, "internal_error")
        assert "bug" not in err["message"]
