"""The C grouping of nodes (``_groups.c``) and its Python twin give the same groups."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ringflow.model.demo import generate_flow
from ringflow.model.document import normalize
from ringflow.model.fastflow import _nodes_by_type, _nodes_by_type_py, native_group_nodes

CONFIGS = st.sampled_from([{}, {"text": "a"}, {"text": "b"}, {"loop": 2, "text": "c"}, {"text": "d", "loop": 3}, {"x": [1]}])
NODE = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", 5]), "type": st.sampled_from(["say", "menu", "x"]), "config": CONFIGS})
ODD = st.sampled_from([{"id": "a", "type": "say"}, {"id": "a", "type": "say", "config": None}, {"id": "a", "type": ["x"], "config": {}},
                       {"type": "say", "config": {}}, {"id": "a", "type": "say", "config": [1]}, "node"])


def _plain(found):
    """Groups as plain lists, whichever sequence type holds them."""
    ids, types, configs, by_type = found
    return ids, types, configs, {name: [list(g[0]), list(g[1]), tuple(g[2]), g[3]] for name, g in by_type.items()}


@settings(max_examples=800, deadline=None)
@given(st.lists(st.integers(0, 9).flatmap(lambda k: ODD if k == 9 else NODE), max_size=6))
def test_c_and_python_group_the_same(nodes):
    c = native_group_nodes(nodes)
    try:
        python = _nodes_by_type_py(nodes)
    except (KeyError, TypeError):  # shapes the reference walk reports: the kernel declines them
        assert c is None
        return
    if c is not None:
        assert _plain(c) == _plain(python)
    else:
        assert any(type(n) is not dict or type(n.get("config")) is not dict for n in nodes)


def test_a_type_with_two_key_sets_has_no_columns():
    nodes = [{"id": "a", "type": "say", "config": {"text": "x"}}, {"id": "b", "type": "say", "config": {"text": "y", "loop": 2}},
             {"id": "c", "type": "menu", "config": {"digits": ["1"]}}]
    ids, types, configs, by_type = native_group_nodes(nodes)
    assert ids == ["a", "b", "c"] and types == ["say", "say", "menu"] and list(by_type) == ["say", "menu"]
    assert list(by_type["say"][0]) == [0, 1] and by_type["say"][3] is None
    assert by_type["menu"][2] == ("digits",) and by_type["menu"][3] == [[["1"]]]


def test_the_demo_flow_takes_the_c_path():
    nodes = normalize(generate_flow(3000))["nodes"]
    assert native_group_nodes(nodes) is not None
    assert _plain(_nodes_by_type(nodes)) == _plain(_nodes_by_type_py(nodes))
