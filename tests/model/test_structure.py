"""The C structural scan and its Python twin give the same answers, on every shape."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringflow.model.structure import Structure, native, scan, scan_py

NAMES = ["next", "1", "2", "timeout", "x"]


def _native(*args):
    """The C answer in the twin's terms: False (the reference walk reports) becomes None."""
    found = native.scan(*args)
    assert found is not None, "the C scan declined a shape it should handle"
    return Structure(*found) if found else None


@st.composite
def graphs(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 8))
    ids = [f"n{i}" for i in range(n)] + draw(st.lists(st.sampled_from(["n0", "n1"]), max_size=1))  # sometimes a duplicate id
    outlets = [tuple(draw(st.lists(st.sampled_from(NAMES), max_size=4))) for _ in ids]  # a name may repeat
    node = st.sampled_from(ids + ["ghost"]) if draw(st.booleans()) else st.sampled_from(ids)
    edges = [{"source": draw(node), "outlet": draw(st.sampled_from(NAMES + ["bogus"])), "target": draw(node)}
             for _ in range(draw(st.integers(0, 12)))]
    start = draw(st.sampled_from([None, "", "n0", f"n{n - 1}", "ghost"]))
    return ids, outlets, edges, start


@settings(max_examples=800, deadline=None)
@given(graphs())
def test_c_and_python_agree(graph):
    ids, outlets, edges, start = graph
    assert _native(ids, outlets, edges, start) == scan_py(ids, outlets, edges, start)


def test_what_a_scan_reports():
    ids = ["a", "b", "c", "lost"]
    outlets = [("next",), ("1", "2", "1"), (), ("next",)]
    edges = [{"source": "a", "outlet": "next", "target": "b"},
             {"source": "b", "outlet": "3", "target": "c"},  # no such outlet
             {"source": "b", "outlet": "2", "target": "c"}]
    expected = Structure(bad_edges=[(1, 1)], open_slots=[(1, 0), (1, 2), (3, 0)], start_pos=0, reached=bytearray([1, 1, 1, 0]))
    assert scan_py(ids, outlets, edges, "a") == expected
    assert _native(ids, outlets, edges, "a") == expected
    assert _native(ids, outlets, edges, "ghost") == expected._replace(start_pos=-1, reached=None)


@pytest.mark.parametrize("ids, edges", [
    (["a", "a"], []),  # duplicate id
    (["a"], [{"source": "a", "outlet": "next", "target": "ghost"}]),
    (["a"], [{"source": "a", "outlet": "next", "target": "a"}, {"source": "a", "outlet": "next", "target": "a"}]),
    (["a"], [{"outlet": "next", "target": "a"}]),  # an edge without its source
])
def test_the_reference_walk_reports_these(ids, edges):
    outlets = [("next",)] * len(ids)
    assert native.scan(ids, outlets, edges, "a") is False
    assert scan(ids, outlets, edges, "a") is None


@pytest.mark.parametrize("ids, outlets, edges, start", [
    (["a", 5], [(), ()], [], "a"),  # an id that is not text
    (["a"], [["next", 1]], [{"source": "a", "outlet": "x", "target": "a"}], "a"),  # an outlet that is not text
    (["a"], [("next",)], [["a", "next", "a"]], "a"),  # an edge that is not an object
    (["a"], [("next",)], [{"source": "a", "outlet": 7, "target": "a"}], "a"),
    (["a"], [("next",)], [], 7),
])
def test_the_c_scan_leaves_odd_shapes_to_the_twin(ids, outlets, edges, start):
    assert native.scan(ids, outlets, edges, start) is None

