"""API test fixtures: a fresh SQLite store per test module, an app around it, customers with keys."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from ringflow.config import Settings
from ringflow.store import open_store

ADMIN = "test-admin-token"


@dataclass
class Tenant:
    id: int
    key: str
    key_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_settings(**overrides: object) -> Settings:
    base = dict(admin_token=ADMIN, secret_key="test-secret", rate_limit_per_minute=0)
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def store() -> Iterator[object]:
    with tempfile.TemporaryDirectory(prefix="ringflow-api-") as tmp:
        st = open_store(f"sqlite:///{Path(tmp) / 'api.db'}")
        yield st
        st.close()


@pytest.fixture(scope="module")
def app(store: object):  # type: ignore[no-untyped-def]
    return create_app(make_settings(), store)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def new_tenant(client: TestClient, name: str = "Acme") -> Tenant:
    r = client.post("/api/v1/customers", json={"name": name}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 201, r.text
    body = r.json()
    return Tenant(body["id"], body["api_key"], body["key_id"])


@pytest.fixture(scope="module")
def alice(client: TestClient) -> Tenant:
    return new_tenant(client, "Alice Ltd")


@pytest.fixture(scope="module")
def bob(client: TestClient) -> Tenant:
    return new_tenant(client, "Bob Inc")


def small_flow(name: str = "Support line") -> dict:
    return {
        "name": name, "start": "hello",
        "nodes": [
            {"id": "hello", "type": "say", "x": 0, "y": 0, "label": "Greeting", "config": {"text": "Hello"}},
            {"id": "bye", "type": "hangup", "x": 0, "y": 200, "label": "Goodbye", "config": {}},
        ],
        "edges": [{"source": "hello", "outlet": "next", "target": "bye"}],
    }


def create(client: TestClient, tenant: Tenant, doc: dict | None = None) -> dict:
    r = client.post("/api/v1/flows", json=doc or small_flow(), headers=tenant.headers)
    assert r.status_code == 201, r.text
    return r.json()
