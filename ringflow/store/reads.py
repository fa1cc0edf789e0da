"""Reading flows back: whole documents, streamed chunks, geometry arrays, search, and the
critical region around the start. All take an open connection and a checked flow row."""

from __future__ import annotations

from collections import deque
from operator import itemgetter
from typing import Any, Iterator, Sequence

import orjson
from sqlalchemy import Connection, bindparam, text

from ringflow.model.document import EdgeDict, FlowDocument, NodeDict
from ringflow.model.gcpause import gc_paused
from ringflow.store.base import Geometry, Viewport
from ringflow.store.engine import driver
from ringflow.store.spatial import NODE_COLUMNS

# Big reads go through the driver's own cursor (plain tuples): SQLAlchemy rows cost more
# than the query itself at 500,000 nodes. Written with "?" and adapted per driver.
_NODES_AFTER = (f"SELECT {NODE_COLUMNS} FROM flow_nodes n WHERE n.flow_id = ? AND n.customer_id = ? AND n.key > ? "
                "ORDER BY n.key LIMIT ?")
_GEOMETRY_AFTER = ("SELECT n.key, n.node_id, n.type, n.x, n.y, n.w, n.h FROM flow_nodes n "
                   "WHERE n.flow_id = ? AND n.customer_id = ? AND n.key > ? ORDER BY n.key LIMIT ?")
