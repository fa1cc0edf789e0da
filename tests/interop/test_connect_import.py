"""Amazon Connect -> Ringflow: voice actions become native nodes, the rest explicit unsupported nodes."""

from __future__ import annotations

import pytest

from ringflow.interop import InteropError, to_ringflow
from ringflow.interop.connect_import import NATIVE_ACTIONS
from ringflow.model.document import normalize
from ringflow.model.validation import validate
from tests.interop.corpus import files, load

LOOKUP_START = "9b4c1d0e-0f7a-4c8e-9a51-3d2b7c6e5f40"


def _node(doc, nid):
    return next(n for n in doc["nodes"] if n["id"] == nid)


def _edges(doc, nid):
    return {e["outlet"]: e["target"] for e in doc["edges"] if e["source"] == nid}


@pytest.mark.parametrize("path", files("connect"), ids=lambda p: p.name)
def test_corpus_converts_keeping_every_action_and_position(path):
    src = load(path)
    doc = to_ringflow(src, "connect")
    assert normalize(doc) == doc
    assert [n["id"] for n in doc["nodes"]] == [a["Identifier"] for a in src["Actions"]]
    meta = src["Metadata"]["ActionMetadata"]
    for node in doc["nodes"]:
        assert (node["x"], node["y"]) == (meta[node["id"]]["position"]["x"], meta[node["id"]]["position"]["y"])
        assert node["config"]["connect"]["type"] in {a["Type"] for a in src["Actions"]}
    errors = [p for p in validate(doc) if p.severity == "error"]
    assert {p.node_id for p in errors} == {n["id"] for n in doc["nodes"] if n["type"] == "unsupported"}


def test_corpus_covers_every_voice_action():
    seen = {a["Type"] for path in files("connect") for a in load(path)["Actions"]}
    assert set(NATIVE_ACTIONS) <= seen


def test_voice_actions_map_to_native_nodes_with_their_transitions():
    doc = to_ringflow(load("connect/support_line.json"))
    assert doc["start"] == "greet"
    assert _node(doc, "greet")["config"]["text"] == "Welcome to Acme. You are calling from {{trigger.call.From}}."
    assert _edges(doc, "hours") == {"open": "menu", "closed": "closed"}
    menu = _node(doc, "menu")
    assert (menu["type"], menu["label"], menu["config"]["digits"], menu["config"]["timeout"]) == ("menu", "Main menu", ["1", "2", "3"], 6)
    assert _edges(doc, "menu") == {"1": "tag", "2": "dial-partner", "3": "lambda", "invalid": "sorry", "timeout": "menu"}
    assert _node(doc, "tag")["config"]["variables"] == {"intent": "orders", "caller": "{{trigger.call.From}}"}
    tier = _node(doc, "tier")["config"]
    assert tier["input"] == "{{flow.variables.tier}}"
    assert [(c["op"], c["value"]) for c in tier["cases"]] == [
        ("equals", "gold"), ("starts_with", "sil"), ("contains", "bronze"), ("greater_than", "90"), ("less_than", "10"), ("regex", r"\.vip$")]
    assert _edges(doc, "tier")["no_match"] == "set-queue"
    dial = _node(doc, "dial-partner")
    assert dial["config"] | {} == {"to": "+15005550006", "caller_id": "+15005550001", "timeout": 45, "connect": dial["config"]["connect"]}
    assert _edges(doc, "dial-partner") == {"completed": "bye", "busy": "sorry", "no_answer": "menu", "failed": "sorry"}
    assert _node(doc, "to-queue")["config"]["queue"] == "{{flow.variables.connect_queue}}"
    assert _node(doc, "set-queue")["config"]["variables"]["connect_queue"] == "orders"  # D7: the name, not the ARN
    assert _edges(doc, "to-queue") == {"completed": "end", "failed": "sorry"}
    assert _node(doc, "bye")["type"] == _node(doc, "end")["type"] == "hangup"


def test_other_actions_become_unsupported_nodes_keeping_parameters_and_transitions():
    doc = to_ringflow(load("connect/support_line.json"))
    node = _node(doc, "lambda")
    assert node["type"] == "unsupported"
    assert node["config"]["original_type"] == "InvokeLambdaFunction"
    assert node["config"]["properties"]["LambdaFunctionARN"].endswith("function:billing")
    assert _edges(doc, "lambda") == {"NextAction": "bye", "Error NoMatchingError": "sorry"}
    assert "Ringflow cannot execute Amazon Connect action InvokeLambdaFunction" in [p.message for p in validate(doc)]


def test_stored_input_becomes_a_gather_and_its_references_resolve_to_it():
    doc = to_ringflow(load("connect/account_lookup.json"))
    gather = _node(doc, LOOKUP_START)
    assert gather["type"] == "gather"
    assert (gather["config"]["num_digits"], gather["config"]["timeout"], gather["config"]["finish_on_key"]) == (8, 8, "#")
    say = next(n for n in doc["nodes"] if n["type"] == "say")
    assert say["config"]["text"] == f"Account {{{{widgets.{LOOKUP_START}.Digits}}}} found for {{{{flow.variables.name}}}}."
    types = [n["config"].get("original_type") for n in doc["nodes"] if n["type"] == "unsupported"]
    assert types == ["Compare", "MessageParticipant"]  # an operator and a prompt Ringflow cannot run


BAD = {
    "missing_start.json": (None, "StartAction", "must name an action"),
    "unknown_next.json": ("hello", "Transitions", "unknown action 'gone'"),
    "bad_attributes.json": ("tag", "Parameters.Attributes", "must be an object"),
}


@pytest.mark.parametrize("path", files("connect", bad=True), ids=lambda p: p.name)
def test_bad_connect_documents_name_the_action_and_property(path):
    action, prop, words = BAD[path.name]
    with pytest.raises(InteropError) as info:
        to_ringflow(load(path), "connect")
    assert (info.value.state, info.value.property) == (action, prop)
    assert words in str(info.value)
    if action:
        assert f"action {action!r}" in str(info.value)
