"""Ringflow -> Studio: imported flows come back unchanged, edits show up, native flows export."""

from __future__ import annotations

import copy
import json

import pytest

from ringflow.interop import to_ringflow, to_studio
from ringflow.model.demo import generate_flow
from ringflow.model.document import normalize
from tests.interop.corpus import files, load


def _without_secrets(src):
    out = copy.deepcopy(src)
    for state in out["states"]:
        state.get("properties", {}).pop("sip_password", None)
    return out


def check_studio_shape(defn):
    """What Studio's schema insists on: unique names, a trigger as initial state, known nexts."""
    names = [s["name"] for s in defn["states"]]
    assert len(names) == len(set(names))
    assert defn["initial_state"] in names
    assert next(s for s in defn["states"] if s["name"] == defn["initial_state"])["type"] == "trigger"
    for state in defn["states"]:
        assert isinstance(state["properties"]["offset"]["x"], (int, float))
        for t in state["transitions"]:
            assert t.get("next") is None or t["next"] in names, (state["name"], t)
    json.dumps(defn)


def _state(defn, name):
    return next(s for s in defn["states"] if s["name"] == name)


def _next(state, event):
    return next(t.get("next") for t in state["transitions"] if t["event"] == event)


@pytest.mark.parametrize("path", files("studio"), ids=lambda p: p.name)
def test_studio_to_ringflow_to_studio_keeps_every_state_transition_property_and_position(path):
    src = load(path)
    back = to_studio(to_ringflow(src))
    assert back == _without_secrets(src)  # equality of the whole definition, in state order
    check_studio_shape(back)


def test_a_second_round_trip_is_stable_through_storage_shaped_json():
    src = load("studio/ivr_basic.json")
    doc = json.loads(json.dumps(to_ringflow(src)))  # what a store gives back
    assert to_ringflow(to_studio(doc)) == normalize(doc)


def test_edits_made_in_ringflow_reach_the_export():
    doc = to_ringflow(load("studio/ivr_basic.json"))
    nodes = {n["id"]: n for n in doc["nodes"]}
    nodes["welcome"]["config"]["text"] = "Hello {{nodes.main_menu.digits}}"
    nodes["welcome"]["x"] = 999.5
    nodes["main_menu"]["config"]["timeout"] = 9
    cases = nodes["route_digits"]["config"]["cases"]
    cases[0]["value"] = "4"
    cases.reverse()
    cases.append({"name": "zero", "op": "equals", "value": "0"})
    doc["edges"] = [e for e in doc["edges"] if not (e["source"] == "welcome")]
    doc["edges"].append({"source": "route_digits", "outlet": "zero", "target": "goodbye"})
    doc["name"] = "Renamed"
    out = to_studio(normalize(doc))
    welcome = _state(out, "welcome")
    assert welcome["properties"]["say"] == "Hello {{widgets.main_menu.Digits}}"
    assert welcome["properties"]["voice"] == "Polly.Joanna"  # untouched settings stay
    assert welcome["properties"]["offset"] == {"x": 999.5, "y": 180}
    assert _next(welcome, "audioComplete") is None
    gather = _state(out, "main_menu")
    assert gather["properties"]["timeout"] == 9 and gather["properties"]["speech_model"] == "phone_call"
    matches = [t for t in _state(out, "route_digits")["transitions"] if t["event"] == "match"]
    assert [(m["conditions"][0]["type"], m["conditions"][0]["value"]) for m in matches] == [
        ("matches_any_of", "2, 3"), ("equal_to", "4"), ("equal_to", "0")]
    assert matches[0]["conditions"][0]["friendly_name"] == "Support keys"
    assert [m.get("next") for m in matches] == ["voicemail", "dial_sales", "goodbye"]
    assert out["description"] == "Renamed"
    check_studio_shape(out)


def test_subflow_parameters_import_to_config_and_edits_export_back():
    doc = to_ringflow(load("studio/integrations.json"))
    survey = next(n for n in doc["nodes"] if n["id"] == "survey")
    assert survey["config"]["parameters"] == {"source": "order_line"}
    survey["config"]["parameters"] = {"source": "{{nodes.h.digits}}", "lang": "fr"}
    props = _state(to_studio(normalize(doc)), "survey")["properties"]
    assert props["parameters"] == [{"key": "source", "value": "{{widgets.h.Digits}}"}, {"key": "lang", "value": "fr"}]
    assert props["flow_sid"] == "FW0123456789abcdef0123456789abcdef"


