"""The viewport answers exactly what a brute-force scan of the flow would, from the index."""

from __future__ import annotations

import random

import pytest

from ringflow.model.demo import generate_flow
from ringflow.model.document import normalize


@pytest.fixture
def big(store, customer):  # type: ignore[no-untyped-def]
    doc = normalize(generate_flow(20_000, name="Big", seed=3))
    meta = store.create_flow(customer.id, doc)
    return meta, doc


def _brute(doc, x0: float, y0: float, x1: float, y1: float) -> list[str]:  # type: ignore[no-untyped-def]
    return [n["id"] for n in doc["nodes"] if n["x"] <= x1 and n["x"] + n["w"] >= x0 and n["y"] <= y1 and n["y"] + n["h"] >= y0]


def test_twenty_thousand_nodes_match_brute_force(store, customer, big) -> None:
    meta, doc = big
    assert meta.node_count == len(doc["nodes"]) >= 19_000
    xs = [n["x"] for n in doc["nodes"]]
    ys = [n["y"] for n in doc["nodes"]]
    rng = random.Random(7)
    order = {n["id"]: i for i, n in enumerate(doc["nodes"])}
    checked_nonempty = 0
    for _ in range(25):
        zoom = rng.choice([2, 1, 0.5, 0.25])
        x0 = rng.uniform(min(xs) - 500, max(xs))
        y0 = rng.uniform(min(ys) - 500, max(ys))
        x1, y1 = x0 + 1280 / zoom, y0 + 800 / zoom
        expected = sorted(_brute(doc, x0, y0, x1, y1), key=order.__getitem__)
        got = store.viewport(customer.id, meta.id, x0, y0, x1, y1, 100_000)
        assert [n["id"] for n in got.nodes] == expected and not got.truncated
        ids = set(expected)
        assert got.edges == [e for e in doc["edges"] if e["source"] in ids or e["target"] in ids]
        checked_nonempty += bool(expected)
    assert checked_nonempty > 10


def test_limit_cuts_in_key_order_and_says_so(store, customer, big) -> None:
    meta, doc = big
    everything = store.viewport(customer.id, meta.id, -1e7, -1e7, 1e7, 1e7, 100)
    assert len(everything.nodes) == 100 and everything.truncated
    keys = [n["key"] for n in everything.nodes]
    assert keys == sorted(keys)
    assert [n["id"] for n in everything.nodes] == [n["id"] for n in doc["nodes"][:100]]
    g = store.geometry(customer.id, meta.id)
    assert keys == g.keys[:100]


def test_nodes_of_other_flows_in_the_same_place_stay_out(store, customer, big) -> None:
    meta, doc = big
    small = store.create_flow(customer.id, {"name": "Small", "start": "a", "nodes": [{"id": "a", "type": "say", "x": 0, "y": 0}], "edges": []})
    got = store.viewport(customer.id, small.id, -1e7, -1e7, 1e7, 1e7, 100)
    assert [n["id"] for n in got.nodes] == ["a"] and not got.truncated


def _mixed(rng: random.Random, n: int) -> dict:  # type: ignore[type-arg]
    """Nodes of every size the model allows, around the origin (negative coordinates too)."""
    nodes = []
    for i in range(n):
        big = rng.random() < 0.15
        nodes.append({"id": f"n{i}", "type": "say", "x": rng.uniform(-6000, 6000), "y": rng.uniform(-6000, 6000),
                      "w": rng.uniform(513, 10_000) if big else rng.uniform(1, 512),
                      "h": rng.uniform(1, 10_000) if big else rng.uniform(1, 512)})
    return {"name": "Mixed", "start": "n0", "nodes": nodes, "edges": []}


