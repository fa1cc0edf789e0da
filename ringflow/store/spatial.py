"""The spatial index, the one place the two backends differ most.

SQLite: an R*Tree virtual table kept in step with flow_nodes by the store (flow_id is a
degenerate first dimension so a query only walks its own flow's part of the tree; R*Tree
boxes are float32 rounded outwards, so candidates are re-checked against exact columns).
The R*Tree is an index, not a table: it has no customer_id column (an auxiliary one made
the 500,000-node import 3.5 s slower); every query joins it to flow_nodes, which has one.
PostgreSQL: a GiST index on (flow_id, box) that the planner maintains by itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

NODE_COLUMNS = "n.key, n.node_id, n.type, n.x, n.y, n.w, n.h, n.label, n.config"

# CROSS JOIN pins SQLite's join order: walk the R*Tree first, then fetch rows by key.
# PostgreSQL: the casts matter. psycopg sends small ints as int2, and btree_gist has no
# int8 = int2 operator, so without them the GiST index is searched by box alone (every
# flow's nodes at those coordinates) and flow_id is only a filter afterwards.
_VIEWPORT = {
    "sqlite": (f"""
        SELECT {NODE_COLUMNS} FROM node_rtree r CROSS JOIN flow_nodes n ON n.key = r.id
        WHERE r.minf <= :f AND r.maxf >= :f AND r.maxx >= :x0 AND r.minx <= :x1 AND r.maxy >= :y0 AND r.miny <= :y1
          AND n.flow_id = :f AND n.customer_id = :c
          AND n.x <= :x1 AND n.x + n.w >= :x0 AND n.y <= :y1 AND n.y + n.h >= :y0
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
    params = {"c": customer_id, "f": flow_id, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "lim": limit}
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(_VIEWPORT_DRIVER[dialect], params)
        return cur.fetchall()
    finally:
        cur.close()


def index_flow(conn: Connection, dialect: str, flow_id: int) -> None:
    """Index every node of a freshly imported flow in one statement."""
    if dialect == "sqlite":
        # inserting in tile order (2,000-unit cells) builds the tree measurably faster than key order
        conn.exec_driver_sql(
            "INSERT INTO node_rtree (id, minf, maxf, minx, maxx, miny, maxy) "
            "SELECT key, flow_id, flow_id, x, x + w, y, y + h FROM flow_nodes WHERE flow_id = ? "
            "ORDER BY CAST(y / 2000 AS INTEGER), CAST(x / 2000 AS INTEGER), y, x", (flow_id,))


def index_node(conn: Connection, dialect: str, key: int, customer_id: int, flow_id: int,
               x: float, y: float, w: float, h: float) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO node_rtree (id, minf, maxf, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, flow_id, flow_id, x, x + w, y, y + h))


def unindex_node(conn: Connection, dialect: str, key: int) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql("DELETE FROM node_rtree WHERE id = ?", (key,))


def unindex_flow(conn: Connection, dialect: str, customer_id: int, flow_id: int) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql(
            "DELETE FROM node_rtree WHERE id IN (SELECT key FROM flow_nodes WHERE flow_id = ? AND customer_id = ?)",
            (flow_id, customer_id))
