"""Imported flows run in Ringflow's engine with Studio's semantics, branch by branch.

Drives the in-process step function (ringflow.runtime.engine.advance, see docs/runtime.md)
with the caller's events, as the webhooks would.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from ringflow.interop import to_ringflow
from ringflow.interop.studio_widgets import COND_OPS
from ringflow.runtime.compile import compile_flow
from ringflow.runtime.engine import advance, enter_subflow, new_call, waiting_for
from ringflow.runtime.state import ENDED
from tests.interop.corpus import load

CALL = ("CA" + "1" * 32, "+15551230000", "+15559990000", "inbound", "AC1")
MONDAY_NOON_UTC = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc).timestamp()


class Call:
    """One call through an imported flow: what was said and what the call waits on."""

    def __init__(self, doc, variables=None, now=MONDAY_NOON_UTC):
        self.cf = compile_flow(doc, ("interop", id(doc)))
        self.now = now
        state = new_call(self.cf, CALL)
        if variables:
            state.vars = dict(variables)
        self.step = advance(self.cf, state, ("start",), now)

    def send(self, *event):
        self.step = advance(self.cf, self.step.state, event, self.now)
        return self

    @property
    def actions(self):
        return self.step.actions

    @property
    def said(self):
        out = [a[1] for a in self.actions if a[0] == "say"]
        return out + [a[6][1] for a in self.actions if a[0] == "gather" and a[6] and a[6][0] == "say"]

    @property
    def at(self):
        return None if self.step.state.node == ENDED else self.cf.ids[self.step.state.node]

    @property
    def ended(self):
        return self.step.state.node == ENDED


@pytest.fixture(scope="module")
def ivr():
    return to_ringflow(load("studio/ivr_basic.json"))


def test_welcome_then_gather_listening_for_keys_and_speech(ivr):
    call = Call(ivr)
    assert call.said == ["Thanks for calling Acme, +15551230000.", "Press 1 for sales, 2 for support, or say what you need."]
    assert call.actions[0] == ("say", "Thanks for calling Acme, +15551230000.", "Polly.Joanna", "en-US", 1)
    assert call.at == "main_menu" and waiting_for(call.cf, call.step.state) == "digits_or_speech"
    gather = call.actions[-1]
    assert gather[:6] == ("gather", "both", 1, 7, "#", ("sales", "support", "billing"))


def test_keypress_equal_to_dials_and_every_dial_outcome_continues_like_call_completed(ivr):
    call = Call(ivr).send("digits", "1")
    assert call.at == "dial_sales"
    assert call.actions[-1] == ("dial", "+15005550006", "+15559990000", 25, False)
    for status in ("completed", "busy", "no-answer", "failed"):
        after = copy.copy(call).send("dial", status)
        assert after.said == ["Goodbye."] and after.ended


def test_keypress_matches_any_of_records_voicemail_and_no_audio_goes_back_to_the_menu(ivr):
    call = Call(ivr).send("digits", "3")
    assert call.at == "voicemail" and call.actions[-1] == ("record", 120, True, True)
    assert copy.copy(call).send("record", "https://rec.example/1", 9).said == ["Goodbye."]
    again = copy.copy(call).send("record", "", 0)
    assert again.at == "main_menu" and again.said[-1].startswith("Press 1")


def test_no_match_loops_to_the_gather_and_timeout_says_goodbye(ivr):
    call = Call(ivr).send("digits", "9")
    assert call.at == "main_menu"
    assert Call(ivr).send("timeout").said == ["Goodbye."]


def test_speech_is_tested_by_its_own_split_and_noMatch_plays_digits_then_audio(ivr):
    assert Call(ivr).send("speech", "sales please", 0.9).at == "dial_sales"
    call = Call(ivr).send("speech", "opening hours", 0.8)
    assert call.actions[:2] == [("play", "", 1, "1w2w3"), ("play", "https://example.com/jingle.mp3", 3, "")]
    assert call.said == ["Goodbye."] and call.ended


def test_split_conditions_are_tried_in_studio_order():
    doc = to_ringflow(load("studio/conditions.json"))
    taken = {tier: Call(doc, {"tier": tier}).said for tier in ("gold", "silver", "x")}
    assert taken == {"gold": ["Branch equal_to"], "silver": ["Branch does_not_match_any_of"], "x": ["Branch not_equal_to"]}


HIT_MISS = {
    "equal_to": ("Gold", "golden"), "not_equal_to": ("gold", " SILVER "), "matches_any_of": ("b", "d"),
    "does_not_match_any_of": ("z", " X"), "is_blank": ("  ", "a"), "is_not_blank": ("a", ""), "regex": ("v12", "v1x"),
    "contains": ("platinum", "gold"), "does_not_contain": ("live", "a test"), "starts_with": ("premium", "apre"),
    "does_not_start_with": ("yes", "none"), "less_than": ("9.5", "10"), "greater_than": ("100", "99"),
    "is_before_time": ("08:59", "09:00"), "is_after_time": ("18:00", "17:30"),
    "is_before_date": ("2025-12-31", "2026-01-01"), "is_after_date": ("2026-12-25", "2026-12-24"),
}


@pytest.mark.parametrize("ctype", list(COND_OPS))
def test_each_condition_type_branches_like_studio(ctype):
    src = load("studio/conditions.json")
    split = src["states"][1]
    split["transitions"] = [split["transitions"][0]] + [t for t in split["transitions"][1:] if t["conditions"][0]["type"] == ctype]
    doc = to_ringflow(src)
    hit, miss = HIT_MISS[ctype]
    assert Call(doc, {"tier": hit}).said == [f"Branch {ctype}"]
    assert Call(doc, {"tier": miss}).said == ["No branch matched"]


def test_set_variables_http_parsed_subflow_and_enqueue_run_with_studio_templates():
    doc = to_ringflow(load("studio/integrations.json"))
    call = Call(doc)
    assert call.actions[-1][:3] == ("http", "GET", "https://api.example.com/orders?phone=%2B15551230000")
    assert call.step.state.vars == {"caller": "+15551230000", "attempts": "1"}
    call.send("http", 200, {"order_id": "A42", "status": "shipped"}, "")
    assert call.said == ["Your order A42 is shipped."]
    assert call.actions[-1] == ("subflow", "FW0123456789abcdef0123456789abcdef", {"source": "order_line"})
    call.send("subflow", False)
    assert call.actions[-1] == ("enqueue", "orders", 5)
    call.send("queue", "hangup")
    assert call.at == "dial_backup" and call.actions[-1] == ("dial", "sip:backup@pbx.example.com", "+15551230000", 30, True)
    failed = Call(doc).send("http", 503, None, "")
    assert failed.actions[-1][:2] == ("http", "POST") and '"from": "+15551230000"' in failed.actions[-1][4]


def test_run_subflow_parameters_reach_the_subflow_as_flow_data():
    parent = to_ringflow({"description": "parent", "flags": {"allow_concurrent_calls": True}, "initial_state": "Trigger", "states": [
        {"name": "Trigger", "type": "trigger", "transitions": [{"event": "incomingCall", "next": "remember"}], "properties": {}},
        {"name": "remember", "type": "set-variables", "transitions": [{"event": "next", "next": "greet"}],
         "properties": {"variables": [{"key": "name", "value": "Ada"}]}},
        {"name": "greet", "type": "run-subflow", "transitions": [{"event": "completed"}, {"event": "failed"}],
         "properties": {"flow_sid": "FW1", "flow_revision": "LatestPublished",
                        "parameters": [{"key": "who", "value": "{{flow.variables.name}} from {{trigger.call.From}}"}]}}]})
    child = to_ringflow({"description": "child", "flags": {}, "initial_state": "Trigger", "states": [
        {"name": "Trigger", "type": "trigger", "transitions": [{"event": "incomingCall", "next": "hello"}], "properties": {}},
        {"name": "hello", "type": "say-play", "transitions": [{"event": "audioComplete"}],
         "properties": {"say": "Hello {{flow.data.who}}"}}]})
    call = Call(parent)
    assert call.actions[-1] == ("subflow", "FW1", {"who": "Ada from +15551230000"})
    sub = compile_flow(child, ("interop", "child"))
    inside = enter_subflow(call.step.state, sub, call.actions[-1][2])
    assert [a[1] for a in advance(sub, inside, ("start",), call.now).actions if a[0] == "say"] == ["Hello Ada from +15551230000"]


def test_an_unsupported_widget_ends_the_call_clearly():
    call = Call(to_ringflow(load("studio/unsupported.json")))
    assert call.ended and call.actions[-1] == ("hangup", "unsupported_node")
    assert any("cannot execute" in w and "fork-stream" in w for w in call.cf.warnings)


def test_an_imported_connect_flow_runs_its_menu_and_queue():
    doc = to_ringflow(load("connect/support_line.json"), "connect")
    call = Call(doc)
    assert call.said == ["Welcome to Acme. You are calling from +15551230000.", "Press 1 for orders, 2 for a partner, 3 for billing."]
    call.send("digits", "1")
    assert call.step.state.vars["intent"] == "orders"
    assert call.actions[-1][:2] == ("enqueue", "orders")
    partner = Call(doc).send("digits", "2")
    assert partner.actions[-1] == ("dial", "+15005550006", "+15005550001", 45, False)
    assert Call(doc).send("digits", "3").actions[-1] == ("hangup", "unsupported_node")


def test_older_export_shapes_run_audio_prompts_digit_strings_and_repeated_names():
    call = Call(to_ringflow(load("studio/legacy_shapes.json")))
    assert call.actions[-1] == ("gather", "dtmf", 5, 8, "", (), ("play", "https://example.com/ask-zip.mp3", 1, ""))
    east = copy.copy(call).send("digits", "10001")
    assert east.actions == [("say", "East coast.", "Polly.Joanna-Neural", "en-IN", 2), ("hangup", "")]  # D3: kept as Twilio takes it
    assert copy.copy(call).send("digits", "94103").ended  # the regex branch has no next: the call ends


def test_connect_hours_closed_branch_speaks_ssml_without_its_speak_root():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc).timestamp()
    call = Call(to_ringflow(load("connect/support_line.json")), now=saturday)
    assert call.said == ["Welcome to Acme. You are calling from +15551230000.", "We are closed."] and call.ended


def test_connect_compare_ends_with_and_number_branches():
    doc = to_ringflow(load("connect/support_line.json"))
    for tier, outlet in (("gold", "1: Equals gold"), ("member.vip", "6: TextEndsWith \\.vip$"), ("95", "4: NumberGreaterThan 90"),
                         ("silver", "2: TextStartsWith sil"), ("50", "no_match")):
        call = Call(doc, {"tier": tier}).send("digits", "1")
        taken = [o for i, o in call.step.trail if call.cf.ids[i] == "tier"]
        assert taken == [outlet], tier


def test_imported_splits_compare_like_studio_without_case_or_surrounding_spaces():
    doc = to_ringflow(load("studio/conditions.json"))
    assert Call(doc, {"tier": "  GOLD "}).said == ["Branch equal_to"]
    src = load("studio/conditions.json")
    split = src["states"][1]
    split["transitions"] = [split["transitions"][0]] + [t for t in split["transitions"][1:] if t["conditions"][0]["type"] == "matches_any_of"]
    assert Call(to_ringflow(src), {"tier": " B"}).said == ["Branch matches_any_of"]
