"""Opening a database: URL to engines, per-connection settings, migration on open.

SQLite gets two engines over one file: a single-connection writer (``BEGIN IMMEDIATE``,
serialized by a lock, so writers queue instead of failing with "database is locked") and a
small pool of readers that WAL lets run beside it. PostgreSQL gets one pool via psycopg 3.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ringflow.store.base import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass
class Engines:
    dialect: str
    read: Engine
    write: Engine
    write_lock: threading.Lock

    def dispose(self) -> None:
        self.read.dispose()
        if self.write is not self.read:
            self.write.dispose()


def driver(conn: Connection) -> Any:
    """The DB-API connection under ``conn`` (sqlite3 or psycopg), for bulk paths SQLAlchemy has no verb for."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise StoreError("the database connection is closed")
    return raw


def normalize_url(url: str) -> str:
    """Accept the URLs people type (``postgres://``, ``postgresql://``) and pin the drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r} (use sqlite:///path.db or postgresql://user@host/db)") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///path.db or postgresql://...")
    return url


def check_rtree() -> None:
    """SQLite's spatial index is an R*Tree; say so plainly when this build lacks the module."""
    con = sqlite3.connect(":memory:")
    try:
        options = {row[0] for row in con.execute("PRAGMA compile_options")}
    finally:
        con.close()
    if "ENABLE_RTREE" not in options:
        raise StoreError(f"this Python's SQLite {sqlite3.sqlite_version} was built without the R*Tree module "
                         "(ENABLE_RTREE), which Ringflow's spatial index needs; use a Python whose sqlite3 has it, or PostgreSQL")


def _sqlite_engine(url: str, pool_size: int, immediate: bool, cache_kib: int) -> Engine:
    # LIFO: the most recently used connection is reused, and with it its warm page cache (FIFO
    # rotated every request through all 8 readers, each reading the same pages cold)
    engine = create_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=60, pool_use_lifo=True,
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable against process crashes in WAL mode
        cur.execute("PRAGMA temp_store=MEMORY")  # viewport sorts and IN lists stay off disk
        cur.execute(f"PRAGMA cache_size=-{cache_kib}")  # a big import's indexes stay in memory, not spilled mid-transaction
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_engines(url: str) -> Engines:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        check_rtree()
        database = make_url(url).database
        if not database or database == ":memory:":
            raise StoreError("use a file for SQLite (sqlite:///path.db): readers and the writer share it")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        write = _sqlite_engine(url, 1, immediate=True, cache_kib=262_144)
        read = _sqlite_engine(url, 8, immediate=False, cache_kib=65_536)
        return Engines("sqlite", read, write, threading.Lock())
    # prepare_threshold=None: psycopg never turns our statements into server-side prepared ones, so
    # PostgreSQL never switches the viewport to a generic plan ("walk the flow in key order, filter
    # by box": 750 ms on 500,000 nodes instead of 1 ms). Not a session-wide plan_cache_mode: that
    # also re-planned the foreign-key checks of every COPY row (a 500,000-node import 30 s -> 70 s).
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True,
                           connect_args={"prepare_threshold": None})

    @event.listens_for(engine, "connect")
    def _on_pg_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # No parallel workers: the viewport's edge lookup (two index scans, ~1 ms) was planned
        # as a parallel append, and starting the workers took 18 ms of its 19.
        with dbapi_conn.cursor() as cur:
            cur.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_conn.commit()

    return Engines("postgresql", engine, engine, threading.Lock())


def migrate(engines: Engines) -> None:
    """Bring the database to the newest schema (safe to call on every start)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engines.write_lock, migration_transaction(engines) as conn:
        if engines.dialect == "postgresql":  # two processes migrating at once take turns
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7245001)")
            available = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'").first()
            if available is None:
                raise StoreError("PostgreSQL lacks the btree_gist extension (package postgresql-contrib), needed by the spatial index")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextmanager
def migration_transaction(engines: Engines) -> Iterator[Connection]:
    """The writer in one transaction, as migrations need it. SQLite can only rebuild a table that
    others reference (0005) with foreign keys off, and that switch is ignored inside a transaction:
    it is set before BEGIN and restored after (each migration that rebuilds checks the keys itself)."""
    with engines.write.connect() as conn:
        raw = conn.connection.dbapi_connection if engines.dialect == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
