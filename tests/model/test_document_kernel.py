"""normalize's C kernel and its node-by-node path give the same document or the same problems."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringflow.model import document
from ringflow.model.demo import generate_flow
from ringflow.model.document import DocumentError, _fast_nodes_and_edges, normalize

DEEP: dict = {"a": 1}
for _ in range(9):
    DEEP = {"a": DEEP}
DEEPEST_FINE: dict = {"a": 1}
for _ in range(7):
    DEEPEST_FINE = {"a": DEEPEST_FINE}
FINE = {"type": ["say", "menu", "x" * 64], "x": [0, 3, 1.5, -1e7, 1e7, -0.5], "y": [0, 2.5],
        "w": [1, 200, 0.5, 10_000], "h": [72, 10_000.0], "label": [None, "", "Hi", "x" * 200],
        "config": [None, {}, {"text": "hi"}, {"digits": ["1", "2"], "timeout": 5}, {"k": 1.5, "b": False, "n": None},
                   {"k": [0] * 1000}, {"k": DEEPEST_FINE}, {"k": "x" * 65_536}]}
ODD = {"id": ["a b", "x" * 65, "é", "a\n", "", 5, None], "type": ["", "x" * 65, 3, None],
       "x": [1e7 + 1, math.nan, math.inf, True, "1", 2**70, None], "y": [-1e7 - 1, math.nan],
       "w": [0, -1, 10_001, math.nan, False], "h": [0.0, 2**70], "label": ["x" * 201, 0, False, 5],
       "config": [{"k": [1, {"a": math.nan}]}, {"k": "x" * 65_537}, {"k": [0] * 1001}, {"k": {"x" * 257: 1}}, {"k": DEEP},
                  [], 0, {1: 2}, {"k": (1,)}, {"k": {1: 2}}, {"k": math.inf}]}
FINE_NODE = st.fixed_dictionaries({"type": st.sampled_from(FINE["type"])},
                                  optional={k: st.sampled_from(v) for k, v in FINE.items() if k != "type"})
ODD_NODE = FINE_NODE.flatmap(lambda node: st.sampled_from(sorted(ODD)).flatmap(
    lambda key: st.sampled_from(ODD[key]).map(lambda value: {**node, key: value})))
ODD_ITEM = st.sampled_from([1, None, "x", {"type": "say"}, {"id": "n0", "type": "say", "extra": 1}])


@st.composite
def documents(draw: st.DrawFn) -> dict:
    """Mostly fine nodes (ids n0, n1...) and edges between them, with odd ones mixed in."""
    nodes = []
    for i in range(draw(st.integers(0, 4))):
        node = draw([FINE_NODE, ODD_NODE, ODD_ITEM][max(0, draw(st.integers(0, 9)) - 7)])  # 1 in 5 odd
        if type(node) is dict and "id" not in node:  # now and then a duplicate, or an odd but fine id
            node = {"id": [f"n{i}", "n0", f"n.{i}:x-y_z", f"{i}" * 64][max(0, draw(st.integers(0, 9)) - 6)], **node}
        nodes.append(node)
    end = st.sampled_from([f"n{i}" for i in range(len(nodes))] or ["n0"])
    fine_edge = st.fixed_dictionaries({"source": end, "outlet": st.sampled_from(["next", "1", "2", "timeout", "x" * 64]),
                                       "target": end})
    odd_edge = st.sampled_from([None, "x"]) | st.fixed_dictionaries({}, optional={
        "source": st.sampled_from(["n0", "ghost", 5]), "outlet": st.sampled_from(["next", "", "x" * 65, 7]),
        "target": st.sampled_from(["n0", "ghost"]), "id": st.just("e1")})
    edges = draw(st.lists(st.integers(0, 9).flatmap(lambda k: odd_edge if k == 9 else fine_edge), max_size=5))
    return {"name": "f", "start": "n0", "nodes": nodes, "edges": edges}


def _outcome(raw):
    try:
        return normalize(raw)
    except DocumentError as exc:
        return exc.problems


@settings(max_examples=1500, deadline=None)
@given(documents())
def test_c_and_the_node_by_node_path_agree(raw):
    with_c = _outcome(raw)
    kernel, document.native = document.native, None
    try:
        assert _outcome(raw) == with_c
    finally:
        document.native = kernel


@pytest.mark.parametrize("size", [50, 5000])
def test_the_demo_flows_take_the_c_path(size):
    """What makes importing a big flow fast: a valid document never needs the node-by-node path."""
    raw = generate_flow(size)
    found = _fast_nodes_and_edges(raw["nodes"], raw["edges"])
    assert found is not None
    nodes, edges = found
    assert normalize(raw) == {"name": raw["name"], "start": raw["start"], "nodes": nodes, "edges": edges}
    assert all(type(n["x"]) is float and type(n["w"]) is float for n in nodes)


def test_the_c_path_declines_what_it_is_not_sure_of():
    fine = {"id": "a", "type": "say"}
    assert _fast_nodes_and_edges([fine], []) is not None
    for odd in [{**fine, "label": 0}, {**fine, "config": []}, {**fine, "x": True}, {**fine, "id": "a\n"}, {**fine, "extra": 1}]:
        assert _fast_nodes_and_edges([odd], []) is None, odd
    assert _fast_nodes_and_edges([fine], [{"source": "a", "outlet": "next", "target": "a", "id": "e"}]) is None
    assert _fast_nodes_and_edges([fine, fine], []) is None  # a duplicate id
