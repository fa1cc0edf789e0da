"""Walk every route of the OpenAPI document as a stranger: no key, a wrong key, another customer's key.

Never a 200 with data, never a 500: 401 without valid credentials, 404 for another customer's
flow exactly as for a missing one (the same body too).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tenant, create, new_tenant

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("DELETE", "/api/v1/session")}

BACKENDS = ("sqlite", "postgresql")  # the main flow tests run on both stores


def _routes(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    out = []
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                out.append((method.upper(), path))
    return out


def _fill(path: str, flow_id: int, customer_id: int) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return {"flow_id": str(flow_id), "customer_id": str(customer_id), "number": "1", "key_id": "1"}.get(name, "1")
    return re.sub(r"\{([^}]+)\}", sub, path)


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    params = {"x0": 0, "y0": 0, "x1": 100, "y1": 100, "q": "a", "from": "1", "to": "draft"}
    if method == "PATCH":
        body: dict = {"ops": [{"op": "rename", "name": "pwned"}]}
    elif url.endswith(("/flows", "/customers")):
        body = {"name": "x", "nodes": [], "edges": []} if url.endswith("/flows") else {"name": "x"}
    else:
        body = {}
    headers = headers | {"If-Match": "1"}
    if method in ("POST", "PATCH", "PUT"):
        return client.request(method, url, params=params, json=body, headers=headers)
    if url.endswith("/events"):
        with client.stream(method, url, headers=headers) as r:
            return r
    return client.request(method, url, params=params, headers=headers)


@pytest.fixture(scope="module")
def victim(client: TestClient) -> tuple[Tenant, dict]:
    owner = new_tenant(client, "Victim")
    flow = create(client, owner)
    assert client.post(f"/api/v1/flows/{flow['id']}/publish", headers=owner.headers).status_code == 201
    return owner, flow


def test_every_route_refuses_strangers(client: TestClient, victim: tuple[Tenant, dict]) -> None:
    owner, flow = victim
    intruder = new_tenant(client, "Intruder")
    routes = _routes(client)
    assert len(routes) >= 20
    checked = 0
    for method, path in routes:
        if (method, path) in PUBLIC or (method, path) == ("POST", "/api/v1/session"):
            continue
        if path.startswith("/voice"):  # provider webhooks: signed by the provider, tested with the runtime
            continue
        url = _fill(path, flow["id"], owner.id)
        for label, headers in (("none", {}), ("wrong", {"Authorization": "Bearer rf_wrongwrongwrong"}),
                               ("other", intruder.headers)):
            r = _call(client, method, url, headers)
            admin_route = path.startswith(("/api/v1/customers", "/api/v1/keys"))
            if label != "other" or admin_route:
                assert r.status_code == 401, (method, path, label, r.status_code)
            elif "{" in path:  # someone else's thing: exactly "not found"
                assert r.status_code == 404, (method, path, label, r.status_code)
            else:  # the intruder's own collection (its list, its new flow, its settings): never the victim's data
                assert r.status_code < 500, (method, path, label, r.status_code)
                if method == "GET" and path == "/api/v1/flows":
                    assert all(f["customer_id"] == intruder.id for f in r.json()["flows"])
            checked += 1
    assert checked >= 50
    # the victim's flow is untouched
    meta = client.get(f"/api/v1/flows/{flow['id']}", headers=owner.headers).json()
    assert meta["name"] != "pwned" and meta["revision"] == flow["revision"]


def test_someone_elses_flow_is_indistinguishable_from_a_missing_one(client: TestClient, victim: tuple[Tenant, dict]) -> None:
    owner, flow = victim
    intruder = new_tenant(client, "Prober")
    theirs = client.get(f"/api/v1/flows/{flow['id']}", headers=intruder.headers)
    missing = client.get("/api/v1/flows/987654321", headers=intruder.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
