"""Flows through the Store interface, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import orjson
import pytest

from ringflow.model.document import DocumentError
from ringflow.store.base import BadCursor, NotFound, PatchError
from tests.store.helpers import main_line


def test_create_then_get_returns_the_same_document(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    assert (meta.name, meta.status, meta.revision, meta.start, meta.node_count, meta.edge_count) == ("Main line", "draft", 1, "welcome", 4, 4)
    assert store.get_flow(customer.id, meta.id) == meta
    doc = store.get_document(customer.id, meta.id)
    assert [n["id"] for n in doc["nodes"]] == ["welcome", "menu", "sales", "bye"]
    assert doc["nodes"][1]["config"]["digits"] == ["1", "2"]
    assert doc["nodes"][3] == {"id": "bye", "type": "hangup", "x": 200.0, "y": 320.0, "w": 200.0, "h": 72.0, "label": "", "config": {}}
    assert doc["edges"] == main_line()["edges"]


def test_streamed_chunks_join_into_the_document(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    chunks = list(store.iter_document_chunks(customer.id, meta.id, batch=2))
    assert len(chunks) > 4  # really streamed in batches
    assert orjson.loads(b"".join(chunks)) == store.get_document(customer.id, meta.id)


def test_a_bad_document_is_refused_and_nothing_is_written(store, customer) -> None:
    doc = main_line()
    doc["nodes"][2]["x"] = float("nan")
    with pytest.raises(DocumentError) as err:
        store.create_flow(customer.id, doc)
    assert err.value.problems[0].node_id == "sales" and err.value.problems[0].field == "x"
    doc = main_line()
    doc["edges"].append({"source": "bye", "outlet": "x", "target": "nowhere"})
    with pytest.raises(DocumentError, match="nowhere"):
        store.create_flow(customer.id, doc)
    assert store.list_flows(customer.id).items == []


def test_import_failing_midway_leaves_nothing(store, customer) -> None:
    doc = main_line()
    with pytest.raises(Exception):
        # checked=True skips normalize, so the duplicate id reaches the database and fails there
        store.create_flow(customer.id, {**doc, "nodes": doc["nodes"] + [doc["nodes"][0]]}, checked=True)
    assert store.list_flows(customer.id).items == []


def test_list_is_keyset_paginated_newest_first(store, customer) -> None:
    ids = [store.create_flow(customer.id, {**main_line(), "name": f"Flow {i}"}).id for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_flows(customer.id, limit=3, cursor=cursor)
        seen += [f.id for f in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids[::-1] and pages == 3


def test_list_filters_by_name(store, customer) -> None:
    store.create_flow(customer.id, {**main_line(), "name": "Sales line"})
    store.create_flow(customer.id, {**main_line(), "name": "Support 100%_"})
    assert [f.name for f in store.list_flows(customer.id, q="sales").items] == ["Sales line"]
    assert [f.name for f in store.list_flows(customer.id, q="100%_").items] == ["Support 100%_"]
    assert store.list_flows(customer.id, q="%").items[0].name == "Support 100%_"
    assert len(store.list_flows(customer.id, q="%").items) == 1


@pytest.mark.parametrize("cursor", ["garbage!", "eyJhIjoxfQ", "W10", "WyJ4Il0", "WzEsMl0", "x" * 600])
def test_a_bad_cursor_is_a_clear_error(store, customer, cursor: str) -> None:
    with pytest.raises(BadCursor, match="cursor"):
        store.list_flows(customer.id, cursor=cursor)


def test_delete(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    assert store.delete_flow(customer.id, meta.id) is True
    assert store.get_flow(customer.id, meta.id) is None
    assert store.delete_flow(customer.id, meta.id) is False
    with pytest.raises(NotFound):
        store.get_document(customer.id, meta.id)


def test_publish_snapshots_the_draft_immutably(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    rev = store.publish(customer.id, meta.id)
    assert (rev.number, rev.node_count, rev.edge_count) == (1, 4, 4)
    store.apply_patch(customer.id, meta.id, 1, [{"op": "rename", "name": "Renamed"}, {"op": "delete_node", "id": "bye"}])
    rev2 = store.publish(customer.id, meta.id)
    assert rev2.number == 2 and store.publish(customer.id, meta.id).number == 2  # publishing again: same snapshot
    flow = store.get_flow(customer.id, meta.id)
    assert (flow.status, flow.published_revision) == ("published", 2)
    old, doc = store.get_revision(customer.id, meta.id, 1)
    assert doc["name"] == "Main line" and len(doc["nodes"]) == 4
    _, doc2 = store.get_revision(customer.id, meta.id, 2)
    assert doc2["name"] == "Renamed" and len(doc2["nodes"]) == 3
    page = store.list_revisions(customer.id, meta.id, limit=1)
    assert [r.number for r in page.items] == [2]
    assert [r.number for r in store.list_revisions(customer.id, meta.id, cursor=page.next_cursor).items] == [1]
    with pytest.raises(NotFound):
        store.get_revision(customer.id, meta.id, 3)


def test_geometry_is_in_key_order_with_edge_indexes(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    g = store.geometry(customer.id, meta.id)
    assert g.ids == ["welcome", "menu", "sales", "bye"] and g.types == ["say", "menu", "transfer", "hangup"]
    assert g.keys == sorted(g.keys) and len(set(g.keys)) == 4
    assert (g.xs, g.ys, g.ws, g.hs) == ([0, 0, -200, 200], [0, 160, 320, 320], [200] * 4, [72] * 4)
    assert list(zip(g.edge_sources, g.edge_outlets, g.edge_targets)) == [(0, "next", 1), (1, "1", 2), (1, "2", 3), (1, "timeout", 3)]
    assert g.start_index == 0 and g.revision == 1


def test_search_nodes_by_label_or_id(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    assert [n["id"] for n in store.search_nodes(customer.id, meta.id, "WELC")] == ["welcome"]
    found = store.search_nodes(customer.id, meta.id, "e")
    assert [n["id"] for n in found] == ["welcome", "menu", "sales", "bye"] and all(isinstance(n["key"], int) for n in found)
    assert store.search_nodes(customer.id, meta.id, "zzz") == []


def test_critical_walks_from_the_start(store, customer) -> None:
    meta = store.create_flow(customer.id, main_line())
    region = store.critical(customer.id, meta.id, limit=2)
    assert [n["id"] for n in region.nodes] == ["welcome", "menu"] and region.truncated
    assert region.edges == [{"source": "welcome", "outlet": "next", "target": "menu"}]
    full = store.critical(customer.id, meta.id, limit=10)
    assert [n["id"] for n in full.nodes] == ["welcome", "menu", "sales", "bye"] and not full.truncated
    assert len(full.edges) == 4


def test_awkward_text_round_trips(store, customer) -> None:
    doc = main_line()
    doc["nodes"][0]["label"] = 'tab\there "q" back\\slash\nnew ☎ \\N'
    doc["nodes"][0]["config"]["text"] = "\\.\n\\N\t\u2028 nul\x00 {{trigger.call.From}}"
    meta = store.create_flow(customer.id, doc)
    got = store.get_document(customer.id, meta.id)["nodes"][0]
    assert got["label"] == doc["nodes"][0]["label"] and got["config"] == doc["nodes"][0]["config"]


def test_nul_in_plain_text_is_refused_on_every_backend(store, customer) -> None:
    doc = main_line()
    doc["nodes"][0]["label"] = "a\x00b"
    with pytest.raises(DocumentError) as err:
        store.create_flow(customer.id, doc)
    assert (err.value.problems[0].node_id, err.value.problems[0].field) == ("welcome", "label")
    meta = store.create_flow(customer.id, main_line())
    with pytest.raises(PatchError) as perr:
        store.apply_patch(customer.id, meta.id, 1, [{"op": "update_node", "id": "menu", "label": "x\x00"}])
    assert (perr.value.problems[0].node_id, perr.value.problems[0].field) == ("menu", "label")


@pytest.mark.parametrize("where", ["name", "label", "type", "outlet"])
def test_a_nul_anywhere_in_the_plain_text_columns_is_found(store, customer, where: str) -> None:
    """A NUL in any of the four plain text columns is refused, naming that column."""
    doc = main_line()
    if where == "name":
        doc["name"] = "Main\x00line"
    elif where == "outlet":
        doc["edges"][-1]["outlet"] = "x\x00"
    else:
        doc["nodes"][-1][where] = doc["nodes"][-1].get(where, "") + "\x00"
    with pytest.raises(DocumentError) as err:
        store.create_flow(customer.id, doc, checked=True)
    assert [p.code for p in err.value.problems] == ["bad_text"]
    assert err.value.problems[0].field == where
