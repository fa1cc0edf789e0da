"""The one Store implementation for SQLite and PostgreSQL (SQLAlchemy Core).

Dialect differences live in engine.py (connections), spatial.py (the spatial index) and
bulk.py (bulk loading); everything here is shared. Every query on tenant data filters on
customer_id, so another customer's flow is indistinguishable from a missing one.
"""

from __future__ import annotations

import logging
import zlib
from contextlib import contextmanager
from typing import Any, Iterator

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ringflow.clock import Clock, iso_utc, system_clock
from ringflow.model.diff import patch_ops
from ringflow.model.document import FlowDocument, NodeDict, normalize
from ringflow.model.gcpause import gc_paused, loads
from ringflow.store import bulk, reads, spatial
from ringflow.store.base import ApiKey, Customer, FlowMeta, Geometry, NotFound, Page, PatchResult, Revision, StaleRevision, StoreError, Viewport
from ringflow.store.bigwrite import big_write
from ringflow.store.cursors import decode_cursor, encode_cursor
from ringflow.store.engine import Engines, migrate, open_engines
from ringflow.store.patch import apply_ops
from ringflow.store.schema import api_keys, customer_secrets, customers, flow_revisions, flows, revoked_sessions, settings

log = logging.getLogger("ringflow.store")

MAX_PAGE = 500
ANALYZE_AFTER = 10_000  # nodes: imports this big refresh the planner's statistics
BIG_IMPORT = 10_000  # nodes: imports this big take the bulk write path (bigwrite.py)
_FLOW_EXISTS = "SELECT 1 FROM flows WHERE customer_id = ? AND id = ?"
_SESSION_ENDED = "SELECT 1 FROM revoked_sessions WHERE session_id = ?"
FLOW_SORTS: dict[str, tuple[str, type, bool]] = {
    "newest": ("id", int, True), "name": ("name", str, False), "updated": ("updated_at", str, True), "size": ("node_count", int, True),
}
"""The flow list's orders: column, its type in the cursor, descending? (ties broken by id)."""


def _limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise StoreError("limit must be a whole number of at least 1")
    return min(limit, MAX_PAGE)


