"""Studio -> Ringflow: every widget, transition, condition and position lands where users expect."""

from __future__ import annotations

import pytest

from ringflow.interop import InteropError, to_ringflow
from ringflow.interop.studio_widgets import COND_OPS, KNOWN_WIDGETS
from ringflow.model.catalogue import SPLIT_OPS
from ringflow.model.document import normalize
from ringflow.model.validation import validate
from tests.interop.corpus import files, load


def _node(doc, nid):
    return next(n for n in doc["nodes"] if n["id"] == nid)


def _edges(doc, nid):
    return {e["outlet"]: e["target"] for e in doc["edges"] if e["source"] == nid}


@pytest.mark.parametrize("path", files("studio"), ids=lambda p: p.name)
def test_corpus_converts_to_documents_that_normalize_and_only_fail_on_unsupported(path):
    src = load(path)
    doc = to_ringflow(src, "studio")
    assert normalize(doc) == doc
    errors = [p for p in validate(doc) if p.severity == "error"]
    unsupported = {n["id"] for n in doc["nodes"] if n["type"] == "unsupported"}
    assert {p.node_id for p in errors} == unsupported
    assert all(p.code == "unsupported_node" for p in errors)
    states = [s for s in src["states"] if s["type"] != "trigger"]
    assert [n["id"] for n in doc["nodes"]] == [s["name"] for s in states]  # nothing dropped, order kept
    for state, node in zip(states, doc["nodes"]):
        assert (node["x"], node["y"]) == (state["properties"]["offset"]["x"], state["properties"]["offset"]["y"])
        assert node["label"] == state["name"]


def test_corpus_covers_every_known_widget_and_condition_type():
    seen_widgets, seen_conditions = set(), set()
    for path in files("studio"):
        for state in load(path)["states"]:
            seen_widgets.add(state["type"])
            for t in state.get("transitions", []):
                seen_conditions.update(c["type"] for c in t.get("conditions", []))
    missing = KNOWN_WIDGETS - seen_widgets - {"send-to-autopilot", "send-to-auto-pilot"}  # retired by Twilio
    assert not missing
    assert seen_conditions == set(COND_OPS)
    assert set(COND_OPS.values()) <= set(SPLIT_OPS)


def test_trigger_becomes_the_start_and_say_play_maps_its_settings():
    doc = to_ringflow(load("studio/ivr_basic.json"))
    assert doc["name"] == "Acme support line"
    assert doc["start"] == "welcome"
    welcome = _node(doc, "welcome")
    assert welcome["type"] == "say"
    assert {k: welcome["config"][k] for k in ("text", "voice", "language", "loop")} == {
        "text": "Thanks for calling Acme, {{trigger.call.From}}.", "voice": "Polly.Joanna", "language": "en-US", "loop": 1}
    assert _edges(doc, "welcome") == {"next": "main_menu"}
    assert _node(doc, "tones")["config"]["digits"] == "1w2w3"
    jingle = _node(doc, "jingle")
    assert (jingle["type"], jingle["config"]["url"], jingle["config"]["loop"]) == ("play", "https://example.com/jingle.mp3", 3)


def test_gather_maps_keypress_speech_and_timeout_with_its_settings():
    doc = to_ringflow(load("studio/ivr_basic.json"))
    gather = _node(doc, "main_menu")
    assert gather["type"] == "gather"
    c = gather["config"]
    assert (c["input"], c["num_digits"], c["timeout"], c["finish_on_key"], c["hints"]) == ("both", 1, 7, "#", ["sales", "support", "billing"])
    assert c["prompt"].startswith("Press 1 for sales")
    assert _edges(doc, "main_menu") == {"keypress": "route_digits", "speech": "route_speech", "timeout": "goodbye"}
    assert c["studio"]["properties"]["speech_model"] == "phone_call"  # kept for the export


