import math

import pytest

from ringflow.model.demo import main_line
from ringflow.model.document import DocumentError, normalize

EXAMPLE = main_line()


def test_example_document_normalizes_with_defaults():
    doc = normalize(EXAMPLE)
    assert [n["id"] for n in doc["nodes"]] == ["welcome", "menu", "sales", "bye"]
    bye = doc["nodes"][3]
    assert bye["config"] == {} and bye["label"] == "" and bye["w"] > 0 and isinstance(bye["x"], float)


def _problem(raw):
    with pytest.raises(DocumentError) as info:
        normalize(raw)
    return info.value


@pytest.mark.parametrize("value", [math.nan, math.inf, 1e12, "12", None, True])
def test_bad_coordinates_name_node_and_field(value):
    err = _problem({**EXAMPLE, "nodes": [{"id": "a", "type": "say", "x": value}]})
    assert err.problems[0].node_id == "a" and err.problems[0].field == "x"
    assert "node 'a', field 'x'" in str(err)


def test_huge_string_is_refused():
    err = _problem({"name": "x", "nodes": [{"id": "a", "type": "say", "config": {"text": "x" * 10_000_000}}], "edges": []})
    assert err.problems[0].field == "config.text" and "over the limit" in err.problems[0].message


def test_duplicate_ids_and_dangling_edges_are_refused():
    err = _problem({"name": "x", "nodes": [{"id": "a", "type": "say"}, {"id": "a", "type": "say"}],
                    "edges": [{"source": "a", "outlet": "next", "target": "nowhere"}]})
    codes = {p.code for p in err.problems}
    assert codes == {"duplicate_id", "edge_unknown_target"}


def test_two_edges_on_one_outlet_are_refused():
    nodes = [{"id": "a", "type": "say"}, {"id": "b", "type": "hangup"}, {"id": "c", "type": "hangup"}]
    err = _problem({"name": "x", "nodes": nodes, "edges": [{"source": "a", "outlet": "next", "target": "b"},
                                                            {"source": "a", "outlet": "next", "target": "c"}]})
    assert err.problems[0].code == "duplicate_edge"


@pytest.mark.parametrize("raw", [[], "x", {"name": "", "nodes": []}, {"name": "x", "nodes": {}}, {"name": "x", "bogus": 1}])
def test_malformed_documents_get_clear_errors(raw):
    assert str(_problem(raw))


def test_bad_ids_are_refused():
    err = _problem({"name": "x", "nodes": [{"id": "has space", "type": "say"}]})
    assert err.problems[0].field == "id"
