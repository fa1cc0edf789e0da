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


def test_editor_routing_fixture_is_the_demo_flow_of_today():
    """tests/js/routing.test.mjs routes the demo flows from a fixture: it must be what generate_flow makes."""
    import json

    from tests.model.demo_fixture import FIXTURE, fixture

    assert json.loads(FIXTURE.read_text()) == json.loads(json.dumps(fixture())), "run: .venv/bin/python tests/model/demo_fixture.py"


def test_demo_block_layout_has_fewer_crossings_and_no_overlap():
    """The layered layout orders layers against crossings (benchmarks/layout_quality.py measures both layouts)."""
    from benchmarks.layout_quality import measure

    doc = generate_flow(20, seed=1)
    crossings, through = measure(dict(doc))
    assert crossings <= 16 and through <= 5  # main's one-sweep layout: 20 and 7
    boxes = [(n["x"], n["y"], n["x"] + n.get("w", 200), n["y"] + n.get("h", 72)) for n in doc["nodes"]]
    assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3] for i, a in enumerate(boxes) for b in boxes[i + 1:])
