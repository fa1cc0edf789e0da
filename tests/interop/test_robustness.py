"""Whatever JSON arrives, conversion answers with a document or an InteropError, never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringflow.interop import InteropError, to_ringflow, to_studio
from ringflow.model.demo import generate_flow
from tests.interop.corpus import files, load

JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
CORPUS = [load(p) for p in files("studio") + files("connect")]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, prefix + (i,)))
    return out


def _replace(doc: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_corruption_gives_a_document_or_a_clear_error(data):
    src = data.draw(st.sampled_from(CORPUS))
    path = data.draw(st.sampled_from(_paths(src)))
    bad = _replace(src, path, data.draw(JSON))
    try:
        doc = to_ringflow(bad)
    except InteropError as exc:
        assert str(exc)
        return
    to_studio(doc)  # whatever imported also exports


def test_exporting_an_export_is_a_fixpoint():
    doc = generate_flow(80, seed=3)
    first = to_studio(doc)
    assert to_studio(to_ringflow(first)) == first


IMPORTED = [to_ringflow(load(p)) for p in files("studio")] + [generate_flow(40, seed=5)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_corrupted_node_config_exports_or_names_the_node(data):
    from ringflow.model.document import DocumentError, normalize

    doc = data.draw(st.sampled_from(IMPORTED))
    index = data.draw(st.integers(0, len(doc["nodes"]) - 1))
    path = data.draw(st.sampled_from(_paths(doc["nodes"][index]["config"])))
    node = copy.deepcopy(doc["nodes"][index])
    node["config"] = _replace(node["config"], path, data.draw(JSON)) if path else data.draw(st.dictionaries(st.text(max_size=8), JSON, max_size=3))
    raw = dict(doc, nodes=[*doc["nodes"][:index], node, *doc["nodes"][index + 1:]])
    try:
        bad = normalize(raw)
    except DocumentError:
        return  # the store would refuse it anyway
    try:
        to_studio(bad)
    except InteropError as exc:
        assert exc.state == node["id"] or exc.property


def test_a_broken_split_case_is_named_on_export():
    doc = to_ringflow(load("studio/conditions.json"))
    doc["nodes"][0]["config"]["cases"][2] = {"name": "x", "op": "sounds_like"}
    try:
        to_studio(doc)
    except InteropError as exc:
        assert (exc.state, exc.property) == ("check_value", "config.cases[2]")
    else:
        raise AssertionError("expected an InteropError")
