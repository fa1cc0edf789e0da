"""The bulk import's write transaction (ringflow/store/bigwrite.py) on SQLite: foreign keys
off for that transaction only, the checkpoint moved to a thread, and nothing else changed."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from ringflow.model.demo import generate_flow
from ringflow.store import open_store
from ringflow.store.bigwrite import WAL_AUTOCHECKPOINT, big_write, checkpoint_in_background
from ringflow.store.sql import BIG_IMPORT


@pytest.fixture
def sqlite_store(tmp_path):  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    yield store
    store.close()


def _pragmas(raw: sqlite3.Connection) -> tuple[int, int]:
    """(foreign_keys, wal_autocheckpoint) of a driver connection."""
    return raw.execute("PRAGMA foreign_keys").fetchone()[0], raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def _writer_pragmas(store) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with store.engines.write_lock, store.engines.write.connect() as conn:
        return _pragmas(conn.connection.driver_connection)


def test_a_big_import_lands_whole_and_leaves_the_writer_as_it_was(sqlite_store, monkeypatch) -> None:
    import ringflow.store.sql as sql

    taken = []
    monkeypatch.setattr(sql, "big_write", lambda engines: taken.append(engines) or big_write(engines))
    cust = sqlite_store.create_customer("Big")
    doc = generate_flow(BIG_IMPORT)
    meta = sqlite_store.create_flow(cust.id, doc)
    assert len(taken) == 1  # this size takes the bulk write path
    back = sqlite_store.get_document(cust.id, meta.id)
    assert len(back["nodes"]) == len(doc["nodes"]) and back["edges"] == doc["edges"]
    assert _writer_pragmas(sqlite_store) == (1, WAL_AUTOCHECKPOINT)
    # foreign keys are really back on: an edge of a flow that does not exist is refused
    with pytest.raises(Exception, match="FOREIGN KEY"):
        with sqlite_store.engines.write_lock, sqlite_store.engines.write.begin() as conn:
            conn.exec_driver_sql("INSERT INTO flow_edges (id, customer_id, flow_id, source, outlet, target) "
                                 "VALUES (1, ?, 999999, 'a', 'next', 'b')", (cust.id,))


def test_a_failing_big_write_rolls_back_and_restores_the_writer(sqlite_store) -> None:
    cust = sqlite_store.create_customer("Failing")
    with pytest.raises(RuntimeError):
        with big_write(sqlite_store.engines) as conn:
            assert _pragmas(conn.connection.driver_connection) == (0, 0)
            conn.exec_driver_sql("INSERT INTO flows (customer_id, name, created_at, updated_at) VALUES (?, 'Half', 't', 't')", (cust.id,))
            raise RuntimeError("the import broke half way")
    assert sqlite_store.list_flows(cust.id).items == []
    assert _writer_pragmas(sqlite_store) == (1, WAL_AUTOCHECKPOINT)


def test_the_background_checkpoint_puts_the_import_in_the_database_file(sqlite_store, tmp_path) -> None:
    cust = sqlite_store.create_customer("Checkpointed")
    with sqlite_store.engines.write_lock, sqlite_store.engines.write.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")  # only the thread may copy it back
    try:
        doc = generate_flow(60)
        meta = sqlite_store.create_flow(cust.id, doc)
        thread = checkpoint_in_background(str(tmp_path / "big.db"))
        assert thread is not None
        thread.join(30)
    finally:
        with sqlite_store.engines.write_lock, sqlite_store.engines.write.connect() as conn:
            conn.connection.driver_connection.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    shutil.copy(tmp_path / "big.db", tmp_path / "file-only.db")  # the database file alone, without its WAL
    con = sqlite3.connect(tmp_path / "file-only.db")
    try:
        assert con.execute("SELECT count(*) FROM flow_nodes WHERE flow_id = ?", (meta.id,)).fetchone()[0] == len(doc["nodes"])
    finally:
        con.close()


def test_a_checkpoint_of_a_missing_database_is_a_quiet_no_op(tmp_path) -> None:
    assert checkpoint_in_background(None) is None
    for missing in (tmp_path / "nowhere" / "gone.db", tmp_path / "gone.db"):
        thread = checkpoint_in_background(str(missing))
        assert thread is not None
        thread.join(10)
        assert not missing.exists()  # never created again, empty


def test_the_checkpoint_finds_a_database_whose_path_needs_quoting(tmp_path) -> None:
    path = tmp_path / "odd dir #1" / "flows 100%.db"  # a space, "#" and "%" mean something in a file: URI
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.engines.write.url.database == str(path)
        with store.engines.write_lock, store.engines.write.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
        cust = store.create_customer("Quoted")
        meta = store.create_flow(cust.id, generate_flow(60))
        thread = checkpoint_in_background(str(path))
        assert thread is not None
        thread.join(30)
        shutil.copy(path, tmp_path / "file-only.db")  # the database file alone, without its WAL
    finally:
        store.close()
    con = sqlite3.connect(tmp_path / "file-only.db")
    try:
        assert con.execute("SELECT count(*) FROM flows WHERE id = ?", (meta.id,)).fetchone()[0] == 1
    finally:
        con.close()
