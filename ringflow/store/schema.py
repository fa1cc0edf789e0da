"""The tables, once, in SQLAlchemy Core: both backends and Alembic's target metadata use them.

Every tenant table carries ``customer_id`` and every query filters on it, so on Citus each
one is distributed by ``customer_id`` (flows, nodes, edges, revisions and secrets of one
customer are colocated). ``settings`` and ``api_keys`` are looked up before any tenant is
known (by name, by key hash); they are small and become Citus reference tables. On
PostgreSQL the migration widens the primary keys of flows, nodes and edges to include
``customer_id`` (Citus requires it); SQLite keeps a single integer key so it is the rowid,
except for edges: SQLite stores them WITHOUT ROWID, clustered on (flow_id, source, outlet,
customer_id), the columns of ``ix_edges_flow_source``, and the store numbers ``id`` itself
(migration 0004 says why).
Timestamps are ISO-8601 UTC text, identical on both backends.
"""

from __future__ import annotations

from sqlalchemy import (
                        BigInteger,
                        Boolean,
                        Column,
                        Float,
                        ForeignKeyConstraint,
                        Index,
                        Integer,
                        LargeBinary,
                        MetaData,
                        PrimaryKeyConstraint,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
                        false,
)

metadata = MetaData()

# INTEGER (not BIGINT) on SQLite so the column is the rowid: fast, and ordered like the document.
Id = BigInteger().with_variant(Integer(), "sqlite")

customers = Table(
    "customers", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # this table's customer_id
    Column("name", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    # webhooks of a customer without a provider token are refused unless this is on (local development; 0005)
    Column("allow_unsigned_webhooks", Boolean(create_constraint=False), nullable=False, server_default=false()),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    UniqueConstraint("key_hash", name="uq_api_keys_hash"),
    ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_api_keys_customer"),
    Index("ix_api_keys_customer", "customer_id"),
)

settings = Table(
    "settings", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# browser sessions ended by sign-out before their expiry (0005): every worker process checks here
revoked_sessions = Table(
    "revoked_sessions", metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),  # epoch seconds; a row is useless (and pruned) after it
    Index("ix_revoked_sessions_expires", "expires_at"),
)

customer_secrets = Table(
    "customer_secrets", metadata,
    Column("customer_id", Id, nullable=False),
    Column("name", String(100), nullable=False),
    Column("ciphertext", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
    PrimaryKeyConstraint("customer_id", "name", name="pk_customer_secrets"),
    ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_secrets_customer"),
)

flows = Table(
    "flows", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("published_revision", Integer),
    Column("start_node", String(64)),
    Column("node_count", Integer, nullable=False, server_default="0"),
    Column("edge_count", Integer, nullable=False, server_default="0"),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE", name="fk_flows_customer"),
    Index("ix_flows_customer_id", "customer_id", "id", unique=True),
    # a deleted flow's id is never handed out again (0005): caches, event rings and webhook URLs
    # that still name it can never answer for another flow. PostgreSQL's sequence never goes back.
    sqlite_autoincrement=True,
)

flow_revisions = Table(
    "flow_revisions", metadata,
    Column("customer_id", Id, nullable=False),
    Column("flow_id", Id, nullable=False),
    Column("number", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("node_count", Integer, nullable=False),
    Column("edge_count", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),  # zlib(orjson(document)): immutable snapshot
    Column("version", Integer),  # 1, 2, 3... per flow in publish order: what people read (0006)
    Column("name", String(200)),  # optional, given at publish
    Column("author", String(64)),  # the publishing API key's prefix
    PrimaryKeyConstraint("customer_id", "flow_id", "number", name="pk_flow_revisions"),
    ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_revisions_flow"),
)

flow_nodes = Table(
    "flow_nodes", metadata,
    Column("key", Id, primary_key=True, autoincrement=True),  # stable integer identity (skeleton, viewport order)
    Column("customer_id", Id, nullable=False),
    Column("flow_id", Id, nullable=False),
    Column("node_id", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("w", Float, nullable=False),
    Column("h", Float, nullable=False),
    Column("label", Text, nullable=False, server_default=""),
    Column("config", Text, nullable=False, server_default="{}"),  # JSON text, returned as is
    ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_nodes_flow"),
    Index("ix_nodes_flow_node", "flow_id", "node_id", "customer_id", unique=True),
    Index("ix_nodes_flow_key", "flow_id", "key"),
)

flow_edges = Table(
    "flow_edges", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # keeps the document's edge order (per flow)
    Column("customer_id", Id, nullable=False),
    Column("flow_id", Id, nullable=False),
    Column("source", String(64), nullable=False),
    Column("outlet", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    ForeignKeyConstraint(["customer_id", "flow_id"], ["flows.customer_id", "flows.id"], ondelete="CASCADE", name="fk_edges_flow"),
    Index("ix_edges_flow_source", "flow_id", "source", "outlet", "customer_id", unique=True),
    Index("ix_edges_flow_target", "flow_id", "target"),
    Index("ix_edges_flow_id", "flow_id", "id", "target"),  # edges in document order from the index alone (0004)
)

# The spatial indexes live outside the metadata (SQLite only, or not expressible in it):
SQLITE_CELL_TABLES = ("flow_cells", "cell_rtree")  # grid cells of a flow and their R*Tree (ringflow/store/cells.py)
SQLITE_GRID_INDEX = "ix_nodes_grid"  # flow_nodes (flow_id, cell row, cell column): from a cell to its nodes
PG_GIST_INDEX = "ix_nodes_box"  # gist (flow_id, box(point(x, y), point(x + w, y + h)))