def test_changing_the_start_moves_the_trigger_transition():
    doc = to_ringflow(load("studio/ivr_basic.json"))
    doc["start"] = "main_menu"
    out = to_studio(doc)
    assert _next(_state(out, "Trigger"), "incomingCall") == "main_menu"


def test_any_native_flow_exports_to_a_valid_studio_definition():
    doc = generate_flow(60)
    out = to_studio(doc)
    check_studio_shape(out)
    types = {s["type"] for s in out["states"]}
    assert {"say-play", "gather-input-on-call", "split-based-on", "set-variables", "make-http-request",
            "connect-call-to", "record-voicemail", "enqueue-call", "run-function", "trigger"} <= types
    hangups = {n["id"] for n in doc["nodes"] if n["type"] == "hangup"}
    assert hangups and not hangups & {s["name"] for s in out["states"]}  # a hang-up is a transition to nothing
    start = next(n for n in doc["nodes"] if n["id"] == doc["start"])
    assert _next(_state(out, "Trigger"), "incomingCall") == start["id"]
    lookup = next(s for s in out["states"] if s["type"] == "make-http-request")
    assert "widgets." in lookup["properties"]["url"] and "nodes." not in lookup["properties"]["url"]


def test_a_menu_exports_as_gather_then_split_on_the_digit():
    doc = normalize({"name": "m", "start": "menu", "nodes": [
        {"id": "menu", "type": "menu", "x": 10, "y": 20, "config": {"prompt": "1 or 2", "digits": ["1", "2"], "timeout": 4}},
        {"id": "one", "type": "say", "config": {"text": "one"}},
        {"id": "bye", "type": "hangup"},
        {"id": "wait", "type": "pause", "config": {"seconds": 2}}],
        "edges": [{"source": "menu", "outlet": "1", "target": "one"}, {"source": "menu", "outlet": "2", "target": "bye"},
                  {"source": "menu", "outlet": "invalid", "target": "wait"}]})
    out = to_studio(doc)
    gather, split = _state(out, "menu"), _state(out, "menu_choice")
    assert (gather["properties"]["number_of_digits"], gather["properties"]["timeout"], gather["properties"]["say"]) == (1, 4, "1 or 2")
    assert _next(gather, "keypress") == "menu_choice"
    assert split["properties"]["input"] == "{{widgets.menu.Digits}}"
    assert [(t["conditions"][0]["value"], t.get("next")) for t in split["transitions"] if t["event"] == "match"] == [("1", "one"), ("2", None)]
    assert _next(split, "noMatch") == "wait"
    assert _state(out, "wait")["properties"]["digits"] == "wwww"
    check_studio_shape(out)


def test_re_importing_an_export_of_a_native_flow_keeps_its_behaviour():
    doc = generate_flow(20)
    again = to_ringflow(to_studio(doc))
    kinds = {n["id"]: n["type"] for n in again["nodes"]}
    for node in doc["nodes"]:
        if node["type"] in ("say", "gather", "split", "set", "http", "transfer", "record", "enqueue"):
            assert kinds[node["id"]] == node["type"], node["id"]


@pytest.mark.parametrize("path", files("connect"), ids=lambda p: p.name)
def test_imported_connect_flows_export_to_well_formed_studio(path):
    out = to_studio(to_ringflow(load(path)))
    check_studio_shape(out)
    assert any(s["type"] == "run-function" for s in out["states"])  # the unsupported action, still there


def test_a_subflow_definition_starts_at_incoming_parent_and_round_trips():
    src = load("studio/ivr_basic.json")
    trigger = src["states"][0]
    trigger["transitions"][1].pop("next")
    trigger["transitions"][4]["next"] = "welcome"
    doc = to_ringflow(src)
    assert doc["start"] == "welcome"
    assert to_studio(doc) == src


def test_a_definition_without_trigger_starts_at_its_initial_state():
    src = load("studio/ivr_basic.json")
    src["states"] = src["states"][1:]
    src["initial_state"] = "main_menu"
    doc = to_ringflow(src)
    assert doc["start"] == "main_menu"
    out = to_studio(doc)
    check_studio_shape(out)
    assert _next(_state(out, out["initial_state"]), "incomingCall") == "main_menu"


def test_a_flow_too_big_for_studio_is_refused_with_the_numbers():
    from ringflow.interop import InteropError

    with pytest.raises(InteropError, match="at most 1,000 widgets"):
        to_studio(generate_flow(1500))