def test_split_keeps_condition_order_and_maps_no_match():
    doc = to_ringflow(load("studio/conditions.json"))
    split = _node(doc, "check_value")
    cases = split["config"]["cases"]
    assert [c["op"] for c in cases] == [COND_OPS[t] for t in COND_OPS]
    assert split["config"]["ignore_case"] is True  # Studio: "conditions are not case-sensitive"
    assert cases[0] == {"name": "If value equal_to gold", "op": "equals", "value": "gold"}
    assert cases[-1]["value"] == "2026-12-24"  # Studio's US date, as the ISO date the op reads
    edges = _edges(doc, "check_value")
    assert edges["no_match"] == "said_no_match"
    assert edges[cases[4]["name"]] == "said_is_blank"


def test_connect_call_to_completed_feeds_every_dial_outcome_and_secrets_are_dropped():
    doc = to_ringflow(load("studio/integrations.json"))
    sip = _node(doc, "dial_backup")
    assert sip["type"] == "transfer"
    assert sip["config"]["to"] == "sip:backup@pbx.example.com" and sip["config"]["record"] is True
    assert _edges(doc, "dial_backup") == dict.fromkeys(("completed", "busy", "no_answer", "failed"), "dial_desk")
    assert "s3cret" not in repr(doc)
    assert sip["config"]["studio"]["dropped_secrets"] == ["sip_password"]
    assert _node(doc, "dial_desk")["config"]["to"] == "client:front_desk"
    assert _node(doc, "dial_team")["config"]["to"] == "+15005550006,+15005550007"


def test_integration_widgets_map_to_native_nodes():
    doc = to_ringflow(load("studio/integrations.json"))
    assert _node(doc, "remember_caller")["config"]["variables"] == {"caller": "{{trigger.call.From}}", "attempts": "1"}
    get = _node(doc, "lookup_order")["config"]
    assert (get["method"], get["url"]) == ("GET", "https://api.example.com/orders?phone={{flow.variables.caller | url_encode}}")
    post = _node(doc, "post_ticket")["config"]
    assert post["headers"] == {"Content-Type": "application/json;charset=utf-8"} and "{{flow.data.source}}" in post["body"]
    assert _node(doc, "log_hangup")["config"]["body"] == "call={{trigger.call.CallSid | url_encode}}"  # form-encoded, as Studio sends it
    assert _node(doc, "survey")["config"]["flow_id"] == "FW0123456789abcdef0123456789abcdef"
    queue = _node(doc, "queue_agent")
    assert (queue["type"], queue["config"]["queue"], queue["config"]["priority"]) == ("enqueue", "orders", 5)
    assert _edges(doc, "queue_agent") == {"failed": "dial_backup"}  # callFailure is kept in the stash, not run
    assert any(t["event"] == "callFailure" and t["next"] == "dial_backup" for t in queue["config"]["studio"]["transitions"])


def test_widgets_ringflow_cannot_run_become_unsupported_nodes_with_their_transitions():
    doc = to_ringflow(load("studio/unsupported.json"))
    rec = _node(doc, "record_all")
    assert rec["type"] == "unsupported"
    assert rec["config"]["original_type"] == "record-call"
    assert rec["config"]["properties"]["recording_channels"] == "dual"
    assert rec["config"]["outlets"] == ["success", "failed"]
    assert _edges(doc, "record_all") == {"success": "check_hours", "failed": "check_hours"}
    assert _node(doc, "conference_room")["config"]["original_type"] == "connect-call-to"
    assert {n["id"] for n in doc["nodes"] if n["type"] == "unsupported"} == {"start_stream", "record_all", "bot", "conference_room"}


