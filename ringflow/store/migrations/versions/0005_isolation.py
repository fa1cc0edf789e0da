"""Issue 14: flow ids are never reused, per-customer unsigned-webhook opt-in, server-side sign-out.

- SQLite handed a deleted flow's id to the next new flow (``INTEGER PRIMARY KEY`` reuses the
  largest rowid once it is gone), even to another customer, and caches, event rings and webhook
  URLs keyed by that id then answered for the wrong flow. ``flows.id`` becomes ``AUTOINCREMENT``:
  SQLite keeps the high-water mark in ``sqlite_sequence`` and never goes back. SQLite cannot add
  that to a table, so flows is rebuilt (the 12-step procedure of SQLite's ALTER TABLE page;
  ``ringflow.store.engine.migrate`` switches foreign keys off around migrations so dropping the old
  table cascades nothing, and this checks them before commit). Only the flows rows are copied;
  nodes, edges and revisions stay where they are. The mark starts at the largest id present: an id
  deleted before this migration and above every remaining one may be handed out once more.
  PostgreSQL's BIGSERIAL sequence never reuses a value: nothing to do there.
- ``customers.allow_unsigned_webhooks``: webhooks of a customer with no provider token are refused
  unless the customer turned this on (local development).
- ``revoked_sessions``: browser sessions ended by sign-out, so every worker process refuses them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_FLOWS_BODY = (
    "customer_id INTEGER NOT NULL, name VARCHAR(200) NOT NULL, status VARCHAR(16) DEFAULT 'draft' NOT NULL, "
    "revision INTEGER DEFAULT '1' NOT NULL, published_revision INTEGER, start_node VARCHAR(64), "
    "node_count INTEGER DEFAULT '0' NOT NULL, edge_count INTEGER DEFAULT '0' NOT NULL, "
    "created_at VARCHAR(40) NOT NULL, updated_at VARCHAR(40) NOT NULL, "
    "CONSTRAINT fk_flows_customer FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE")
_FLOWS_COLUMNS = ("id, customer_id, name, status, revision, published_revision, start_node, node_count, edge_count, "
                  "created_at, updated_at")


def _rebuild_flows(id_column: str) -> None:
    """Swap SQLite's flows for one whose id is declared ``id_column``, keeping every row and id."""
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0005 must run with foreign keys off (ringflow.store.engine.migrate does so)")
    op.execute(f"CREATE TABLE flows_new ({id_column}, {_FLOWS_BODY})")
    op.execute(f"INSERT INTO flows_new ({_FLOWS_COLUMNS}) SELECT {_FLOWS_COLUMNS} FROM flows ORDER BY id")
    op.execute("DROP TABLE flows")
    op.execute("ALTER TABLE flows_new RENAME TO flows")
    op.execute("CREATE UNIQUE INDEX ix_flows_customer_id ON flows (customer_id, id)")
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration 0005 left {len(broken)} rows whose foreign key has no target, e.g. {broken[0]}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_flows("id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT")
    op.add_column("customers", sa.Column("allow_unsigned_webhooks", sa.Boolean(create_constraint=False), nullable=False,
                                         server_default=sa.false()))
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_revoked_sessions_expires", "revoked_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_sessions_expires", "revoked_sessions")
    op.drop_table("revoked_sessions")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("allow_unsigned_webhooks")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_flows("id INTEGER NOT NULL PRIMARY KEY")
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'flows'")
