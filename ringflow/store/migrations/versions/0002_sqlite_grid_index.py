"""SQLite's spatial index becomes a grid of two partial expression indexes instead of the
R*Tree: SQLite maintains them itself, and filling them costs one B-tree entry per node
where the R*Tree rewrote a 4 KB tree node per row (5 s of a 500,000-node import).
PostgreSQL keeps its GiST index; nothing changes there.

The expressions must match ringflow/store/spatial.py's viewport query character for
character in meaning (CELL = 512), or SQLite cannot use them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CELL = 512  # a constant here, not an import: a migration must not change when the code does


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE INDEX ix_nodes_cell ON flow_nodes (flow_id, CAST(y / {CELL} AS INTEGER), CAST(x / {CELL} AS INTEGER)) "
               f"WHERE w <= {CELL} AND h <= {CELL}")
    op.execute(f"CREATE INDEX ix_nodes_big ON flow_nodes (flow_id, x) WHERE w > {CELL} OR h > {CELL}")
    op.execute("DROP TABLE node_rtree")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE node_rtree USING rtree(id, minf, maxf, minx, maxx, miny, maxy)")
    op.execute("INSERT INTO node_rtree (id, minf, maxf, minx, maxx, miny, maxy) "
               "SELECT key, flow_id, flow_id, x, x + w, y, y + h FROM flow_nodes")
    op.execute("DROP INDEX ix_nodes_big")
    op.execute("DROP INDEX ix_nodes_cell")
