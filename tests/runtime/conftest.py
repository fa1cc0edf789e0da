"""Runtime test fixtures: a real SQLite store and the real app, customers made through the API."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from ringflow.config import Settings
from ringflow.store import open_store

from tests.api.conftest import ADMIN, Tenant  # noqa: F401
from tests.api.conftest import new_tenant as api_tenant


def new_tenant(client: TestClient, name: str = "Acme", unsigned: bool = True) -> Tenant:
    """A customer made as the API suite makes them; ``unsigned`` turns on unsigned webhooks (refused by
    default since issue 14), which these suites send unless a test sets a provider token."""
    t = api_tenant(client, name)
    if unsigned:
        r = client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=t.headers)
        assert r.status_code == 200 and r.json()["allow_unsigned_webhooks"] is True, r.text
    return t


def make_client(clock: Any = None, **settings: Any) -> Iterator[tuple[TestClient, Any]]:
    """A real app on a fresh SQLite store; ``clock`` (if given) is "now" for both."""
    with tempfile.TemporaryDirectory(prefix="ringflow-rt-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'rt.db'}", clock=clock)
        base = dict(admin_token=ADMIN, secret_key="runtime-test-secret", rate_limit_per_minute=0, allow_private_http=True)
        base.update(settings)
        app = create_app(Settings(**base), store, **({"clock": clock} if clock else {}))  # type: ignore[arg-type]
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield client, app
        finally:
            store.close()


@pytest.fixture(scope="module")
def rt() -> Iterator[tuple[TestClient, Any]]:
    yield from make_client()


@pytest.fixture(scope="module")
def client(rt) -> TestClient:  # type: ignore[no-untyped-def]
    return rt[0]


@pytest.fixture(scope="module")
def alice(client: TestClient) -> Tenant:
    return new_tenant(client, "Alice")


@pytest.fixture(scope="module")
def bob(client: TestClient) -> Tenant:
    return new_tenant(client, "Bob")


def publish(client: TestClient, tenant: Tenant, doc: dict[str, Any], publish_it: bool = True) -> int:
    r = client.post("/api/v1/flows", json=doc, headers=tenant.headers)
    assert r.status_code == 201, r.text
    flow_id = r.json()["id"]
    if publish_it:
        p = client.post(f"/api/v1/flows/{flow_id}/publish", headers=tenant.headers)
        assert p.status_code in (200, 201), p.text
    return flow_id
