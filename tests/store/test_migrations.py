"""The shipped migration builds exactly the schema in schema.py, and reopening is harmless."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ringflow.store import StoreError, open_store
from ringflow.store.engine import normalize_url
from ringflow.store.schema import SQLITE_CELL_TABLES, SQLITE_GRID_INDEX, metadata


def test_migration_matches_the_metadata(fresh_store) -> None:
    with fresh_store.engines.write.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # the spatial index lives outside the metadata: SQLite's cell table, its R*Tree (and the
    # R*Tree's shadow tables), the grid expression index; PostgreSQL's GiST index
    def outside(d) -> bool:  # type: ignore[no-untyped-def]
        if not isinstance(d, tuple):
            return False
        if d[0] == "remove_table":
            return d[1].name.startswith(SQLITE_CELL_TABLES)
        if d[0] == "add_index" and d[1].name == "ix_edges_flow_source":  # on SQLite it is the table's own key (below)
            return fresh_store.dialect == "sqlite"
        return d[0] == "remove_index" and d[1].name in ("ix_nodes_box", SQLITE_GRID_INDEX, "ix_cells_flow_cell")
    assert [d for d in diff if not outside(d)] == []


def test_sqlite_edges_are_clustered_on_the_source_index_columns(fresh_store) -> None:
    """Migration 0004: the edge table is its own (flow_id, source, outlet, customer_id) index."""
    if fresh_store.dialect != "sqlite":
        pytest.skip("PostgreSQL tables are heaps: the unique index stays an index")
    from ringflow.store.schema import flow_edges

    with fresh_store.engines.read.connect() as conn:
        ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'flow_edges'").scalar()
        key = [r[1] for r in sorted(conn.exec_driver_sql("PRAGMA table_info(flow_edges)"), key=lambda r: r[5]) if r[5]]
    source_index = next(i for i in flow_edges.indexes if i.name == "ix_edges_flow_source")
    assert "WITHOUT ROWID" in ddl
    assert key == [c.name for c in source_index.columns]
    # reading a flow's edges in document order (export, skeleton) never goes back to the table
    from ringflow.store.reads import _EDGES_AFTER

    with fresh_store.engines.read.connect() as conn:
        plan = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + _EDGES_AFTER, (1, 1, 0, 10))]
    assert plan == ["SEARCH flow_edges USING COVERING INDEX ix_edges_flow_id (flow_id=? AND id>?)"]


def test_reopening_a_migrated_database_keeps_the_data(store_url: str) -> None:
    store = open_store(store_url)
    cust = store.create_customer("Kept")
    store.close()
    store = open_store(store_url)
    try:
        assert store.get_customer(cust.id).name == "Kept"
        with store.engines.read.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0006"
    finally:
        store.close()


def test_sqlite_is_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with store.engines.read.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()


@pytest.mark.parametrize("url", ["mysql://x@y/z", "nonsense", "sqlite://", "sqlite:///:memory:"])
def test_unsupported_urls_are_a_clear_error(url: str) -> None:
    with pytest.raises(StoreError):
        open_store(url)


def test_postgres_urls_use_psycopg() -> None:
    assert normalize_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert normalize_url("postgresql://u@h/db").startswith("postgresql+psycopg://")


def test_every_tenant_key_includes_customer_id_on_postgres(fresh_store) -> None:
    """Citus distributes by customer_id only if every primary key and unique index has it."""
    if fresh_store.dialect != "postgresql":
        pytest.skip("SQLite keeps single-column integer keys (they are rowids)")
    with fresh_store.engines.read.connect() as conn:
        rows = conn.exec_driver_sql("""
            SELECT t.relname, i.relname, array_agg(a.attname::text)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)
            WHERE (x.indisunique OR x.indisprimary) AND t.relname IN
              ('flows', 'flow_nodes', 'flow_edges', 'flow_revisions', 'customer_secrets')
            GROUP BY t.relname, i.relname""").all()
    assert len(rows) >= 8
    for table, index, columns in rows:
        assert "customer_id" in columns, f"{table}.{index} lacks customer_id"
    with fresh_store.engines.read.connect() as conn:
        gist = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_nodes_box'").scalar()
    assert "gist" in gist and "flow_id" in gist


def test_sqlite_readers_are_not_blocked_by_a_writer(tmp_path) -> None:
    import sqlite3

    path = tmp_path / "wal.db"
    store = open_store(f"sqlite:///{path}")
    try:
        store.create_customer("Before")
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO customers (name, created_at) VALUES ('Uncommitted', 'now')")
        # a reader answers at once, from the last committed snapshot
        assert [c.name for c in store.list_customers().items] == ["Before"]
        writer.execute("COMMIT")
        writer.close()
        assert [c.name for c in store.list_customers().items] == ["Before", "Uncommitted"]
    finally:
        store.close()


def _old_flow(conn) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A flow written as an older version of the store did: rows only, no spatial index of
    today's kind (today's ``create_flow`` needs today's tables)."""
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    cid = conn.exec_driver_sql(f"INSERT INTO customers (name, created_at) VALUES ({ph}, {ph}) RETURNING id", ("Old", "t")).scalar()
    fid = conn.exec_driver_sql(f"INSERT INTO flows (customer_id, name, created_at, updated_at, node_count, edge_count) "
                               f"VALUES ({ph}, {ph}, {ph}, {ph}, 3, 2) RETURNING id", (cid, "F", "t", "t")).scalar()
    for nid, x, y, w in (("a", -700, 1500, 200), ("b", 9000, 9000, 200), ("wide", -9000, 0, 9000)):
        conn.exec_driver_sql(f"INSERT INTO flow_nodes (customer_id, flow_id, node_id, type, x, y, w, h) "
                             f"VALUES ({ph}, {ph}, {ph}, 'say', {ph}, {ph}, {ph}, 80)", (cid, fid, nid, x, y, w))
    for source, target in OLD_EDGES:  # not in source order: the upgrade must keep the document's order
        conn.exec_driver_sql(f"INSERT INTO flow_edges (customer_id, flow_id, source, outlet, target) VALUES ({ph}, {ph}, {ph}, 'next', {ph})",
                             (cid, fid, source, target))
    return cid, fid


