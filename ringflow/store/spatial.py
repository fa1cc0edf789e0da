"""The spatial index, the one place the two backends differ most.

SQLite: an R*Tree over grid cells, not over nodes (ringflow/store/cells.py says why and
keeps it in step). A viewport walks the R*Tree for the cells whose box meets the rectangle,
fetches each cell's nodes through the (flow_id, cell row, cell column) index, and re-checks
every node's exact box and customer.
PostgreSQL: a GiST index on (flow_id, box) that the planner maintains by itself.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection

from ringflow.store import cells
from ringflow.store.base import StoreError
from ringflow.store.engine import driver

NODE_COLUMNS = "n.key, n.node_id, n.type, n.x, n.y, n.w, n.h, n.label, n.config"
_EXACT = "n.x <= :x1 AND n.x + n.w >= :x0 AND n.y <= :y1 AND n.y + n.h >= :y0 AND n.customer_id = :c"
_NCY, _NCX = cells.cell_expr("y", "n."), cells.cell_expr("x", "n.")

# SQLite: CROSS JOIN pins the join order (R*Tree, then the cell row by id, then the cell's
# nodes by the grid index); left to itself, with ORDER BY key, SQLite walks the flow in key
# order. fc.flow_id = :f matters: a float32 flow_id in the tree may match a neighbour flow.
# PostgreSQL: the casts matter. psycopg sends small ints as int2, and btree_gist has no
# int8 = int2 operator, so without them the GiST index is searched by box alone (every
# flow's nodes at those coordinates) and flow_id is only a filter afterwards.
_VIEWPORT = {
    "sqlite": (f"""
        SELECT {NODE_COLUMNS} FROM cell_rtree r CROSS JOIN flow_cells fc
          CROSS JOIN flow_nodes n INDEXED BY {cells.GRID_INDEX}
        WHERE r.minf <= :f AND r.maxf >= :f AND r.maxx >= :x0 AND r.minx <= :x1 AND r.maxy >= :y0 AND r.miny <= :y1
          AND fc.id = r.id AND fc.flow_id = :f
          AND n.flow_id = :f AND {_NCY} = fc.cy AND {_NCX} = fc.cx AND {_EXACT}
        ORDER BY n.key LIMIT :lim"""),
    "postgresql": (f"""
        SELECT {NODE_COLUMNS} FROM flow_nodes n
        WHERE n.customer_id = CAST(:c AS BIGINT) AND n.flow_id = CAST(:f AS BIGINT)
          AND box(point(n.x, n.y), point(n.x + n.w, n.y + n.h)) && box(point(:x0, :y0), point(:x1, :y1))
        ORDER BY n.key LIMIT :lim"""),
}


_PARAM_STYLE = {"sqlite": ":{}", "postgresql": "%({})s"}  # the drivers' own named styles: no SQLAlchemy per call


def _driver_sql(sql: str, dialect: str) -> str:
    for name in ("lim", "x0", "y0", "x1", "y1", "c", "f"):
        sql = sql.replace(":" + name, _PARAM_STYLE[dialect].format(name))
    return sql


_VIEWPORT_DRIVER = {d: _driver_sql(sql, d) for d, sql in _VIEWPORT.items()}


def viewport_rows(conn: Connection, dialect: str, customer_id: int, flow_id: int,
                  x0: float, y0: float, x1: float, y1: float, limit: int) -> list[Any]:
    """Node rows (NODE_COLUMNS) whose boxes intersect the rectangle, in key order."""
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise StoreError("viewport coordinates must be finite numbers")
    params: dict[str, Any] = {"c": customer_id, "f": flow_id, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "lim": limit}
    cur = driver(conn).cursor()
    try:
        cur.execute(_VIEWPORT_DRIVER[dialect], params)
        rows: list[Any] = cur.fetchall()
        return rows
    finally:
        cur.close()


def sqlite_plan(conn: Connection, customer_id: int, flow_id: int) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN for the viewport, one step a line (tests and the benchmark check it)."""
    params = {"c": customer_id, "f": flow_id, "x0": 0, "y0": 0, "x1": 1280, "y1": 800, "lim": 100}
    return [r[3] for r in driver(conn).execute("EXPLAIN QUERY PLAN " + _VIEWPORT_DRIVER["sqlite"], params)]


def index_flow(conn: Connection, dialect: str, customer_id: int, flow_id: int) -> None:
    """Index every node of a freshly imported flow (PostgreSQL's GiST needs nothing)."""
    if dialect == "sqlite":
        cells.fill_flow(conn, customer_id, flow_id)


def unindex_flow(conn: Connection, dialect: str, customer_id: int, flow_id: int) -> None:
    """Forget a flow about to be deleted."""
    if dialect == "sqlite":
        cells.drop_flow(conn, customer_id, flow_id)
