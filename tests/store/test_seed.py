"""The demo is seeded once, on an empty database, with a working key."""

from __future__ import annotations

from ringflow.model.validation import has_errors, validate
from ringflow.store.keys import hash_api_key
from ringflow.store.seed import ensure_demo, sized_flow


def test_demo_is_seeded_once_with_a_working_key(fresh_store) -> None:
    customer, key = ensure_demo(fresh_store)
    assert customer is not None and customer.name == "Acme Demo" and key and key.startswith("rf_")
    assert fresh_store.find_api_key(hash_api_key(key)).customer_id == customer.id
    flows = fresh_store.list_flows(customer.id).items
    assert sorted(f.name for f in flows) == ["Contact centre (2,000 nodes)", "Main line", "Support line (200 nodes)"]
    assert sorted(f.node_count for f in flows) == [4, 200, 2000]
    for f in flows:
        assert not has_errors(validate(fresh_store.get_document(customer.id, f.id)))
    again, no_key = ensure_demo(fresh_store)
    assert again == customer and no_key is None
    assert len(fresh_store.list_customers().items) == 1


def test_a_database_with_other_data_is_left_alone(fresh_store) -> None:
    fresh_store.create_customer("Real customer")
    assert ensure_demo(fresh_store) == (None, None)
    assert [c.name for c in fresh_store.list_customers().items] == ["Real customer"]


def test_sized_flows_have_exactly_the_asked_size_below_a_block() -> None:
    for n in (1, 10, 19):
        doc = sized_flow(n, "x")
        assert len(doc["nodes"]) == n and not has_errors(validate(doc))
