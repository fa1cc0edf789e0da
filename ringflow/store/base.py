"""The store's interface: what the API, the CLI and the runtime may ask of any backend.

SQLite and PostgreSQL implement the same ``Store`` and pass the same test suite. Every
method that touches tenant data takes ``customer_id`` first and filters on it: a flow of
another customer is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

from ringflow.model.document import EdgeDict, FlowDocument, NodeDict, Problem


class StoreError(Exception):
    """Base of the errors a store raises on purpose (never a driver error leaking out)."""


class NotFound(StoreError):
    """The thing does not exist for this customer (or belongs to another one)."""


class StaleRevision(StoreError):
    """A patch was based on an old revision; nothing was written."""

    def __init__(self, current: int):
        self.current = current
        super().__init__(f"the flow is at revision {current}; reload and apply your change again")


class PatchError(StoreError):
    """A patch op is invalid (unknown node, duplicate id, bad shape); nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].message if problems else "invalid patch")


class BadCursor(StoreError):
    """A pagination cursor that this store did not give out (or that was tampered with)."""


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    created_at: str
    allow_unsigned_webhooks: bool = False  # local development only: webhooks without a provider token are accepted


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    customer_id: int
    prefix: str  # first characters of the key, shown to people so they can tell keys apart
    created_at: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class FlowMeta:
    id: int
    customer_id: int
    name: str
    status: str  # "draft" | "published"
    revision: int  # bumped by every accepted patch; the If-Match value
    published_revision: int | None
    start: str | None
    node_count: int
    edge_count: int
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_cursor: str | None  # opaque; None on the last page


@dataclass(frozen=True, slots=True)
class Revision:
    flow_id: int
    number: int  # the draft revision that was published (counts every autosave)
    created_at: str
    node_count: int
    edge_count: int
    version: int | None = None  # 1, 2, 3... per flow in publish order: what people read
    name: str | None = None  # given at publish
    author: str | None = None  # prefix of the API key that published


@dataclass(slots=True)
class Viewport:
    nodes: list[NodeDict]
    edges: list[EdgeDict]
    truncated: bool  # True when more nodes intersect the rectangle than ``limit``


@dataclass(slots=True)
class Geometry:
    """Whole-flow geometry in row order, for the binary skeleton (node order is stable)."""

    ids: list[str]
    types: list[str]
    xs: list[float]
    ys: list[float]
    ws: list[float]
    hs: list[float]
    edge_sources: list[int] = field(default_factory=list)  # indexes into ids
    edge_targets: list[int] = field(default_factory=list)
    edge_outlets: list[str] = field(default_factory=list)
    start_index: int = -1
    # the node's store key (u32, strictly ascending in row order): the skeleton's ``keys`` section;
    # viewport/search/patch answers carry the same ``key`` on each node (docs/skeleton.md)
    keys: list[int] = field(default_factory=list)
    revision: int = -1  # the flow revision this geometry was read at (one consistent snapshot)


@dataclass(slots=True)
class PatchResult:
    revision: int
    # what changed, in the one change format the editor and the event stream share
    added_nodes: list[NodeDict] = field(default_factory=list)
    updated_nodes: list[NodeDict] = field(default_factory=list)
    removed_nodes: list[str] = field(default_factory=list)
    added_edges: list[EdgeDict] = field(default_factory=list)
    removed_edges: list[EdgeDict] = field(default_factory=list)
    name: str | None = None
    start: str | None = None


class Store(Protocol):
    """One interface, two backends (``open_store(url)`` picks one)."""

    dialect: str  # "sqlite" | "postgresql"

    # --- lifecycle
    def close(self) -> None: ...
    def ping(self) -> bool: ...

    # --- customers and keys (keys arrive already hashed; the store never sees a clear key)
    def create_customer(self, name: str) -> Customer: ...
    def get_customer(self, customer_id: int) -> Customer | None: ...
    def list_customers(self, limit: int = 50, cursor: str | None = None) -> Page: ...
    def create_api_key(self, customer_id: int, key_hash: str, prefix: str) -> ApiKey: ...
    def find_api_key(self, key_hash: str) -> ApiKey | None: ...  # None when unknown or revoked
    def revoke_api_key(self, key_id: int) -> bool: ...
    def set_unsigned_webhooks(self, customer_id: int, allowed: bool) -> bool: ...  # False when no such customer

    # --- browser sessions ended early (sign-out), shared by every process
    def revoke_session(self, session_id: str, expires_at: int) -> None: ...
    def session_revoked(self, session_id: str) -> bool: ...

    # --- small named values (the admin token's hash) and per-customer secrets (encrypted by the caller)
    def get_setting(self, name: str) -> str | None: ...
    def set_setting(self, name: str, value: str) -> None: ...
    def put_secret(self, customer_id: int, name: str, ciphertext: str) -> None: ...
    def get_secret(self, customer_id: int, name: str) -> str | None: ...

    # --- flows
    # one transaction; ``checked=True`` skips normalize for a document the caller has just normalized
    def create_flow(self, customer_id: int, doc: FlowDocument, checked: bool = False) -> FlowMeta: ...
    # many small tenants, each with copies of ``docs`` (already normalized), in one transaction:
    # [(customer id, [flow ids])] in the order of ``names``
    def create_customers_with_flows(self, names: list[str], docs: list[FlowDocument]) -> list[tuple[int, list[int]]]: ...
    def get_flow(self, customer_id: int, flow_id: int) -> FlowMeta | None: ...
    # sort: "newest" (default), "name" (A-Z), "updated" (most recent first), "size" (most nodes first)
    def list_flows(self, customer_id: int, limit: int = 50, cursor: str | None = None, q: str | None = None,
                   sort: str = "newest") -> Page: ...
    def delete_flow(self, customer_id: int, flow_id: int) -> bool: ...
    def get_document(self, customer_id: int, flow_id: int) -> FlowDocument: ...  # raises NotFound
    def iter_document_chunks(self, customer_id: int, flow_id: int, batch: int = 5000) -> Iterator[bytes]: ...
    def apply_patch(self, customer_id: int, flow_id: int, base_revision: int, ops: list[dict[str, Any]]) -> PatchResult: ...
    def viewport(self, customer_id: int, flow_id: int, x0: float, y0: float, x1: float, y1: float, limit: int) -> Viewport: ...
    def geometry(self, customer_id: int, flow_id: int) -> Geometry: ...
    # nodes whose label or id contains ``q`` (case-insensitive), each as a node dict plus ``key``
    def search_nodes(self, customer_id: int, flow_id: int, q: str, limit: int = 50) -> list[NodeDict]: ...
    # the first screen: the start node and the main path from it, plus the edges among them
    def critical(self, customer_id: int, flow_id: int, limit: int = 200) -> Viewport: ...

    # --- revisions
    # snapshot of the current draft as the next version; ``author`` is the publishing key's prefix
    def publish(self, customer_id: int, flow_id: int, name: str | None = None, author: str | None = None) -> Revision: ...
    def list_revisions(self, customer_id: int, flow_id: int, limit: int = 50, cursor: str | None = None) -> Page: ...
    def get_revision(self, customer_id: int, flow_id: int, number: int) -> tuple[Revision, FlowDocument]: ...
    # make the draft equal to published revision ``number`` as one new draft revision (a patch)
    def restore_revision(self, customer_id: int, flow_id: int, number: int, base_revision: int | None = None) -> PatchResult: ...
    def api_key_prefix(self, key_id: int) -> str | None: ...

    # --- runtime: a provider's webhook names only the flow id; which customer owns it?
    def flow_owner(self, flow_id: int) -> int | None: ...  # None when no such flow
