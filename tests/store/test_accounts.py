"""Customers, API keys (hashed), settings and secrets."""

from __future__ import annotations

import pytest

from ringflow.store.base import NotFound, StoreError
from ringflow.store.keys import hash_api_key, new_api_key


def test_customers_are_created_and_listed_by_keyset(fresh_store) -> None:
    made = [fresh_store.create_customer(f"C{i}") for i in range(5)]
    assert fresh_store.get_customer(made[0].id) == made[0]
    assert fresh_store.get_customer(10**9) is None
    first = fresh_store.list_customers(limit=2)
    second = fresh_store.list_customers(limit=2, cursor=first.next_cursor)
    third = fresh_store.list_customers(limit=2, cursor=second.next_cursor)
    assert [c.name for c in first.items + second.items + third.items] == ["C0", "C1", "C2", "C3", "C4"]
    assert third.next_cursor is None


def test_customer_name_is_checked(store) -> None:
    with pytest.raises(StoreError):
        store.create_customer("  ")


def test_api_keys_are_found_by_hash_until_revoked(store, customer) -> None:
    clear, key_hash, prefix = new_api_key()
    assert clear.startswith("rf_") and len(clear) > 40 and prefix == clear[:10]
    assert key_hash == hash_api_key(clear) and clear not in key_hash
    key = store.create_api_key(customer.id, key_hash, prefix)
    found = store.find_api_key(hash_api_key(clear))
    assert found is not None and (found.id, found.customer_id, found.prefix) == (key.id, customer.id, prefix)
    assert store.find_api_key(hash_api_key(clear + "x")) is None
    assert store.revoke_api_key(key.id) is True
    assert store.find_api_key(key_hash) is None
    assert store.revoke_api_key(key.id) is False


def test_a_key_for_a_missing_customer_is_refused(store) -> None:
    with pytest.raises(NotFound):
        store.create_api_key(10**9, "0" * 64, "rf_xxxxxxx")


def test_settings_upsert(store) -> None:
    store.set_setting("test.admin", "one")
    store.set_setting("test.admin", "two")
    assert store.get_setting("test.admin") == "two"
    assert store.get_setting("test.absent") is None


def test_secrets_upsert(store, customer) -> None:
    store.put_secret(customer.id, "webhook", "c1")
    store.put_secret(customer.id, "webhook", "c2")
    assert store.get_secret(customer.id, "webhook") == "c2"
    assert store.get_secret(customer.id, "other") is None


def test_ping(store) -> None:
    assert store.ping() is True


def test_many_small_tenants_in_one_go(store) -> None:
    from ringflow.store.seed import sized_flow

    docs = [sized_flow(10, "A"), sized_flow(5, "B")]
    made = store.create_customers_with_flows(["Bulk 1", "Bulk 2", "Bulk 3"], docs)
    assert len(made) == 3 and all(len(fids) == 2 for _, fids in made)
    for cid, fids in made:
        assert store.get_customer(cid).name.startswith("Bulk")
        assert sorted(f.node_count for f in store.list_flows(cid).items) == [5, 10]
        assert len(store.viewport(cid, fids[0], -1e7, -1e7, 1e7, 1e7, 100).nodes) == 10
    # each customer sees only its own copies
    assert store.get_flow(made[0][0], made[1][1][0]) is None


def test_ended_sessions_are_remembered_until_they_expire(store) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, L3: sign-out is stored in the database (every worker process reads it), and rows
    of sessions that would have expired anyway are pruned."""
    import secrets
    import time

    live, old = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    assert not store.session_revoked(live)
    store.revoke_session(old, int(time.time()) - 10)  # already expired: pruned by the next sign-out
    store.revoke_session(live, int(time.time()) + 3600)
    store.revoke_session(live, int(time.time()) + 3600)  # signing out twice is harmless
    assert store.session_revoked(live) and not store.session_revoked(old)


def test_unsigned_webhooks_setting_is_stored_per_customer(store, customer) -> None:  # type: ignore[no-untyped-def]
    assert store.get_customer(customer.id).allow_unsigned_webhooks is False
    assert store.set_unsigned_webhooks(customer.id, True)
    assert store.get_customer(customer.id).allow_unsigned_webhooks is True
    assert store.set_unsigned_webhooks(customer.id, False) and not store.get_customer(customer.id).allow_unsigned_webhooks
    assert store.set_unsigned_webhooks(2**62, True) is False
