"""Shared fixtures: a real store on each backend (no mocks).

``store`` runs a test on SQLite (a temp file) and on PostgreSQL (a database created for
this test session on 127.0.0.1:5432 and dropped afterwards). The databases are shared by
the session's tests; tests stay independent by working under their own customer
(``customer`` fixture): tenancy is the isolation. ``fresh_store`` gives an empty database.
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("RINGFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


class PgDatabases:
    """Creates uniquely named databases and drops exactly those (never anything shared)."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        import psycopg

        name = f"ringflow_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _pg_url(name)

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def _sqlite_store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from ringflow.store import open_store

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'ringflow.db'}")
    yield store
    store.close()


@pytest.fixture(scope="session")
def _pg_store(pg_databases: PgDatabases):  # type: ignore[no-untyped-def]
    from ringflow.store import open_store

    store = open_store(pg_databases.create())
    yield store
    store.close()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A migrated store on each backend, shared by the session: work under your own customer."""
    return request.getfixturevalue("_sqlite_store" if request.param == "sqlite" else "_pg_store")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path, pg_databases: PgDatabases) -> str:  # type: ignore[no-untyped-def]
    """The URL of a fresh, empty database on each backend (not yet migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return pg_databases.create()


@pytest.fixture
def fresh_store(store_url: str):  # type: ignore[no-untyped-def]
    """A store on an empty, freshly migrated database on each backend."""
    from ringflow.store import open_store

    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture
def customer(store):  # type: ignore[no-untyped-def]
    """A customer of its own for this test, on the ``store`` backend."""
    return store.create_customer(f"Test {uuid.uuid4().hex[:8]}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while the session's Playwright driver is alive the main thread
    has a running event loop, and ``asyncio.run`` in any later test would refuse to start."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One Debian Chromium for the whole session: Playwright's sync API allows one driver at a time."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()
