"""SQLite's two-level spatial index: nodes grouped into grid cells, one R*Tree row per cell.

Filling an R*Tree costs a tree-node rewrite per row and SQLite has no bulk load for it, so
a row per node was 5 of the 14 s of a 500,000-node import. Here the R*Tree holds one row
per non-empty CELL x CELL cell of a flow (a twelfth as many rows on the demo layout), with
the union of the boxes of the nodes whose top-left corner lies in that cell; an expression index
on flow_nodes (flow_id, cell row, cell column) leads from a cell to its nodes. A node
bigger than a cell just widens its cell's box: no special case.

Tables (SQLite only; migration 0003):
- ``flow_cells(id, customer_id, flow_id, cy, cx)``, unique (flow_id, cy, cx);
- ``cell_rtree(id = flow_cells.id, minf, maxf, minx, maxx, miny, maxy)``; flow_id is a
  degenerate first dimension, so a query walks only its own flow's part of the tree.
R*Tree boxes are float32 rounded outwards: a cell box may be a hair too big, never too
small, and every candidate node is re-checked against its exact columns.

The store keeps both in step: ``fill_flow`` after an import, ``refresh`` for the cells a
patch touched (old and new cell of a moved node), ``drop_flow`` before a flow is deleted,
all inside the caller's transaction.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection

from ringflow.store.schema import SQLITE_GRID_INDEX as GRID_INDEX  # noqa: F401 - spatial.py names it cells.GRID_INDEX

__all__ = ["GRID_INDEX"]
from ringflow.store.engine import driver

# Cell side in canvas units (migration 0003 builds the index with the same constant). Measured
# on the 500,000-node demo flow: 512 gave 134,000 cells and a 2.5 s fill, 1,024 gives 42,000
# and 0.85 s, 2,048 gives 11,000 and 0.4 s; the nodes query was fastest at 1,024 at zoom 1
# (it fetches fewer nodes per cell than 2,048) and no slower than 2,048 at zoom 0.25.
CELL = 1024


def cell_expr(axis: str, alias: str = "") -> str:
    """The cell row (axis y) or column (x) in SQL; it must read exactly like ix_nodes_grid's
    expressions, or SQLite cannot use the index."""
    return f"CAST({alias}{axis} / {CELL} AS INTEGER)"


CY, CX = cell_expr("y"), cell_expr("x")

_GROUPED = (f"SELECT {CY}, {CX}, min(x), max(x + w), min(y), max(y + h) "
            f"FROM flow_nodes INDEXED BY {GRID_INDEX} WHERE flow_id = ? GROUP BY 1, 2")
_BOX = (f"SELECT min(x), max(x + w), min(y), max(y + h) FROM flow_nodes INDEXED BY {GRID_INDEX} "
        f"WHERE flow_id = ? AND {CY} = ? AND {CX} = ?")


def cell_of(x: float, y: float) -> tuple[int, int]:
    """(row, column) as SQLite computes it: REAL / INTEGER is a float division, and CAST to
    INTEGER truncates toward zero, like int()."""
    return int(float(y) / CELL), int(float(x) / CELL)


def fill_flow(conn: Connection, customer_id: int, flow_id: int) -> None:
    """Index every node of a freshly imported flow: one grouped pass over its nodes (in cell
    order, through the grid index), then the cells and their R*Tree rows in that order.
    Cell ids are numbered here, so nothing looks the new cells up again (the caller holds
    the only write transaction). Measured against a scratch table filled by INSERT ...
    SELECT: as fast on the 500,000-node flow (~1 s), 2-5x faster on the demo's thousands of
    20-node flows."""
    raw = driver(conn)
    boxes = raw.execute(_GROUPED, (flow_id,)).fetchall()
    if not boxes:
        return
    first = raw.execute("SELECT coalesce(max(id), 0) + 1 FROM flow_cells").fetchone()[0]
    raw.executemany("INSERT INTO flow_cells (id, customer_id, flow_id, cy, cx) VALUES (?, ?, ?, ?, ?)",
                    [(first + i, customer_id, flow_id, b[0], b[1]) for i, b in enumerate(boxes)])
    raw.executemany("INSERT INTO cell_rtree (id, minf, maxf, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(first + i, flow_id, flow_id, b[2], b[3], b[4], b[5]) for i, b in enumerate(boxes)])


def refresh(conn: Connection, customer_id: int, flow_id: int, touched: Iterable[tuple[int, int]]) -> None:
    """Recompute the boxes of the touched cells from their nodes, exactly; a cell that has
    emptied goes, with its R*Tree row."""
    raw = driver(conn)
    cur = raw.cursor()
    try:
        for cy, cx in sorted(set(touched)):
            x0, x1, y0, y1 = cur.execute(_BOX, (flow_id, cy, cx)).fetchone()
            if x0 is None:
                row = cur.execute("SELECT id FROM flow_cells WHERE flow_id = ? AND cy = ? AND cx = ?", (flow_id, cy, cx)).fetchone()
                if row is not None:
                    cur.execute("DELETE FROM cell_rtree WHERE id = ?", row)
                    cur.execute("DELETE FROM flow_cells WHERE id = ?", row)
                continue
            cur.execute("INSERT INTO flow_cells (customer_id, flow_id, cy, cx) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (flow_id, cy, cx) DO NOTHING", (customer_id, flow_id, cy, cx))
            (cell_id,) = cur.execute("SELECT id FROM flow_cells WHERE flow_id = ? AND cy = ? AND cx = ?", (flow_id, cy, cx)).fetchone()
            cur.execute("INSERT OR REPLACE INTO cell_rtree (id, minf, maxf, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (cell_id, flow_id, flow_id, x0, x1, y0, y1))
    finally:
        cur.close()


def drop_flow(conn: Connection, customer_id: int, flow_id: int) -> None:
    """Remove a flow's cells and their R*Tree rows (before its nodes go)."""
    conn.exec_driver_sql("DELETE FROM cell_rtree WHERE id IN (SELECT id FROM flow_cells WHERE flow_id = ? AND customer_id = ?)",
                         (flow_id, customer_id))
    conn.exec_driver_sql("DELETE FROM flow_cells WHERE flow_id = ? AND customer_id = ?", (flow_id, customer_id))