def test_studio_widgets_ringflow_now_runs_import_as_native_nodes():
    """Issue 17: run-function, capture-payments, send-to-flex, add-twiml-redirect, messages, outgoing calls."""
    doc = to_ringflow(load("studio/unsupported.json"))
    pay = _node(doc, "take_payment")
    assert (pay["type"], pay["config"]["charge_amount"], pay["config"]["max_attempts"]) == ("pay", "10.00", 2)
    assert _edges(doc, "take_payment") == {"success": "redirect_legacy"}
    fn = _node(doc, "check_hours")
    assert (fn["type"], fn["config"]["url"], fn["config"]["parameters"]) == ("function", "https://acme-1234.twil.io/hours",
                                                                            {"tz": "America/New_York"})
    assert _edges(doc, "check_hours") == {"success": "take_payment", "fail": "to_flex"}
    flex = _node(doc, "to_flex")["config"]
    assert (flex["workflow_sid"], flex["attributes"]) == ("WW00000000000000000000000000000000", '{"type": "inbound"}')
    assert _node(doc, "redirect_legacy")["type"] == "redirect"
    assert _node(doc, "reply_sms")["config"] == {**_node(doc, "reply_sms")["config"], "body": "Reply YES to confirm", "timeout": 3600}
    assert _node(doc, "thank_sms")["type"] == "message" and _node(doc, "call_customer")["type"] == "outbound_call"


def test_liquid_references_are_kept_verbatim_for_the_runtime_alias():
    doc = to_ringflow(load("studio/integrations.json"))
    text = _node(doc, "read_status")["config"]["text"]
    assert "{{widgets.lookup_order.parsed.order_id}}" in text


BAD = {
    "missing_initial_state.json": (None, "initial_state", "missing"),
    "unknown_next.json": ("hello", "transitions[0].next", "unknown state 'menu_that_was_deleted'"),
    "unknown_widget.json": ("teleport", "type", "unknown widget type 'teleport-caller'"),
    "wrong_property_type.json": ("hello", "loop", "must be a whole number"),
    "unknown_condition.json": ("route", "transitions[1].conditions[0].type", "unknown condition type 'is_odd'"),
    "bad_offset.json": ("hello", "offset.x", "must be a number"),
}


@pytest.mark.parametrize("path", files("studio", bad=True), ids=lambda p: p.name)
def test_bad_documents_get_errors_naming_state_and_property(path):
    state, prop, words = BAD[path.name]
    with pytest.raises(InteropError) as info:
        to_ringflow(load(path), "studio")
    err = info.value
    assert (err.state, err.property) == (state, prop)
    assert words in str(err)
    if state:
        assert repr(state) in str(err)
    assert repr(prop) in str(err)


@pytest.mark.parametrize("mutate, state, prop", [
    (lambda d: d.__setitem__("states", "nope"), None, "states"),
    (lambda d: d["states"].append(dict(d["states"][1])), "welcome", "name"),
    (lambda d: d.__setitem__("initial_state", "ghost"), None, "initial_state"),
    (lambda d: d["states"][1].__setitem__("properties", []), "welcome", "properties"),
    (lambda d: d["states"][1].__setitem__("transitions", {}), "welcome", "transitions"),
    (lambda d: d["states"][2]["properties"].__setitem__("stop_gather", "maybe"), "main_menu", "stop_gather"),
    (lambda d: d["states"][3]["transitions"][1].__setitem__("conditions", []), "route_digits", "transitions[1].conditions"),
    (lambda d: d["states"][1]["transitions"].append({"event": "audioComplete"}), "welcome", "transitions[1].event"),
])
def test_more_malformed_definitions(mutate, state, prop):
    doc = load("studio/ivr_basic.json")
    mutate(doc)
    with pytest.raises(InteropError) as info:
        to_ringflow(doc, "studio")
    assert (info.value.state, info.value.property) == (state, prop)


def test_state_names_with_characters_ids_forbid_are_escaped_reversibly():
    doc = load("studio/ivr_basic.json")
    doc["states"][1]["name"] = "Welcome message ✓"
    doc["states"][0]["transitions"][1]["next"] = "Welcome message ✓"
    out = to_ringflow(doc)
    node = out["nodes"][0]
    assert node["id"] == "Welcome:20message:20:e2:9c:93" and node["label"] == "Welcome message ✓"
    assert out["start"] == node["id"]