def test_big_small_and_negative_nodes_match_brute_force(store, customer) -> None:
    rng = random.Random(11)
    doc = normalize(_mixed(rng, 600))
    meta = store.create_flow(customer.id, doc)
    order = {n["id"]: i for i, n in enumerate(doc["nodes"])}
    for _ in range(40):
        x0, y0 = rng.uniform(-9000, 6000), rng.uniform(-9000, 6000)
        x1, y1 = x0 + rng.choice([1, 300, 1280, 5120]), y0 + rng.choice([1, 200, 800, 3200])
        expected = sorted(_brute(doc, x0, y0, x1, y1), key=order.__getitem__)
        assert [n["id"] for n in store.viewport(customer.id, meta.id, x0, y0, x1, y1, 10_000).nodes] == expected


def test_moved_and_resized_nodes_are_found_where_they_are_now(store, customer) -> None:
    doc = normalize({"name": "Move", "start": "a", "nodes": [{"id": "a", "type": "say", "x": 0, "y": 0},
                                                            {"id": "b", "type": "say", "x": 100, "y": 0}], "edges": []})
    meta = store.create_flow(customer.id, doc)
    res = store.apply_patch(customer.id, meta.id, meta.revision, [{"op": "move_node", "id": "a", "x": 90_000, "y": -70_000}])
    store.apply_patch(customer.id, meta.id, res.revision, [{"op": "update_node", "id": "b", "w": 4000, "h": 3000}])

    def ids(x0: float, y0: float, x1: float, y1: float) -> list[str]:
        return [n["id"] for n in store.viewport(customer.id, meta.id, x0, y0, x1, y1, 10).nodes]

    assert ids(-10, -10, 50, 50) == []  # a left the origin
    assert ids(89_990, -70_010, 90_010, -69_990) == ["a"]
    assert ids(4000, 2900, 4050, 2950) == ["b"]  # found by its far corner, 4,000 units from where it starts


def test_non_finite_coordinates_are_refused(store, customer) -> None:
    from ringflow.store import StoreError

    meta = store.create_flow(customer.id, {"name": "F", "start": "a", "nodes": [{"id": "a", "type": "say", "x": 0, "y": 0}], "edges": []})
    with pytest.raises(StoreError):
        store.viewport(customer.id, meta.id, float("nan"), 0, 10, 10, 10)


def test_an_empty_rectangle_is_an_empty_answer_and_a_missing_flow_is_not_found(store, customer) -> None:
    """The viewport checks the flow only when its query finds nothing: both cases must still differ."""
    from ringflow.store import NotFound

    meta = store.create_flow(customer.id, {"name": "F", "start": "a", "nodes": [{"id": "a", "type": "say", "x": 0, "y": 0}], "edges": []})
    empty = store.viewport(customer.id, meta.id, 5000, 5000, 6000, 6000, 10)
    assert empty.nodes == [] and empty.edges == [] and not empty.truncated
    with pytest.raises(NotFound):
        store.viewport(customer.id, meta.id + 10_000, 5000, 5000, 6000, 6000, 10)
    with pytest.raises(NotFound):
        store.viewport(customer.id, meta.id + 10_000, -10, -10, 10, 10, 10)


def _cells_match_nodes(store, flow_id: int) -> None:  # type: ignore[no-untyped-def]
    """SQLite's cell index holds exactly the non-empty cells, each boxing its nodes (float32, rounded outwards)."""
    from ringflow.store.cells import CX, CY

    with store.engines.read.connect() as conn:
        want = {(r[0], r[1]): r[2:] for r in conn.exec_driver_sql(
            f"SELECT {CY}, {CX}, min(x), max(x + w), min(y), max(y + h) FROM flow_nodes WHERE flow_id = ? GROUP BY 1, 2", (flow_id,))}
        have = {(r[0], r[1]): r[2:] for r in conn.exec_driver_sql(
            "SELECT c.cy, c.cx, r.minx, r.maxx, r.miny, r.maxy FROM flow_cells c JOIN cell_rtree r ON r.id = c.id "
            "WHERE c.flow_id = ?", (flow_id,))}
        orphans = conn.exec_driver_sql("SELECT count(*) FROM cell_rtree WHERE id NOT IN (SELECT id FROM flow_cells)").scalar()
    assert set(have) == set(want) and orphans == 0
    for cell, (x0, x1, y0, y1) in want.items():
        hx0, hx1, hy0, hy1 = have[cell]
        slack = 1e-6 * max(1.0, abs(x0), abs(x1), abs(y0), abs(y1))
        assert x0 - slack <= hx0 <= x0 and x1 <= hx1 <= x1 + slack and y0 - slack <= hy0 <= y0 and y1 <= hy1 <= y1 + slack, cell


