"""Batch patches: every op applied in the caller's write transaction, or none of them.

The revision is claimed first with ``UPDATE ... WHERE revision = base``: of two writers
based on the same revision exactly one matches the row, the other is told it is stale
(on PostgreSQL the loser waits on the row lock, then re-checks and finds no match).
"""

from __future__ import annotations

from typing import Any, Callable

import orjson
from sqlalchemy import Connection, text

from ringflow.model.document import MAX_NAME, EdgeDict, Problem, normalize_edge, normalize_node
from ringflow.store import cells
from ringflow.store.base import NotFound, PatchError, PatchResult, StaleRevision
from ringflow.store.bulk import nul_problems
from ringflow.store.reads import node_of
from ringflow.store.spatial import NODE_COLUMNS

MAX_OPS = 10_000
_CLAIM = text("UPDATE flows SET revision = revision + 1, updated_at = :now WHERE customer_id = :c AND id = :f AND revision = :base")
_FLOW = text("SELECT revision, name, start_node, node_count, edge_count FROM flows WHERE customer_id = :c AND id = :f")
_NODE = text(f"SELECT {NODE_COLUMNS} FROM flow_nodes n WHERE n.customer_id = :c AND n.flow_id = :f AND n.node_id = :id")
_EDGE = text("SELECT source, outlet, target FROM flow_edges WHERE customer_id = :c AND flow_id = :f AND source = :s AND outlet = :o")
_ADD_EDGE = {
    # SQLite's edge table has no rowid (migration 0004): the store numbers a flow's edges itself,
    # the next after its last (the (flow_id, id) index answers max at once; the writer is alone)
    "sqlite": text("INSERT INTO flow_edges (id, customer_id, flow_id, source, outlet, target) "
                   "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM flow_edges WHERE flow_id = :f), :c, :f, :s, :o, :t)"),
    "postgresql": text("INSERT INTO flow_edges (customer_id, flow_id, source, outlet, target) VALUES (:c, :f, :s, :o, :t)"),
}


def _bad(i: int, code: str, message: str, node_id: str | None = None, field: str | None = None) -> PatchError:
    return PatchError([Problem("error", code, f"ops[{i}]: {message}", node_id, field)])


def _storable(i: int, doc: dict[str, Any]) -> None:
    if found := nul_problems(doc):  # type: ignore[arg-type]
        raise PatchError([Problem(p.severity, p.code, f"ops[{i}]: {p.message}", p.node_id, p.field) for p in found])


