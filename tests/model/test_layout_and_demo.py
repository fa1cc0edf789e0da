from ringflow.model.catalogue import NODE_WIDTH
from ringflow.model.demo import generate_flow
from ringflow.model.layout import layered_layout


def overlaps(nodes):
    boxes = sorted((n["x"], n["y"]) for n in nodes)
    seen = set()
    for x, y in boxes:
        key = (x, y)
        assert key not in seen
        seen.add(key)
    # grid-aligned layouts: no two boxes closer than a box size on both axes
    by_row = {}
    for x, y in boxes:
        by_row.setdefault(y, []).append(x)
    return any(b - a < NODE_WIDTH for xs in by_row.values() for a, b in zip(sorted(xs), sorted(xs)[1:]))


def test_layered_layout_puts_children_below_parents():
    pos = layered_layout(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("c", "d")], "a")
    assert pos["a"][1] < pos["b"][1] == pos["c"][1] < pos["d"][1]
    assert abs(pos["b"][0] - pos["c"][0]) >= NODE_WIDTH


def test_demo_flow_sizes_and_no_overlap():
    doc = generate_flow(1000, seed=3)
    assert len(doc["nodes"]) == 1000
    assert not overlaps(doc["nodes"])
    ids = {n["id"] for n in doc["nodes"]}
    assert doc["start"] in ids
    assert all(e["source"] in ids and e["target"] in ids for e in doc["edges"])


def test_demo_is_deterministic():
    assert generate_flow(100, seed=1) == generate_flow(100, seed=1)