_EDGES_AFTER = "SELECT id, source, outlet, target FROM flow_edges WHERE flow_id = ? AND customer_id = ? AND id > ? ORDER BY id LIMIT ?"
_NODES_BY_ID = text(f"SELECT {NODE_COLUMNS} FROM flow_nodes n WHERE n.customer_id = :c AND n.flow_id = :f AND n.node_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True))
# no ORDER BY in these: it would steer SQLite onto the (flow_id, id) index; callers sort
_TARGETS_OF = text("SELECT id, source, target FROM flow_edges WHERE customer_id = :c AND flow_id = :f AND source IN :ids"
                   ).bindparams(bindparam("ids", expanding=True))
_IN_CHUNK = 2000  # ids per query: bounds the size of one statement


_SOURCE, _OUTLET, _TARGET = itemgetter(1), itemgetter(2), itemgetter(3)  # of an edge row (id, source, outlet, target)


def node_of(row: Sequence[Any], with_key: bool = True) -> NodeDict:
    """A node dict from a row of NODE_COLUMNS (key, node_id, type, x, y, w, h, label, config)."""
    node: dict[str, Any] = {"id": row[1], "type": row[2], "x": row[3], "y": row[4], "w": row[5], "h": row[6],
                            "label": row[7], "config": orjson.loads(row[8])}
    if with_key:
        node["key"] = row[0]
    return node  # type: ignore[return-value]


def _edge(row: Any) -> EdgeDict:
    return {"source": row[1], "outlet": row[2], "target": row[3]}


def raw_query(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Run ``sql`` ("?" placeholders) on the driver's cursor, inside the current transaction."""
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cur = driver(conn).cursor()
    try:
        cur.execute(sql, params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows
    finally:
        cur.close()


def _iter_after(conn: Connection, sql: str, customer_id: int, flow_id: int, batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in key order, a keyset batch at a time (column 0 is the key)."""
    after = -1
    while True:
        rows = raw_query(conn, sql, (flow_id, customer_id, after, batch))
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = rows[-1][0]


def iter_nodes(conn: Connection, customer_id: int, flow_id: int, batch: int = 20000) -> Iterator[list[tuple[Any, ...]]]:
    return _iter_after(conn, _NODES_AFTER, customer_id, flow_id, batch)


def iter_edges(conn: Connection, customer_id: int, flow_id: int, batch: int = 50000) -> Iterator[list[tuple[Any, ...]]]:
    return _iter_after(conn, _EDGES_AFTER, customer_id, flow_id, batch)


@gc_paused
def document(conn: Connection, flow: Any) -> FlowDocument:
    nodes = [node_of(r, False) for rows in iter_nodes(conn, flow.customer_id, flow.id) for r in rows]
    edges = [_edge(r) for rows in iter_edges(conn, flow.customer_id, flow.id) for r in rows]
    return {"name": flow.name, "start": flow.start_node, "nodes": nodes, "edges": edges}


def _node_json(row: Sequence[Any]) -> bytes:
    # config is already JSON text in the row: splice it in rather than parse and re-dump
    head = orjson.dumps({"id": row[1], "type": row[2], "x": row[3], "y": row[4], "w": row[5], "h": row[6], "label": row[7]})
    config: str = row[8]
    return head[:-1] + b',"config":' + config.encode() + b"}"


def document_chunks(conn: Connection, flow: Any, batch: int) -> Iterator[bytes]:
    """The document as JSON bytes, a batch of nodes or edges per chunk (valid once joined)."""
    batch = max(1, batch)
    yield b'{"name":' + orjson.dumps(flow.name) + b',"start":' + orjson.dumps(flow.start_node) + b',"nodes":['
    sep = b""
    for rows in iter_nodes(conn, flow.customer_id, flow.id, batch):
        yield sep + b",".join(_node_json(r) for r in rows)
        sep = b","
    yield b'],"edges":['
    sep = b""
    for rows in iter_edges(conn, flow.customer_id, flow.id, batch):
        yield sep + b",".join(orjson.dumps(_edge(r)) for r in rows)
        sep = b","
    yield b"]}"


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield list(items[i:i + _IN_CHUNK])


_TOUCHING = {
    # one parameter for the whole id list (a JSON array / a PostgreSQL array): no SQL text per list size.
    # The second half skips edges the first already found, so each edge comes once. No ORDER BY: it
    # steers SQLite onto the (flow_id, id) index, a walk over the whole flow; callers sort. On SQLite
    # the first half reads the clustered table itself (migration 0004) and the second is pinned to
    # the target index: without statistics SQLite may otherwise walk the flow's part of the table.
    "sqlite": ("SELECT id, source, outlet, target FROM flow_edges WHERE flow_id = ? AND customer_id = ? "
               "AND source IN (SELECT value FROM json_each(?)) UNION ALL "
               "SELECT id, source, outlet, target FROM flow_edges INDEXED BY ix_edges_flow_target WHERE flow_id = ? AND customer_id = ? "
               "AND target IN (SELECT value FROM json_each(?)) AND source NOT IN (SELECT value FROM json_each(?))"),
    "postgresql": ("SELECT id, source, outlet, target FROM flow_edges WHERE flow_id = ? AND customer_id = ? AND source = ANY(?) "
                   "UNION ALL SELECT id, source, outlet, target FROM flow_edges WHERE flow_id = ? AND customer_id = ? "
                   "AND target = ANY(?) AND NOT source = ANY(?)"),
}


def edges_touching(conn: Connection, customer_id: int, flow_id: int, ids: Sequence[str]) -> list[EdgeDict]:
    """Edges with either end among ``ids``, in document order, each once."""
    if not ids:
        return []
    dialect = conn.dialect.name
    if len(ids) <= _IN_CHUNK:  # the viewport's case: one query, already de-duplicated
        arg: Any = orjson.dumps(ids).decode() if dialect == "sqlite" else list(ids)
        rows = raw_query(conn, _TOUCHING[dialect], (flow_id, customer_id, arg, flow_id, customer_id, arg, arg))
        rows.sort()
        return [{"source": s, "outlet": o, "target": t} for _, s, o, t in rows]
    found: dict[int, EdgeDict] = {}
    for part in _chunks(ids):  # an edge may come once per chunk holding one of its ends
        arg = orjson.dumps(part).decode() if dialect == "sqlite" else part
        for r in raw_query(conn, _TOUCHING[dialect], (flow_id, customer_id, arg, flow_id, customer_id, arg, arg)):
            found[r[0]] = _edge(r)
    return [found[k] for k in sorted(found)]


@gc_paused  # millions of small objects at 500,000 nodes: no full collection rescanning them mid-read
def geometry(conn: Connection, flow: Any) -> Geometry:
    """Whole-flow columns; the per-row work is C-level (zip, map), not a Python step per row."""
    g = Geometry([], [], [], [], [], [], revision=flow.revision)
    columns: tuple[list[Any], ...] = (g.keys, g.ids, g.types, g.xs, g.ys, g.ws, g.hs)
    for rows in _iter_after(conn, _GEOMETRY_AFTER, flow.customer_id, flow.id, 50000):
        if rows:
            for column, values in zip(columns, zip(*rows)):  # the rows are (key, id, type, x, y, w, h)
                column.extend(values)
    index = dict(zip(g.ids, range(len(g.ids))))
    for rows in iter_edges(conn, flow.customer_id, flow.id):
        g.edge_sources.extend(map(index.__getitem__, map(_SOURCE, rows)))
        g.edge_targets.extend(map(index.__getitem__, map(_TARGET, rows)))
        g.edge_outlets.extend(map(_OUTLET, rows))
    g.start_index = index.get(flow.start_node, -1) if flow.start_node else -1
    return g


def search(conn: Connection, customer_id: int, flow_id: int, like: str, limit: int) -> list[NodeDict]:
    query = text(f"SELECT {NODE_COLUMNS} FROM flow_nodes n WHERE n.customer_id = :c AND n.flow_id = :f "
                 "AND (lower(n.label) LIKE lower(:q) ESCAPE '\\' OR lower(n.node_id) LIKE lower(:q) ESCAPE '\\') "
                 "ORDER BY n.key LIMIT :lim")
    return [node_of(r) for r in conn.execute(query, {"c": customer_id, "f": flow_id, "q": like, "lim": limit})]


def critical(conn: Connection, flow: Any, limit: int) -> Viewport:
    """Breadth-first from the start, one query per level, until ``limit`` nodes are found."""
    c, f = flow.customer_id, flow.id
    if not flow.start_node:
        return Viewport([], [], truncated=flow.node_count > 0)
    order: list[str] = []
    seen: set[str] = set()
    frontier: deque[str] = deque([flow.start_node])
    while frontier and len(order) < limit:
        level = list(frontier)
        frontier.clear()
        fresh: list[str] = []
        for nid in level:
            if len(order) >= limit:
                break
            if nid in seen:
                continue
            fresh.append(nid)
            seen.add(nid)
            order.append(nid)
        if len(order) >= limit:
            break
        found: list[Any] = []
        for part in _chunks(fresh):
            found.extend(conn.execute(_TARGETS_OF, {"c": c, "f": f, "ids": part}))
        found.sort(key=lambda r: r.id)
        frontier.extend(r.target for r in found if r.target not in seen)
    rows: dict[str, Any] = {}
    for part in _chunks(order):
        for r in conn.execute(_NODES_BY_ID, {"c": c, "f": f, "ids": part}):
            rows[r.node_id] = r
    nodes = [node_of(rows[n]) for n in order if n in rows]
    member = set(rows)
    edges = [e for e in edges_touching(conn, c, f, list(member)) if e["source"] in member and e["target"] in member]
    return Viewport(nodes, edges, truncated=len(nodes) < flow.node_count)
