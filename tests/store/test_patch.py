"""Batch patches: atomic, revision-checked, reported in the shared change format."""

from __future__ import annotations

import threading

import pytest

from ringflow.store.base import NotFound, PatchError, StaleRevision
from tests.store.helpers import main_line, strip_keys


@pytest.fixture
def flow(store, customer):  # type: ignore[no-untyped-def]
    return store.create_flow(customer.id, main_line())


def test_every_op_applies_and_is_reported(store, customer, flow) -> None:
    result = store.apply_patch(customer.id, flow.id, 1, [
        {"op": "add_node", "node": {"id": "support", "type": "say", "x": 400, "y": 320, "config": {"text": "Support"}}},
        {"op": "move_node", "id": "bye", "x": 210, "y": 330},
        {"op": "update_node", "id": "sales", "label": "Sales desk", "config": {"to": "+15550199"}},
        {"op": "delete_edge", "source": "menu", "outlet": "2"},
        {"op": "add_edge", "edge": {"source": "menu", "outlet": "2", "target": "support"}},
        {"op": "add_edge", "source": "support", "outlet": "next", "target": "bye"},
        {"op": "rename", "name": "Main line v2"},
        {"op": "set_start", "id": "menu"},
    ])
    assert result.revision == 2
    assert [n["id"] for n in result.added_nodes] == ["support"] and isinstance(result.added_nodes[0]["key"], int)
    assert {n["id"]: (n["x"], n["y"], n["label"]) for n in result.updated_nodes} == {"bye": (210, 330, ""), "sales": (-200, 320, "Sales desk")}
    assert result.removed_edges == [{"source": "menu", "outlet": "2", "target": "bye"}]
    assert result.added_edges == [{"source": "menu", "outlet": "2", "target": "support"}, {"source": "support", "outlet": "next", "target": "bye"}]
    assert (result.name, result.start) == ("Main line v2", "menu")
    doc = store.get_document(customer.id, flow.id)
    assert doc["name"] == "Main line v2" and doc["start"] == "menu"
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert nodes["sales"]["config"] == {"to": "+15550199"}  # config replaces, not merges
    assert (nodes["bye"]["x"], nodes["bye"]["y"]) == (210, 330)
    meta = store.get_flow(customer.id, flow.id)
    assert (meta.revision, meta.node_count, meta.edge_count, meta.name) == (2, 5, 5, "Main line v2")
    # the spatial index follows moves and additions
    ids = [n["id"] for n in store.viewport(customer.id, flow.id, 390, 310, 420, 330, 10).nodes]
    assert ids == ["bye", "support"] or ids == ["support", "bye"]


def test_delete_node_takes_its_edges(store, customer, flow) -> None:
    result = store.apply_patch(customer.id, flow.id, 1, [{"op": "delete_node", "id": "menu"}])
    assert result.removed_nodes == ["menu"] and len(result.removed_edges) == 4
    doc = store.get_document(customer.id, flow.id)
    assert [n["id"] for n in doc["nodes"]] == ["welcome", "sales", "bye"] and doc["edges"] == []
    assert store.viewport(customer.id, flow.id, -1000, -1000, 1000, 1000, 10).edges == []
    assert store.get_flow(customer.id, flow.id).edge_count == 0


def test_a_stale_revision_is_refused_and_nothing_changes(store, customer, flow) -> None:
    store.apply_patch(customer.id, flow.id, 1, [{"op": "move_node", "id": "bye", "x": 1, "y": 1}])
    with pytest.raises(StaleRevision) as err:
        store.apply_patch(customer.id, flow.id, 1, [{"op": "move_node", "id": "bye", "x": 99, "y": 99}])
    assert err.value.current == 2
    bye = [n for n in store.get_document(customer.id, flow.id)["nodes"] if n["id"] == "bye"][0]
    assert (bye["x"], bye["y"]) == (1, 1)


@pytest.mark.parametrize("bad_op, node_id, field", [
    ({"op": "move_node", "id": "ghost", "x": 1, "y": 1}, "ghost", "id"),
    ({"op": "move_node", "id": "sales", "x": float("inf"), "y": 1}, "sales", "x"),
    ({"op": "update_node", "id": "sales", "label": "x" * 201}, "sales", "label"),
    ({"op": "update_node", "id": "sales", "colour": "red"}, "sales", "colour"),
    ({"op": "add_node", "node": {"id": "menu", "type": "say"}}, "menu", "id"),
    ({"op": "add_node", "node": {"id": "big", "type": "say", "x": 1e12}}, "big", "x"),
    ({"op": "add_edge", "source": "menu", "outlet": "1", "target": "welcome"}, "menu", "outlets.1"),
    ({"op": "add_edge", "source": "menu", "outlet": "9", "target": "nowhere"}, "menu", "target"),
    ({"op": "delete_edge", "source": "bye", "outlet": "next"}, "bye", "outlets.next"),
    ({"op": "explode"}, None, "op"),
    ({"op": "rename", "name": ""}, None, "name"),
    ({"op": "set_start", "id": "ghost"}, "ghost", "id"),
])
def test_a_bad_op_in_the_middle_leaves_nothing(store, customer, flow, bad_op, node_id, field) -> None:
    before = store.get_document(customer.id, flow.id)
    ops = [{"op": "move_node", "id": "welcome", "x": 50, "y": 50}, {"op": "delete_node", "id": "bye"}, bad_op,
           {"op": "rename", "name": "never"}]
    with pytest.raises(PatchError) as err:
        store.apply_patch(customer.id, flow.id, 1, ops)
    problem = err.value.problems[0]
    assert (problem.node_id, problem.field) == (node_id, field) and "ops[2]" in problem.message
    assert store.get_document(customer.id, flow.id) == before
    assert store.get_flow(customer.id, flow.id).revision == 1
    assert [n["id"] for n in store.viewport(customer.id, flow.id, 150, 300, 250, 400, 10).nodes] == ["bye"]


def test_ops_must_be_a_list_of_objects(store, customer, flow) -> None:
    with pytest.raises(PatchError):
        store.apply_patch(customer.id, flow.id, 1, "delete everything")  # type: ignore[arg-type]
    with pytest.raises(PatchError):
        store.apply_patch(customer.id, flow.id, 1, [42])  # type: ignore[list-item]


def test_racing_writers_one_wins_per_revision(store, customer, flow) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        try:
            store.apply_patch(customer.id, flow.id, 1, [{"op": "add_node", "node": {"id": f"w{i}", "type": "say"}}])
            result = "won"
        except StaleRevision:
            result = "stale"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale"] * 7 + ["won"]
    meta = store.get_flow(customer.id, flow.id)
    assert meta.revision == 2 and meta.node_count == 5


def test_patching_a_missing_flow_is_not_found(store, customer) -> None:
    with pytest.raises(NotFound):
        store.apply_patch(customer.id, 999_999_999, 1, [])


def test_added_then_moved_node_is_reported_once_as_added(store, customer, flow) -> None:
    result = store.apply_patch(customer.id, flow.id, 1, [
        {"op": "add_node", "node": {"id": "n1", "type": "say"}}, {"op": "move_node", "id": "n1", "x": 10, "y": 20}])
    assert strip_keys(result.added_nodes) == [{"id": "n1", "type": "say", "x": 10, "y": 20, "w": 200, "h": 72, "label": "", "config": {}}]
    assert result.updated_nodes == []
