"""The first schema: customers, keys, settings, secrets, flows, revisions, nodes, edges and
the spatial index (SQLite R*Tree, PostgreSQL GiST over flow_id and the node box).

Written out (not ``metadata.create_all``) so later changes to ``schema.py`` arrive as new
revisions; tests/store/test_migrations.py checks the two agree.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.String(40)


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "customers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("revoked_at", Stamp),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_hash"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_api_keys_customer"),
    )
    op.create_index("ix_api_keys_customer", "api_keys", ["customer_id"])
    op.create_table("settings", sa.Column("name", sa.String(100), primary_key=True), sa.Column("value", sa.Text, nullable=False))
    op.create_table(
        "customer_secrets",
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "name", name="pk_customer_secrets"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_secrets_customer"),
    )
    op.create_table(
        "flows",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("published_revision", sa.Integer),
        sa.Column("start_node", sa.String(64)),
        sa.Column("node_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("edge_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_flows_customer"),
    )
    op.create_index("ix_flows_customer_id", "flows", ["customer_id", "id"], unique=True)
    op.create_table(
        "flow_revisions",
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("flow_id", Id, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("node_count", sa.Integer, nullable=False),
        sa.Column("edge_count", sa.Integer, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "flow_id", "number", name="pk_flow_revisions"),
        sa.ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_revisions_flow"),
    )
    op.create_table(
        "flow_nodes",
        sa.Column("key", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("flow_id", Id, nullable=False),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("w", sa.Float, nullable=False),
        sa.Column("h", sa.Float, nullable=False),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column("config", sa.Text, nullable=False, server_default="{}"),
        sa.ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_nodes_flow"),
    )
    op.create_index("ix_nodes_flow_node", "flow_nodes", ["flow_id", "node_id", "customer_id"], unique=True)
    op.create_index("ix_nodes_flow_key", "flow_nodes", ["flow_id", "key"])
    op.create_table(
        "flow_edges",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("flow_id", Id, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("outlet", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_edges_flow"),
    )
    op.create_index("ix_edges_flow_source", "flow_edges", ["flow_id", "source", "outlet", "customer_id"], unique=True)
    op.create_index("ix_edges_flow_target", "flow_edges", ["flow_id", "target"])
    op.create_index("ix_edges_flow_id", "flow_edges", ["flow_id", "id"])
    if pg:
        # Citus: a distributed table's primary key must contain the distribution column.
        for table, key in (("flows", "id"), ("flow_nodes", "key"), ("flow_edges", "id")):
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, ADD CONSTRAINT {table}_pkey PRIMARY KEY (customer_id, {key})")
        op.execute("CREATE INDEX ix_nodes_box ON flow_nodes USING gist (flow_id, box(point(x, y), point(x + w, y + h)))")
    else:
        # flow_id is a dimension so one flow's nodes are pruned in the tree, not filtered after
        op.execute("CREATE VIRTUAL TABLE node_rtree USING rtree(id, minf, maxf, minx, maxx, miny, maxy)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS node_rtree")
    for table in ("flow_edges", "flow_nodes", "flow_revisions", "flows", "customer_secrets", "settings", "api_keys", "customers"):
        op.drop_table(table)
