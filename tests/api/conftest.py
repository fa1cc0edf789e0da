"""API test fixtures: a fresh SQLite store per test module, an app around it, customers with keys."""

from __future__ import annotations

import secrets
import tempfile
from contextlib import contextmanager
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


PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named database, dropped afterwards (never touching anyone else's)."""
    import psycopg

    name = f"ringflow_t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ringflow-api-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'api.db'}"


def _open(backend: str) -> Iterator[object]:
    with (postgres_database() if backend == "postgresql" else sqlite_database()) as url:
        st = open_store(url)
        try:
            yield st
        finally:
            st.close()


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    """SQLite by default; a module sets ``BACKENDS`` to run on PostgreSQL as well."""
    yield from _open(getattr(request, "param", "sqlite"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backends = getattr(metafunc.module, "BACKENDS", None)
    if backends and "store" in metafunc.fixturenames:
        params = [pytest.param(b, marks=pytest.mark.postgres) if b == "postgresql" else b for b in backends]
        metafunc.parametrize("store", params, indirect=True, scope="module")


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