class _Patch:
    """State of one batch: the flow's counters and what changed, in the shared change format."""

    def __init__(self, conn: Connection, dialect: str, customer_id: int, flow_id: int, flow: Any):
        self.conn, self.dialect, self.c, self.f = conn, dialect, customer_id, flow_id
        self.name, self.start = flow.name, flow.start_node
        self.node_count, self.edge_count = flow.node_count, flow.edge_count
        self.added: dict[str, Any] = {}  # node id -> the node as stored, with its key
        self.updated: dict[str, Any] = {}
        self.removed: list[str] = []
        self.added_edges: list[EdgeDict] = []
        self.removed_edges: list[EdgeDict] = []
        self.renamed = False
        self.restarted = False
        self.cells: set[tuple[int, int]] = set()  # grid cells whose nodes changed (SQLite's spatial index)

    def p(self, **extra: Any) -> dict[str, Any]:
        return {"c": self.c, "f": self.f, **extra}

    def node(self, i: int, op: dict[str, Any]) -> Any:
        nid = op.get("id")
        if not isinstance(nid, str):
            raise _bad(i, "bad_op", "id must be a node id string", None, "id")
        row = self.conn.execute(_NODE, self.p(id=nid)).first()
        if row is None:
            raise _bad(i, "unknown_node", f"there is no node {nid!r}", nid, "id")
        return row

    def write_node(self, i: int, row: Any, merged: dict[str, Any]) -> None:
        node, problems = normalize_node(merged, i)
        if problems:
            raise PatchError([Problem(p.severity, p.code, f"ops[{i}]: {p.message}", p.node_id, p.field) for p in problems])
        assert node is not None
        _storable(i, {"nodes": [node]})
        self.conn.execute(text("UPDATE flow_nodes SET type = :t, x = :x, y = :y, w = :w, h = :h, label = :l, config = :cfg "
                               "WHERE key = :k AND customer_id = :c"),
                          {"t": node["type"], "x": node["x"], "y": node["y"], "w": node["w"], "h": node["h"],
                           "l": node.get("label", ""), "cfg": orjson.dumps(node.get("config", {})).decode(), "k": row.key, "c": self.c})
        if (row.x, row.y, row.w, row.h) != (node["x"], node["y"], node["w"], node["h"]):
            self.cells.update((cells.cell_of(row.x, row.y), cells.cell_of(node["x"], node["y"])))
        out = dict(node, key=row.key)
        (self.added if row.node_id in self.added else self.updated)[row.node_id] = out

    def add_node(self, i: int, op: dict[str, Any]) -> None:
        node, problems = normalize_node(op.get("node"), i)
        if problems:
            raise PatchError([Problem(p.severity, p.code, f"ops[{i}]: {p.message}", p.node_id, p.field) for p in problems])
        assert node is not None
        _storable(i, {"nodes": [node]})
        if self.conn.execute(_NODE, self.p(id=node["id"])).first() is not None:
            raise _bad(i, "duplicate_id", f"node id {node['id']!r} is already used", node["id"], "id")
        key = self.conn.execute(text(
            "INSERT INTO flow_nodes (customer_id, flow_id, node_id, type, x, y, w, h, label, config) "
            "VALUES (:c, :f, :id, :t, :x, :y, :w, :h, :l, :cfg) RETURNING key"),
            self.p(id=node["id"], t=node["type"], x=node["x"], y=node["y"], w=node["w"], h=node["h"], l=node.get("label", ""),
                   cfg=orjson.dumps(node.get("config", {})).decode())).scalar_one()
        self.cells.add(cells.cell_of(node["x"], node["y"]))
        self.added[node["id"]] = dict(node, key=key)
        self.node_count += 1

    def move_node(self, i: int, op: dict[str, Any]) -> None:
        row = self.node(i, op)
        merged: dict[str, Any] = dict(node_of(row, False))
        for axis in ("x", "y"):
            if axis in op:
                merged[axis] = op[axis]
        self.write_node(i, row, merged)

    def update_node(self, i: int, op: dict[str, Any]) -> None:
        row = self.node(i, op)
        extra = set(op) - {"op", "id", "label", "config", "type", "w", "h", "x", "y"}
        if extra:
            raise _bad(i, "unknown_field", f"update_node cannot change {sorted(extra)}", row.node_id, sorted(extra)[0])
        merged: dict[str, Any] = dict(node_of(row, False))
        for name in ("label", "config", "type", "w", "h", "x", "y"):
            if name in op:
                merged[name] = op[name]
        self.write_node(i, row, merged)

    def delete_node(self, i: int, op: dict[str, Any]) -> None:
        row = self.node(i, op)
        edges = self.conn.execute(text("SELECT id, source, outlet, target FROM flow_edges WHERE customer_id = :c AND flow_id = :f "
                                       "AND source = :id UNION SELECT id, source, outlet, target FROM flow_edges "
                                       "WHERE customer_id = :c AND flow_id = :f AND target = :id"), self.p(id=row.node_id)).all()
        edges = list(edges)
        edges.sort(key=lambda e: e.id)
        for e in edges:
            self.conn.execute(text("DELETE FROM flow_edges WHERE flow_id = :f AND id = :e AND customer_id = :c"),
                              {"f": self.f, "e": e.id, "c": self.c})
        self.removed_edges.extend({"source": e.source, "outlet": e.outlet, "target": e.target} for e in edges)
        self.edge_count -= len(edges)
        self.conn.execute(text("DELETE FROM flow_nodes WHERE key = :k AND customer_id = :c"), {"k": row.key, "c": self.c})
        self.cells.add(cells.cell_of(row.x, row.y))
        self.node_count -= 1
        self.updated.pop(row.node_id, None)
        if self.added.pop(row.node_id, None) is None:
            self.removed.append(row.node_id)
        if self.start == row.node_id:
            self.start, self.restarted = None, True

    def add_edge(self, i: int, op: dict[str, Any]) -> None:
        raw = op.get("edge", {k: op.get(k) for k in ("source", "outlet", "target")})
        edge, problems = normalize_edge(raw, i)
        if problems:
            raise PatchError([Problem(p.severity, p.code, f"ops[{i}]: {p.message}", p.node_id, p.field) for p in problems])
        assert edge is not None
        _storable(i, {"edges": [edge]})
        for end in ("source", "target"):
            if self.conn.execute(_NODE, self.p(id=edge[end])).first() is None:
                raise _bad(i, f"edge_unknown_{end}", f"edge {end} {edge[end]!r} is not a node", edge["source"], end)
        if self.conn.execute(_EDGE, self.p(s=edge["source"], o=edge["outlet"])).first() is not None:
            raise _bad(i, "duplicate_edge", f"outlet {edge['outlet']!r} is already connected", edge["source"], f"outlets.{edge['outlet']}")
        self.conn.execute(_ADD_EDGE[self.dialect], self.p(s=edge["source"], o=edge["outlet"], t=edge["target"]))
        self.added_edges.append(edge)
        self.edge_count += 1

    def delete_edge(self, i: int, op: dict[str, Any]) -> None:
        raw = op.get("edge", op)
        source, outlet = raw.get("source"), raw.get("outlet")
        if not isinstance(source, str) or not isinstance(outlet, str):
            raise _bad(i, "bad_op", "delete_edge needs source and outlet", None, "source")
        row = self.conn.execute(_EDGE, self.p(s=source, o=outlet)).first()
        if row is None:
            raise _bad(i, "unknown_edge", f"outlet {outlet!r} of {source!r} is not connected", source, f"outlets.{outlet}")
        self.conn.execute(text("DELETE FROM flow_edges WHERE customer_id = :c AND flow_id = :f AND source = :s AND outlet = :o"),
                          self.p(s=source, o=outlet))
        edge: EdgeDict = {"source": row.source, "outlet": row.outlet, "target": row.target}
        if edge in self.added_edges:
            self.added_edges.remove(edge)
        else:
            self.removed_edges.append(edge)
        self.edge_count -= 1

    def rename(self, i: int, op: dict[str, Any]) -> None:
        name = op.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise _bad(i, "bad_name", f"name must be a non-empty string of at most {MAX_NAME} characters", None, "name")
        _storable(i, {"name": name})
        self.name, self.renamed = name.strip(), True

    def set_start(self, i: int, op: dict[str, Any]) -> None:
        nid = op.get("id", op.get("start"))
        if nid is not None:
            self.node(i, {"id": nid})
        self.start, self.restarted = nid, True