def test_patches_keep_the_cell_index_exact(store, customer) -> None:
    """Adds, moves (to another cell and within one), resizes and deletes, a cell emptied and one
    made: the viewport still matches brute force and (SQLite) every cell box is recomputed."""
    rng = random.Random(5)
    doc = normalize(_mixed(rng, 300))
    meta = store.create_flow(customer.id, doc)
    sqlite = store.dialect == "sqlite"
    if sqlite:
        _cells_match_nodes(store, meta.id)
    ops = [{"op": "add_node", "node": {"id": "far", "type": "say", "x": 50_000, "y": -50_000}},
           {"op": "move_node", "id": "n1", "x": -30_000, "y": 7},
           {"op": "move_node", "id": "n2", "x": doc["nodes"][2]["x"] + 3, "y": doc["nodes"][2]["y"]},
           {"op": "update_node", "id": "n3", "w": 9000, "h": 20},
           {"op": "update_node", "id": "n4", "label": "only a label"},
           {"op": "delete_node", "id": "n5"}]
    res = store.apply_patch(customer.id, meta.id, meta.revision, ops)
    if sqlite:
        _cells_match_nodes(store, meta.id)
    # the lone node moves away and comes back, then goes: its cells appear and empty
    res = store.apply_patch(customer.id, meta.id, res.revision, [{"op": "move_node", "id": "far", "x": 60_000, "y": 60_000}])
    res = store.apply_patch(customer.id, meta.id, res.revision, [{"op": "delete_node", "id": "n1"}])
    if sqlite:
        _cells_match_nodes(store, meta.id)
    now = store.get_document(customer.id, meta.id)
    order = {n["id"]: i for i, n in enumerate(now["nodes"])}
    for x0, y0, x1, y1 in [(-1e7, -1e7, 1e7, 1e7), (59_000, 59_000, 61_000, 61_000), (-31_000, 0, -29_000, 10),
                           (-9000, -9000, 6000, 6000)] + [(x, y, x + 1280, y + 800) for x, y in
                                                          ((rng.uniform(-9000, 6000), rng.uniform(-9000, 6000)) for _ in range(20))]:
        expected = sorted(_brute(now, x0, y0, x1, y1), key=order.__getitem__)
        assert [n["id"] for n in store.viewport(customer.id, meta.id, x0, y0, x1, y1, 10_000).nodes] == expected
    store.delete_flow(customer.id, meta.id)
    if sqlite:
        with store.engines.read.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM flow_cells WHERE flow_id = ?", (meta.id,)).scalar() == 0
            assert conn.exec_driver_sql("SELECT count(*) FROM cell_rtree WHERE id NOT IN (SELECT id FROM flow_cells)").scalar() == 0


def test_sqlite_viewport_walks_the_rtree_then_the_cells(store, customer, big) -> None:
    """The plan the design depends on: R*Tree first, cells by id, nodes by the grid index."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL uses its GiST index")
    from ringflow.store.spatial import sqlite_plan

    meta, _ = big
    with store.engines.read.connect() as conn:
        plan = sqlite_plan(conn, customer.id, meta.id)
    assert plan[0].startswith("SCAN r VIRTUAL TABLE")
    assert plan[1] == "SEARCH fc USING INTEGER PRIMARY KEY (rowid=?)"
    assert plan[2].startswith("SEARCH n USING INDEX ix_nodes_grid (flow_id=? AND <expr>=? AND <expr>=?)")
