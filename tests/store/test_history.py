"""Versions, names and authors on published revisions, and restore as one new draft revision (both backends)."""

from __future__ import annotations

import pytest

from ringflow.model.diff import diff_documents
from ringflow.store import StaleRevision
from tests.store.helpers import main_line, strip_keys


def _patch(store, customer, fid: int, ops: list[dict]) -> int:  # type: ignore[no-untyped-def]
    base = store.get_flow(customer.id, fid).revision
    return store.apply_patch(customer.id, fid, base, ops).revision


def test_versions_count_publishes_not_autosaves(store, customer) -> None:
    fid = store.create_flow(customer.id, main_line()).id
    for i in range(5):  # five autosaves before the first publish
        _patch(store, customer, fid, [{"op": "move_node", "id": "bye", "x": 10 * i, "y": 0}])
    first = store.publish(customer.id, fid, name="Launch", author="rf_Abc")
    assert (first.number, first.version, first.name, first.author) == (6, 1, "Launch", "rf_Abc")
    _patch(store, customer, fid, [{"op": "rename", "name": "Renamed"}])
    second = store.publish(customer.id, fid)
    assert (second.number, second.version, second.name) == (7, 2, None)
    assert store.publish(customer.id, fid, name="again").version == 2  # same draft: same version, name kept
    assert [(r.version, r.name, r.author) for r in store.list_revisions(customer.id, fid).items] == \
        [(2, None, None), (1, "Launch", "rf_Abc")]


def test_restore_makes_the_draft_equal_to_the_revision_as_one_new_revision(store, customer) -> None:
    fid = store.create_flow(customer.id, main_line()).id
    published = store.publish(customer.id, fid)
    doc = store.get_document(customer.id, fid)
    menu = next(n for n in doc["nodes"] if n["type"] == "menu")
    first_edge = doc["edges"][0]
    rev = _patch(store, customer, fid, [
        {"op": "rename", "name": "Changed"},
        {"op": "update_node", "id": menu["id"], "label": "Other label", "x": 999},
        {"op": "delete_node", "id": "bye"},
        {"op": "delete_edge", "source": first_edge["source"], "outlet": first_edge["outlet"]},
        {"op": "add_node", "node": {"id": "extra", "type": "hangup", "x": 5, "y": 5}},
    ])
    with pytest.raises(StaleRevision):
        store.restore_revision(customer.id, fid, published.number, base_revision=rev - 1)
    result = store.restore_revision(customer.id, fid, published.number, base_revision=rev)
    assert result.revision == rev + 1
    assert result.removed_nodes == ["extra"] and {n["id"] for n in result.added_nodes} == {"bye"}
    now = store.get_document(customer.id, fid)
    _, then = store.get_revision(customer.id, fid, published.number)
    assert diff_documents(then, now) == {"nodes": {"added": [], "updated": [], "removed": []},
                                         "edges": {"added": [], "updated": [], "removed": []}, "name": None, "start": None}
    assert sorted(strip_keys(now["nodes"]), key=lambda n: n["id"]) == sorted(then["nodes"], key=lambda n: n["id"])
    assert store.restore_revision(customer.id, fid, published.number).revision == rev + 1  # nothing left to change
