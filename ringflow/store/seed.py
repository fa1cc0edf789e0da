"""Demo data: what a first ``ringflow serve`` shows, and the ``ringflow demo`` data sets.

The demo is seeded once per database (a setting remembers it), so restarting never adds a
second demo customer and the clear API key is shown exactly once.
"""

from __future__ import annotations

from typing import cast

from ringflow.model.demo import generate_flow, main_line
from ringflow.model.document import FlowDocument, normalize
from ringflow.store.base import Customer, Store
from ringflow.store.keys import new_api_key

DEMO_CUSTOMER = "Acme Demo"
DEMO_SETTING = "demo.customer_id"

def sized_flow(n_nodes: int, name: str, seed: int = 0) -> FlowDocument:
    """A normalized, readable flow of exactly ``n_nodes`` nodes when under one demo block
    (the first nodes of a block and the edges among them), else whole blocks."""
    doc = generate_flow(max(n_nodes, 1), name=name, seed=seed)
    if n_nodes < len(doc["nodes"]):
        keep = {n["id"] for n in doc["nodes"][:n_nodes]}
        doc = {**doc, "nodes": doc["nodes"][:n_nodes],
               "edges": [e for e in doc["edges"] if e["source"] in keep and e["target"] in keep]}
    return normalize(doc)


def ensure_demo(store: Store) -> tuple[Customer | None, str | None]:
    """Seed "Acme Demo" and its flows on an empty database; returns (customer, clear key).

    The key is None when the demo already exists (it was shown when it was made); the
    customer is None when the database holds other data but no demo (nothing is added).
    """
    seeded = store.get_setting(DEMO_SETTING)
    if seeded is not None:
        return store.get_customer(int(seeded)), None
    if store.list_customers(limit=1).items:
        return None, None
    customer = store.create_customer(DEMO_CUSTOMER)
    clear, key_hash, prefix = new_api_key()
    store.create_api_key(customer.id, key_hash, prefix)
    store.create_flow(customer.id, cast(FlowDocument, main_line()))
    store.create_flow(customer.id, sized_flow(200, "Support line (200 nodes)", seed=1), checked=True)
    store.create_flow(customer.id, sized_flow(2000, "Contact centre (2,000 nodes)", seed=2), checked=True)
    store.set_setting(DEMO_SETTING, str(customer.id))
    return customer, clear
