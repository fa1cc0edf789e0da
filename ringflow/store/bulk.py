"""Bulk loading a flow's nodes and edges inside the caller's transaction.

The fast path of each driver: ``executemany`` of plain tuples on SQLite, ``COPY`` on
PostgreSQL. Rows are built from an already normalized document, so nothing here checks.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import orjson
from sqlalchemy import Connection

from ringflow.model.document import DocumentError, EdgeDict, FlowDocument, NodeDict, Problem
from ringflow.store.engine import driver

NODE_INSERT_COLUMNS = "customer_id, flow_id, node_id, type, x, y, w, h, label, config"
EDGE_INSERT_COLUMNS = "customer_id, flow_id, source, outlet, target"


def _nul(node_id: str | None, field: str) -> Problem:
    return Problem("error", "bad_text", f"{field} contains a NUL character, which cannot be stored", node_id, field)


def nul_problems(doc: FlowDocument) -> list[Problem]:
    """Text PostgreSQL cannot hold (NUL), refused on both backends alike. Config is stored as
    JSON, where NUL is escaped, so only the plain text columns need the check."""
    found: list[Problem] = []
    if "\x00" in doc.get("name", ""):
        found.append(_nul(None, "name"))
    for n in doc.get("nodes", []):
        for field in ("label", "type"):
            if "\x00" in (n.get(field) or ""):  # type: ignore[operator]
                found.append(_nul(n["id"], field))
    for e in doc.get("edges", []):
        if "\x00" in e["outlet"]:
            found.append(_nul(e["source"], "outlet"))
    return found


def check_storable(doc: FlowDocument) -> None:
    if found := nul_problems(doc):
        raise DocumentError(found)


def node_rows(customer_id: int, flow_id: int, nodes: Iterable[NodeDict]) -> list[tuple[Any, ...]]:
    dumps = orjson.dumps
    return [(customer_id, flow_id, n["id"], n["type"], n["x"], n["y"], n["w"], n["h"], n.get("label") or "",
             dumps(n.get("config") or {}).decode()) for n in nodes]


def edge_rows(customer_id: int, flow_id: int, edges: Iterable[EdgeDict]) -> list[tuple[Any, ...]]:
    return [(customer_id, flow_id, e["source"], e["outlet"], e["target"]) for e in edges]


def numbered_edge_rows(customer_id: int, flow_id: int, edges: Iterable[EdgeDict]) -> list[tuple[Any, ...]]:
    """SQLite's edge rows carry their place in the document (``id``, 1..E for a new flow): the
    table is clustered on its key, so there is no rowid to number them (migration 0004)."""
    return [(i, customer_id, flow_id, e["source"], e["outlet"], e["target"]) for i, e in enumerate(edges, 1)]


def load(conn: Connection, dialect: str, customer_id: int, flow_id: int,
         nodes: Sequence[NodeDict], edges: Sequence[EdgeDict]) -> None:
    raw = driver(conn)
    nrows = node_rows(customer_id, flow_id, nodes)
    if dialect == "sqlite":
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO flow_nodes ({NODE_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", nrows)
            cur.executemany(f"INSERT INTO flow_edges (id, {EDGE_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                            numbered_edge_rows(customer_id, flow_id, edges))
        finally:
            cur.close()
        return
    erows = edge_rows(customer_id, flow_id, edges)
    with raw.cursor() as cur:
        with cur.copy(f"COPY flow_nodes ({NODE_INSERT_COLUMNS}) FROM STDIN") as copy:
            for row in nrows:
                copy.write_row(row)
        with cur.copy(f"COPY flow_edges ({EDGE_INSERT_COLUMNS}) FROM STDIN") as copy:
            for row in erows:
                copy.write_row(row)
