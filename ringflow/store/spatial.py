"""The spatial index, the one place the two backends differ most.

SQLite: a grid of CELL-unit cells kept by two partial expression indexes on flow_nodes, so
SQLite maintains them by itself on every insert, update and delete (no side table to keep
in step). Nodes no bigger than a cell are indexed by (flow_id, cell row, cell column) of
their top-left corner; a query seeks each cell row of the rectangle, widened by one cell up
and left (such a node starting there can still reach in), and re-checks the exact box. The
rare bigger nodes (up to MAX_SIZE) are indexed by (flow_id, x) and searched in a band
MAX_SIZE wide. It replaced an R*Tree: filling that was 5 of the 14 s of a 500,000-node
import (SQLite has no bulk load for it, and every row rewrites a 4 KB tree node), the grid
costs one B-tree entry per node, and answers the same rectangles as fast.
PostgreSQL: a GiST index on (flow_id, box) that the planner maintains by itself.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from sqlalchemy import Connection

from ringflow.model.document import MAX_COORD, MAX_SIZE
from ringflow.store.base import StoreError

NODE_COLUMNS = "n.key, n.node_id, n.type, n.x, n.y, n.w, n.h, n.label, n.config"
CELL = 512  # grid cell side; also the largest node the grid holds (the migration's indexes use it)
_EXACT = "n.x <= :x1 AND n.x + n.w >= :x0 AND n.y <= :y1 AND n.y + n.h >= :y0 AND n.customer_id = :c"

# INDEXED BY: with ORDER BY key, SQLite would otherwise walk the flow in key order.
# PostgreSQL: the casts matter. psycopg sends small ints as int2, and btree_gist has no
# int8 = int2 operator, so without them the GiST index is searched by box alone (every
# flow's nodes at those coordinates) and flow_id is only a filter afterwards.
_VIEWPORT = {
    "sqlite": (f"""
        SELECT {NODE_COLUMNS} FROM flow_nodes n INDEXED BY ix_nodes_cell
        WHERE n.flow_id = :f AND n.w <= {CELL} AND n.h <= {CELL}
          AND CAST(n.y / {CELL} AS INTEGER) IN (SELECT value FROM json_each(:rows))
          AND CAST(n.x / {CELL} AS INTEGER) BETWEEN :cx0 AND :cx1 AND {_EXACT}
        UNION ALL
        SELECT {NODE_COLUMNS} FROM flow_nodes n INDEXED BY ix_nodes_big
        WHERE n.flow_id = :f AND (n.w > {CELL} OR n.h > {CELL}) AND n.x >= :x0 - {MAX_SIZE} AND {_EXACT}
        ORDER BY 1 LIMIT :lim"""),
    "postgresql": (f"""
        SELECT {NODE_COLUMNS} FROM flow_nodes n
        WHERE n.customer_id = CAST(:c AS BIGINT) AND n.flow_id = CAST(:f AS BIGINT)
          AND box(point(n.x, n.y), point(n.x + n.w, n.y + n.h)) && box(point(:x0, :y0), point(:x1, :y1))
        ORDER BY n.key LIMIT :lim"""),
}


_PARAM_STYLE = {"sqlite": ":{}", "postgresql": "%({})s"}  # the drivers' own named styles: no SQLAlchemy per call


def _driver_sql(sql: str, dialect: str) -> str:
    for name in ("lim", "x0", "y0", "x1", "y1", "rows", "cx0", "cx1", "c", "f"):
        sql = sql.replace(":" + name, _PARAM_STYLE[dialect].format(name))
    return sql


_VIEWPORT_DRIVER = {d: _driver_sql(sql, d) for d, sql in _VIEWPORT.items()}
_CELL_BOUND = int(MAX_COORD / CELL) + 1  # no stored node lies outside: bounds the cell rows of a huge rectangle


def _cell(v: float) -> int:
    """The cell index SQLite computes: CAST(v / CELL AS INTEGER) truncates, like int()."""
    return max(-_CELL_BOUND, min(_CELL_BOUND, int(v / CELL)))


def _grid_params(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    # truncation is monotone, so every node starting in [v0 - CELL, v1] has its cell in this range
    rows = list(range(_cell(y0 - CELL), _cell(y1) + 1))
    return {"rows": orjson.dumps(rows).decode(), "cx0": _cell(x0 - CELL), "cx1": _cell(x1)}


def viewport_rows(conn: Connection, dialect: str, customer_id: int, flow_id: int,
                  x0: float, y0: float, x1: float, y1: float, limit: int) -> list[Any]:
    """Node rows (NODE_COLUMNS) whose boxes intersect the rectangle, in key order."""
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise StoreError("viewport coordinates must be finite numbers")
    params: dict[str, Any] = {"c": customer_id, "f": flow_id, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "lim": limit}
    if dialect == "sqlite":
        params.update(_grid_params(x0, y0, x1, y1))
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(_VIEWPORT_DRIVER[dialect], params)
        return cur.fetchall()
    finally:
        cur.close()