OLD_EDGES = (("wide", "a"), ("a", "b"))


def test_upgrading_an_old_database_keeps_its_flows_findable(store_url: str) -> None:
    """A database made before the cell R*Tree (at 0001, so every later migration runs) answers
    the viewport after the upgrade, big nodes included, and keeps its edges in their order;
    downgrading steps back to a rowid edge table, to the grid indexes, then to the per-node
    R*Tree, each rebuilt from the rows."""
    from alembic import command
    from alembic.config import Config

    from ringflow.store.engine import MIGRATIONS, migration_transaction, open_engines

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engines = open_engines(store_url)
    with engines.write.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        cid, fid = _old_flow(conn)
    engines.dispose()
    store = open_store(store_url)
    try:
        assert [n["id"] for n in store.viewport(cid, fid, -800, 1400, -600, 1600, 10).nodes] == ["a"]
        assert [n["id"] for n in store.viewport(cid, fid, -100, 10, -50, 20, 10).nodes] == ["wide"]  # 8,900 units from its cell
        old_edges = [{"source": s, "outlet": "next", "target": t} for s, t in OLD_EDGES]
        assert store.get_document(cid, fid)["edges"] == old_edges
        store.apply_patch(cid, fid, 1, [{"op": "add_edge", "source": "b", "outlet": "next", "target": "wide"}])
        edges = old_edges + [{"source": "b", "outlet": "next", "target": "wide"}]
        assert store.get_document(cid, fid)["edges"] == edges  # numbered after the kept ones
        if store.dialect == "sqlite":
            with migration_transaction(store.engines) as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM flow_cells").scalar() == 3
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0003")
                assert "WITHOUT ROWID" not in conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'flow_edges'").scalar()
                order = conn.exec_driver_sql("SELECT source, target FROM flow_edges ORDER BY id").all()
                assert [tuple(r) for r in order] == [(e["source"], e["target"]) for e in edges]
                command.downgrade(cfg, "0002")
                names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
                assert {"ix_nodes_cell", "ix_nodes_big"} <= names and not names & {"flow_cells", "cell_rtree", "ix_nodes_grid"}
                command.downgrade(cfg, "0001")
                assert conn.exec_driver_sql("SELECT count(*) FROM node_rtree WHERE minx <= -690 AND maxx >= -690 AND miny > 1000").scalar() == 1
    finally:
        store.close()


def test_a_deleted_flows_id_is_never_handed_out_again(store, customer) -> None:
    """Issue 14, High 1: SQLite's rowid went back to the deleted maximum; AUTOINCREMENT (0005) does not."""
    from ringflow.model.document import normalize

    doc = normalize({"name": "Top", "nodes": [], "edges": []})
    top = store.create_flow(customer.id, doc)
    assert store.delete_flow(customer.id, top.id)
    other = store.create_customer("Next tenant")
    again = store.create_flow(other.id, doc)
    assert again.id > top.id
    assert store.flow_owner(top.id) is None


def test_upgrading_keeps_flow_ids_and_starts_the_sequence_above_them(tmp_path) -> None:
    """0005 rebuilds SQLite's flows keeping every id and row (nodes, revisions) attached."""
    from alembic import command
    from alembic.config import Config

    from ringflow.model.document import normalize
    from ringflow.store.engine import MIGRATIONS, migration_transaction, open_engines

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url)
    cust = store.create_customer("Old")
    flows = [store.create_flow(cust.id, normalize({"name": f"F{i}", "start": "a", "nodes": [{"id": "a", "type": "hangup"}],
                                                   "edges": []})) for i in range(3)]
    store.publish(cust.id, flows[1].id)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with migration_transaction(store.engines) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        assert "AUTOINCREMENT" not in conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'flows'").scalar()
    store.close()
    store = open_store(url)  # upgrades to 0005 again
    try:
        assert [store.get_flow(cust.id, f.id).name for f in flows] == ["F0", "F1", "F2"]
        assert store.get_document(cust.id, flows[1].id)["nodes"][0]["id"] == "a"
        assert store.get_revision(cust.id, flows[1].id, 1)[0].number == 1
        store.delete_flow(cust.id, flows[2].id)
        assert store.create_flow(cust.id, normalize({"name": "N", "nodes": [], "edges": []})).id == flows[2].id + 1
        with store.engines.read.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        store.close()
