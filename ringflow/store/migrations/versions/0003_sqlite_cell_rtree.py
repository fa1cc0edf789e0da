"""SQLite's spatial index becomes an R*Tree over grid cells (ringflow/store/cells.py): one
R*Tree row per non-empty 1,024-unit cell of a flow, with the union of its nodes' boxes, and a
(flow_id, cell row, cell column) expression index on every node leading from a cell to its
nodes. It replaces 0002's two partial grid indexes. Existing flows are indexed from their
nodes. PostgreSQL keeps its GiST index; nothing changes there.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CELL = 1024  # constants here, not imports: a migration must not change when the code does
CY, CX = f"CAST(y / {CELL} AS INTEGER)", f"CAST(x / {CELL} AS INTEGER)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE INDEX ix_nodes_grid ON flow_nodes (flow_id, {CY}, {CX})")
    op.execute("DROP INDEX ix_nodes_cell")
    op.execute("DROP INDEX ix_nodes_big")
    op.execute("CREATE TABLE flow_cells (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, flow_id INTEGER NOT NULL, "
               "cy INTEGER NOT NULL, cx INTEGER NOT NULL, "
               "CONSTRAINT fk_cells_flow FOREIGN KEY (customer_id, flow_id) REFERENCES flows (customer_id, id) ON DELETE CASCADE)")
    op.execute("CREATE UNIQUE INDEX ix_cells_flow_cell ON flow_cells (flow_id, cy, cx)")
    op.execute("CREATE VIRTUAL TABLE cell_rtree USING rtree(id, minf, maxf, minx, maxx, miny, maxy)")
    op.execute(f"INSERT INTO flow_cells (customer_id, flow_id, cy, cx) "
               f"SELECT min(customer_id), flow_id, {CY}, {CX} FROM flow_nodes GROUP BY flow_id, 3, 4 ORDER BY flow_id, 3, 4")
    op.execute(f"INSERT INTO cell_rtree (id, minf, maxf, minx, maxx, miny, maxy) "
               f"SELECT c.id, c.flow_id, c.flow_id, min(n.x), max(n.x + n.w), min(n.y), max(n.y + n.h) "
               f"FROM flow_cells c CROSS JOIN flow_nodes n INDEXED BY ix_nodes_grid "
               f"ON n.flow_id = c.flow_id AND {CY.replace('(y', '(n.y')} = c.cy AND {CX.replace('(x', '(n.x')} = c.cx GROUP BY c.id")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE INDEX ix_nodes_cell ON flow_nodes (flow_id, {CY}, {CX}) WHERE w <= {CELL} AND h <= {CELL}")
    op.execute(f"CREATE INDEX ix_nodes_big ON flow_nodes (flow_id, x) WHERE w > {CELL} OR h > {CELL}")
    op.execute("DROP TABLE cell_rtree")
    op.execute("DROP TABLE flow_cells")
    op.execute("DROP INDEX ix_nodes_grid")