def _meta(row: Any) -> FlowMeta:
    return FlowMeta(id=row.id, customer_id=row.customer_id, name=row.name, status=row.status, revision=row.revision,
                    published_revision=row.published_revision, start=row.start_node, node_count=row.node_count,
                    edge_count=row.edge_count, created_at=row.created_at, updated_at=row.updated_at)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlStore:
    """A Store over SQLAlchemy engines; ``open_store`` is the way to get one."""

    def __init__(self, engines: Engines, clock: Clock = system_clock):
        self.engines = engines
        self.clock = clock
        self.dialect = engines.dialect

    # --- plumbing
    def _now(self) -> str:
        return iso_utc(self.clock)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engines.read.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engines.write_lock, self.engines.write.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engines.dispose()

    def ping(self) -> bool:
        try:
            with self._read() as conn:
                return conn.exec_driver_sql("SELECT 1").scalar() == 1
        except Exception as exc:  # noqa: BLE001 - a health check answers, it does not raise
            log.warning("store ping failed: %s", exc)
            return False

    # --- customers and keys
    def create_customer(self, name: str) -> Customer:
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise StoreError("a customer name must be 1-200 characters")
        if "\x00" in name:
            raise StoreError("a customer name must not contain a NUL character")
        stamp = self._now()
        with self._write() as conn:
            cid = conn.execute(insert(customers).values(name=name.strip(), created_at=stamp).returning(customers.c.id)).scalar_one()
        return Customer(cid, name.strip(), stamp)

    def get_customer(self, customer_id: int) -> Customer | None:
        with self._read() as conn:
            row = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
        return Customer(row.id, row.name, row.created_at, bool(row.allow_unsigned_webhooks)) if row else None

    def list_customers(self, limit: int = 50, cursor: str | None = None) -> Page:
        limit = _limit(limit)
        after = decode_cursor(cursor, int)
        query = select(customers).order_by(customers.c.id).limit(limit + 1)
        if after:
            query = query.where(customers.c.id > after[0])
        with self._read() as conn:
            rows = conn.execute(query).all()
        items = [Customer(r.id, r.name, r.created_at, bool(r.allow_unsigned_webhooks)) for r in rows[:limit]]
        return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)

    def create_api_key(self, customer_id: int, key_hash: str, prefix: str) -> ApiKey:
        stamp = self._now()
        with self._write() as conn:
            if conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
                raise NotFound(f"customer {customer_id} does not exist")
            kid = conn.execute(insert(api_keys).values(customer_id=customer_id, key_hash=key_hash, prefix=prefix,
                                                       created_at=stamp).returning(api_keys.c.id)).scalar_one()
        return ApiKey(kid, customer_id, prefix, stamp)

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        with self._read() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))).first()
        return ApiKey(row.id, row.customer_id, row.prefix, row.created_at) if row else None

    def revoke_api_key(self, key_id: int) -> bool:
        with self._write() as conn:
            res = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=self._now()))
        return res.rowcount > 0

    def set_unsigned_webhooks(self, customer_id: int, allowed: bool) -> bool:
        with self._write() as conn:
            res = conn.execute(update(customers).where(customers.c.id == customer_id).values(allow_unsigned_webhooks=bool(allowed)))
        return res.rowcount > 0

    # --- sessions ended by sign-out
    def revoke_session(self, session_id: str, expires_at: int) -> None:
        """Remember an ended session until it would have expired anyway; expired rows are pruned here."""
        stamp = int(self.clock())
        with self._write() as conn:
            conn.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at < stamp))
            if conn.execute(select(revoked_sessions.c.session_id).where(revoked_sessions.c.session_id == session_id)).first() is None:
                conn.execute(insert(revoked_sessions).values(session_id=session_id, expires_at=expires_at))

    def session_revoked(self, session_id: str) -> bool:
        """Asked on every cookie request: the driver's cursor, not a SQLAlchemy statement (~5x cheaper)."""
        with self._read() as conn:
            return bool(reads.raw_query(conn, _SESSION_ENDED, (session_id,)))

    # --- settings and secrets
    def get_setting(self, name: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar()

    def set_setting(self, name: str, value: str) -> None:
        with self._write() as conn:
            if conn.execute(update(settings).where(settings.c.name == name).values(value=value)).rowcount == 0:
                conn.execute(insert(settings).values(name=name, value=value))

    def put_secret(self, customer_id: int, name: str, ciphertext: str) -> None:
        with self._write() as conn:
            match = and_(customer_secrets.c.customer_id == customer_id, customer_secrets.c.name == name)
            if conn.execute(update(customer_secrets).where(match).values(ciphertext=ciphertext, updated_at=self._now())).rowcount == 0:
                try:
                    conn.execute(insert(customer_secrets).values(customer_id=customer_id, name=name, ciphertext=ciphertext, updated_at=self._now()))
                except IntegrityError:
                    raise NotFound(f"customer {customer_id} does not exist") from None

    def get_secret(self, customer_id: int, name: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(customer_secrets.c.ciphertext).where(
                customer_secrets.c.customer_id == customer_id, customer_secrets.c.name == name)).scalar()

    # --- flows
    @gc_paused  # millions of row tuples: a full collection per allocation burst would rescan them all
    @gc_paused
    def create_flow(self, customer_id: int, doc: FlowDocument, checked: bool = False) -> FlowMeta:
        """Store a whole document, and its spatial index, in one transaction; ``checked=True``
        skips ``normalize`` for callers that have just normalized it themselves. The collector is
        paused: the rows are a million fresh tuples, and its full collections walked the whole
        document again and again (a 500,000-node import took 2 s longer)."""
        if not checked:
            doc = normalize(doc)
        bulk.check_storable(doc)
        nodes, edges = doc.get("nodes", []), doc.get("edges", [])
        stamp = self._now()
        with (big_write(self.engines) if len(nodes) >= BIG_IMPORT else self._write()) as conn:
            if conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
                raise NotFound(f"customer {customer_id} does not exist")
            row = conn.execute(insert(flows).values(
                customer_id=customer_id, name=doc["name"], status="draft", revision=1, start_node=doc.get("start"),
                node_count=len(nodes), edge_count=len(edges), created_at=stamp, updated_at=stamp).returning(*flows.c)).one()
            bulk.load(conn, self.dialect, customer_id, row.id, nodes, edges)
            spatial.index_flow(conn, self.dialect, customer_id, row.id)
        if len(nodes) >= ANALYZE_AFTER:
            self._analyze()
        return _meta(row)

    @gc_paused
    def create_customers_with_flows(self, names: list[str], docs: list[FlowDocument]) -> list[tuple[int, list[int]]]:
        """Many small tenants, each with copies of ``docs`` (already normalized), in ONE
        transaction: ``ringflow demo`` makes 10,000+ customers, and a commit per row would
        take minutes. Returns (customer id, flow ids) per name."""
        for doc in docs:
            bulk.check_storable(doc)
        stamp = self._now()
        made: list[tuple[int, list[int]]] = []
        with self._write() as conn:
            for name in names:
                cid = conn.execute(insert(customers).values(name=name, created_at=stamp).returning(customers.c.id)).scalar_one()
                fids = []
                for doc in docs:
                    nodes, edges = doc.get("nodes", []), doc.get("edges", [])
                    fid = conn.execute(insert(flows).values(
                        customer_id=cid, name=doc["name"], status="draft", revision=1, start_node=doc.get("start"),
                        node_count=len(nodes), edge_count=len(edges), created_at=stamp, updated_at=stamp).returning(flows.c.id)).scalar_one()
                    bulk.load(conn, self.dialect, cid, fid, nodes, edges)
                    spatial.index_flow(conn, self.dialect, cid, fid)
                    fids.append(fid)
                made.append((cid, fids))
        return made

    def _analyze(self) -> None:
        """Refresh planner statistics after a big import: without them PostgreSQL may filter a
        whole flow instead of asking the GiST index (80 ms instead of 1 ms on 50,000 nodes)."""
        if self.dialect == "postgresql":
            with self.engines.write.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE flow_nodes, flow_edges")

    def get_flow(self, customer_id: int, flow_id: int) -> FlowMeta | None:
        with self._read() as conn:
            row = conn.execute(select(flows).where(flows.c.customer_id == customer_id, flows.c.id == flow_id)).first()
        return _meta(row) if row else None

    def list_flows(self, customer_id: int, limit: int = 50, cursor: str | None = None, q: str | None = None,
                   sort: str = "newest") -> Page:
        """Newest first, or by ``sort`` (FLOW_SORTS); keyset pages: the cursor is the last row's (key, id)."""
        limit = _limit(limit)
        if sort not in FLOW_SORTS:
            raise StoreError(f"sort must be one of {', '.join(FLOW_SORTS)}")
        column, kind, descending = FLOW_SORTS[sort]
        # names sort without regard to case; the key the database compared goes into the cursor as is
        col = func.lower(flows.c.name) if sort == "name" else flows.c[column]
        query = select(flows, col.label("sort_key")).where(flows.c.customer_id == customer_id).limit(limit + 1)
        if sort == "newest":
            after = decode_cursor(cursor, int)
            query = query.order_by(flows.c.id.desc())
            if after:
                query = query.where(flows.c.id < after[0])
        else:
            after = decode_cursor(cursor, kind, int)
            query = query.order_by(col.desc(), flows.c.id.desc()) if descending else query.order_by(col, flows.c.id)
            if after:
                past = (col < after[0]) if descending else (col > after[0])
                tie = (flows.c.id < after[1]) if descending else (flows.c.id > after[1])
                query = query.where(past | ((col == after[0]) & tie))
        if q:
            query = query.where(flows.c.name.ilike(_like(q), escape="\\"))
        with self._read() as conn:
            rows = conn.execute(query).all()
        items = [_meta(r) for r in rows[:limit]]
        if len(rows) <= limit:
            return Page(items, None)
        last = rows[limit - 1]
        return Page(items, encode_cursor(last.id) if sort == "newest" else encode_cursor(last.sort_key, last.id))

    def delete_flow(self, customer_id: int, flow_id: int) -> bool:
        with self._write() as conn:
            if conn.execute(select(flows.c.id).where(flows.c.customer_id == customer_id, flows.c.id == flow_id)).first() is None:
                return False
            spatial.unindex_flow(conn, self.dialect, customer_id, flow_id)
            for table in ("flow_edges", "flow_nodes", "flow_revisions"):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE customer_id = %s AND flow_id = %s".replace(
                    "%s", "?" if self.dialect == "sqlite" else "%s"), (customer_id, flow_id))
            conn.execute(delete(flows).where(flows.c.customer_id == customer_id, flows.c.id == flow_id))
        return True

    def _flow_row(self, conn: Connection, customer_id: int, flow_id: int) -> Any:
        row = conn.execute(select(flows).where(flows.c.customer_id == customer_id, flows.c.id == flow_id)).first()
        if row is None:
            raise NotFound(f"flow {flow_id} does not exist")
        return row

    def _require_flow(self, conn: Connection, customer_id: int, flow_id: int) -> None:
        """``_flow_row`` without building a SQLAlchemy statement: the viewport runs per pan and zoom."""
        if not reads.raw_query(conn, _FLOW_EXISTS, (customer_id, flow_id)):
            raise NotFound(f"flow {flow_id} does not exist")

    def flow_owner(self, flow_id: int) -> int | None:
        """The one lookup without a customer: a provider's webhook names only the flow. (On
        Citus it fans out to every shard; the runtime caches the answer.)"""
        if not isinstance(flow_id, int) or isinstance(flow_id, bool) or not 0 < flow_id < 2**63:
            return None
        with self._read() as conn:
            return conn.execute(select(flows.c.customer_id).where(flows.c.id == flow_id)).scalar()

    def get_document(self, customer_id: int, flow_id: int) -> FlowDocument:
        with self._read() as conn:
            return reads.document(conn, self._flow_row(conn, customer_id, flow_id))

    def iter_document_chunks(self, customer_id: int, flow_id: int, batch: int = 5000) -> Iterator[bytes]:
        """Checks the flow exists before the first chunk, so callers can still answer 404."""
        with self._read() as conn:
            self._flow_row(conn, customer_id, flow_id)

        def chunks() -> Iterator[bytes]:
            with self._read() as conn:  # one snapshot for the whole stream
                yield from reads.document_chunks(conn, self._flow_row(conn, customer_id, flow_id), batch)
        return chunks()

    def apply_patch(self, customer_id: int, flow_id: int, base_revision: int, ops: list[dict[str, Any]]) -> PatchResult:
        with self._write() as conn:
            return apply_ops(conn, self.dialect, customer_id, flow_id, base_revision, ops, self._now())

    def viewport(self, customer_id: int, flow_id: int, x0: float, y0: float, x1: float, y1: float, limit: int) -> Viewport:
        limit = max(1, int(limit))
        with self._read() as conn:
            rows = spatial.viewport_rows(conn, self.dialect, customer_id, flow_id, x0, y0, x1, y1, limit + 1)
            if not rows:  # rows prove the flow is this customer's (the query filters on both); none may mean "no such flow"
                self._require_flow(conn, customer_id, flow_id)
            nodes = [reads.node_of(r) for r in rows[:limit]]
            edges = reads.edges_touching(conn, customer_id, flow_id, [n["id"] for n in nodes])
        return Viewport(nodes, edges, truncated=len(rows) > limit)

    def geometry(self, customer_id: int, flow_id: int) -> Geometry:
        with self._read() as conn:
            return reads.geometry(conn, self._flow_row(conn, customer_id, flow_id))

    def search_nodes(self, customer_id: int, flow_id: int, q: str, limit: int = 50) -> list[NodeDict]:
        with self._read() as conn:
            self._flow_row(conn, customer_id, flow_id)
            return reads.search(conn, customer_id, flow_id, _like(q), _limit(limit))

    def critical(self, customer_id: int, flow_id: int, limit: int = 200) -> Viewport:
        with self._read() as conn:
            return reads.critical(conn, self._flow_row(conn, customer_id, flow_id), _limit(limit))

    # --- revisions
    def publish(self, customer_id: int, flow_id: int, name: str | None = None, author: str | None = None) -> Revision:
        """Snapshot the draft as revision = flows.revision and the flow's next version;
        publishing the same draft again returns the same one (its name and author kept)."""
        with self._write() as conn:
            row = self._flow_row(conn, customer_id, flow_id)
            existing = conn.execute(select(*_REV_COLS).where(
                flow_revisions.c.customer_id == customer_id, flow_revisions.c.flow_id == flow_id,
                flow_revisions.c.number == row.revision)).first()
            if existing:
                return _revision(flow_id, existing)
            version = 1 + (conn.execute(select(func.max(flow_revisions.c.version)).where(
                flow_revisions.c.customer_id == customer_id, flow_revisions.c.flow_id == flow_id)).scalar() or 0)
            doc = reads.document(conn, row)
            stamp = self._now()
            clean = (name or "").strip()[:200] or None
            conn.execute(insert(flow_revisions).values(
                customer_id=customer_id, flow_id=flow_id, number=row.revision, created_at=stamp,
                node_count=row.node_count, edge_count=row.edge_count, document=zlib.compress(orjson.dumps(doc), 6),
                version=version, name=clean, author=author))
            conn.execute(update(flows).where(flows.c.customer_id == customer_id, flows.c.id == flow_id).values(
                status="published", published_revision=row.revision))
        return Revision(flow_id, row.revision, stamp, row.node_count, row.edge_count, version, clean, author)

    def list_revisions(self, customer_id: int, flow_id: int, limit: int = 50, cursor: str | None = None) -> Page:
        """Newest first; the cursor is the last revision number seen."""
        limit = _limit(limit)
        after = decode_cursor(cursor, int)
        query = select(*_REV_COLS).where(flow_revisions.c.customer_id == customer_id, flow_revisions.c.flow_id == flow_id)
        if after:
            query = query.where(flow_revisions.c.number < after[0])
        with self._read() as conn:
            self._flow_row(conn, customer_id, flow_id)
            rows = conn.execute(query.order_by(flow_revisions.c.number.desc()).limit(limit + 1)).all()
        items = [_revision(flow_id, r) for r in rows[:limit]]
        return Page(items, encode_cursor(items[-1].number) if len(rows) > limit else None)

    def get_revision(self, customer_id: int, flow_id: int, number: int) -> tuple[Revision, FlowDocument]:
        with self._read() as conn:
            return self._revision_doc(conn, customer_id, flow_id, number)

    def _revision_doc(self, conn: Connection, customer_id: int, flow_id: int, number: int) -> tuple[Revision, FlowDocument]:
        row = conn.execute(select(flow_revisions).where(
            flow_revisions.c.customer_id == customer_id, flow_revisions.c.flow_id == flow_id,
            flow_revisions.c.number == number)).first()
        if row is None:
            raise NotFound(f"flow {flow_id} has no published revision {number}")
        return _revision(flow_id, row), loads(zlib.decompress(row.document))

    def restore_revision(self, customer_id: int, flow_id: int, number: int, base_revision: int | None = None) -> PatchResult:
        """The draft becomes published revision ``number`` again, as ONE new draft revision made of
        ordinary patch ops (so open editors receive it as a patch and undo history stays linear).
        Nothing to change answers the current revision with empty changes."""
        with self._write() as conn:
            row = self._flow_row(conn, customer_id, flow_id)
            if base_revision is not None and base_revision != row.revision:
                raise StaleRevision(row.revision)
            _, target = self._revision_doc(conn, customer_id, flow_id, number)
            ops = patch_ops(reads.document(conn, row), target)
            if not ops:
                return PatchResult(row.revision)
            return apply_ops(conn, self.dialect, customer_id, flow_id, row.revision, ops, self._now())

    def api_key_prefix(self, key_id: int) -> str | None:
        with self._read() as conn:
            return conn.execute(select(api_keys.c.prefix).where(api_keys.c.id == key_id)).scalar()


_REV_COLS = [c for c in flow_revisions.c if c.name != "document"]


def _revision(flow_id: int, r: Any) -> Revision:
    return Revision(flow_id, r.number, r.created_at, r.node_count, r.edge_count, r.version, r.name, r.author)


def open_store(url: str, migrate_schema: bool = True, clock: Clock = system_clock) -> SqlStore:
    """Open (and by default migrate) the database at ``url``: sqlite:///file.db or postgresql://..."""
    engines = open_engines(url)
    try:
        if migrate_schema:
            migrate(engines)
    except BaseException:
        engines.dispose()
        raise
    return SqlStore(engines, clock)
