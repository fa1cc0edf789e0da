"""The flow list sorts by name, last update and size, page after page, on both backends."""

from __future__ import annotations

import pytest

from ringflow.store import StoreError
from ringflow.store.base import BadCursor
from tests.store.helpers import main_line


def _all(store, cid: int, sort: str, limit: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    names, cursor = [], None
    while True:
        page = store.list_flows(cid, limit=limit, cursor=cursor, sort=sort)
        names += [m.name for m in page.items]
        if not page.next_cursor:
            return names
        cursor = page.next_cursor


def test_sorts_page_by_page(store, customer) -> None:
    made = {}
    for name, extra in (("Bravo", 3), ("alpha", 0), ("Charlie", 1), ("Delta", 3), ("Echo", 2)):
        doc = main_line()
        doc["name"] = name
        doc["nodes"] += [{"id": f"x{i}", "type": "hangup", "x": 1000 + 300 * i, "y": 0} for i in range(extra)]
        made[name] = store.create_flow(customer.id, doc)
    # touch Charlie last: the most recently updated
    store.apply_patch(customer.id, made["Charlie"].id, 1, [{"op": "move_node", "id": "bye", "x": 5, "y": 5}])
    mine = set(made)
    pick = lambda names: [n for n in names if n in mine]  # noqa: E731 - other tests' flows share the customer
    assert pick(_all(store, customer.id, "newest")) == ["Echo", "Delta", "Charlie", "alpha", "Bravo"]
    assert pick(_all(store, customer.id, "name")) == ["alpha", "Bravo", "Charlie", "Delta", "Echo"]  # letter case aside
    order = pick(_all(store, customer.id, "updated"))
    stamp = {n: store.get_flow(customer.id, made[n].id).updated_at for n in mine}
    key = [(stamp[n], made[n].id) for n in order]
    assert key == sorted(key, reverse=True)  # most recently updated first, ties: newest first
    assert stamp["Charlie"] == max(stamp.values()) and stamp[order[0]] == stamp["Charlie"]
    assert pick(_all(store, customer.id, "size")) == ["Delta", "Bravo", "Echo", "Charlie", "alpha"]  # ties: newest first


def test_a_cursor_of_another_order_or_an_unknown_sort_is_refused(store, customer) -> None:
    for i in range(3):
        store.create_flow(customer.id, main_line())
    cursor = store.list_flows(customer.id, limit=1).next_cursor
    with pytest.raises(BadCursor):
        store.list_flows(customer.id, limit=1, cursor=cursor, sort="name")
    with pytest.raises(StoreError):
        store.list_flows(customer.id, sort="colour")
