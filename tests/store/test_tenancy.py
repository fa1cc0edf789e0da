"""Customer B never sees, changes or deletes customer A's flows."""

from __future__ import annotations

import pytest

from ringflow.store.base import NotFound
from tests.store.helpers import main_line


def test_another_customer_sees_nothing(store, customer) -> None:
    other = store.create_customer("Other Inc")
    flow = store.create_flow(customer.id, main_line())
    assert store.get_flow(other.id, flow.id) is None
    assert store.list_flows(other.id).items == []
    assert store.list_flows(other.id, q="Main").items == []
    with pytest.raises(NotFound):
        store.get_document(other.id, flow.id)
    with pytest.raises(NotFound):
        list(store.iter_document_chunks(other.id, flow.id))
    with pytest.raises(NotFound):
        store.apply_patch(other.id, flow.id, 1, [{"op": "rename", "name": "Mine now"}])
    with pytest.raises(NotFound):
        store.viewport(other.id, flow.id, -1e6, -1e6, 1e6, 1e6, 100)
    with pytest.raises(NotFound):
        store.geometry(other.id, flow.id)
    with pytest.raises(NotFound):
        store.search_nodes(other.id, flow.id, "e")
    with pytest.raises(NotFound):
        store.critical(other.id, flow.id)
    with pytest.raises(NotFound):
        store.publish(other.id, flow.id)
    with pytest.raises(NotFound):
        store.list_revisions(other.id, flow.id)
    assert store.delete_flow(other.id, flow.id) is False
    # and A's flow is untouched
    meta = store.get_flow(customer.id, flow.id)
    assert (meta.name, meta.revision) == ("Main line", 1)


def test_revisions_and_secrets_stay_with_their_customer(store, customer) -> None:
    other = store.create_customer("Other Inc")
    flow = store.create_flow(customer.id, main_line())
    store.publish(customer.id, flow.id)
    with pytest.raises(NotFound):
        store.get_revision(other.id, flow.id, 1)
    store.put_secret(customer.id, "twilio", "ciphertext-a")
    assert store.get_secret(other.id, "twilio") is None
    assert store.get_secret(customer.id, "twilio") == "ciphertext-a"


def test_flow_owner_names_the_customer_for_webhooks(store, customer) -> None:
    flow = store.create_flow(customer.id, main_line())
    assert store.flow_owner(flow.id) == customer.id
    assert store.flow_owner(10**12) is None
    assert store.flow_owner(-1) is None
    store.delete_flow(customer.id, flow.id)
    assert store.flow_owner(flow.id) is None