_OPS: dict[str, Callable[[_Patch, int, dict[str, Any]], None]] = {
    name: getattr(_Patch, name)
    for name in ("add_node", "move_node", "update_node", "delete_node", "add_edge", "delete_edge", "rename", "set_start")
}


def apply_ops(conn: Connection, dialect: str, customer_id: int, flow_id: int, base_revision: int,
              ops: list[dict[str, Any]], stamp: str) -> PatchResult:
    if not isinstance(ops, list) or len(ops) > MAX_OPS:
        raise PatchError([Problem("error", "bad_ops", f"ops must be a list of at most {MAX_OPS} operations", None, "ops")])
    if not isinstance(base_revision, int) or isinstance(base_revision, bool):
        raise PatchError([Problem("error", "bad_revision", "the base revision must be a whole number", None, "revision")])
    claimed = conn.execute(_CLAIM, {"now": stamp, "c": customer_id, "f": flow_id, "base": base_revision}).rowcount
    flow = conn.execute(_FLOW, {"c": customer_id, "f": flow_id}).first()
    if flow is None:
        raise NotFound(f"flow {flow_id} does not exist")
    if claimed != 1:
        raise StaleRevision(flow.revision)
    patch = _Patch(conn, dialect, customer_id, flow_id, flow)
    for i, op in enumerate(ops):
        kind = op.get("op") if isinstance(op, dict) else None
        handler = _OPS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise _bad(i, "unknown_op", f"unknown op {kind!r}; expected one of {', '.join(_OPS)}", None, "op")
        handler(patch, i, op)
    if dialect == "sqlite":
        cells.refresh(conn, customer_id, flow_id, patch.cells)
    conn.execute(text("UPDATE flows SET name = :name, start_node = :start, node_count = :nc, edge_count = :ec "
                      "WHERE customer_id = :c AND id = :f"),
                 {"name": patch.name, "start": patch.start, "nc": patch.node_count, "ec": patch.edge_count, "c": customer_id, "f": flow_id})
    return PatchResult(revision=flow.revision, added_nodes=list(patch.added.values()), updated_nodes=list(patch.updated.values()),
                       removed_nodes=patch.removed, added_edges=patch.added_edges, removed_edges=patch.removed_edges,
                       name=patch.name if patch.renamed else None, start=patch.start if patch.restarted else None)
