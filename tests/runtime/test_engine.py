from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ringflow.model.demo import generate_flow
from ringflow.runtime.compile import compile_flow
from ringflow.runtime.engine import advance, clean_digits, enter_subflow, leave_subflow, new_call, waiting_for
from ringflow.runtime.state import ENDED

from .flows import flow

CALL = ("CA" + "0" * 32, "+15551230000", "+15559990000", "inbound", "AC1")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()  # a Monday, noon


def said(actions):
    return [a[1] for a in actions if a[0] == "say"] + [a[6][1] for a in actions if a[0] == "gather" and a[6]]


def start(cf, call=CALL, now=NOW):
    return advance(cf, new_call(cf, call), ("start",), now)


def test_say_and_menu_prompt_go_out_in_one_answer():
    cf = flow([("w", "say", {"text": "Hello {{trigger.call.From}}", "loop": 2}), ("m", "menu", {"prompt": "Press 1", "digits": ["1"]})],
              [("w", "next", "m")])
    step = start(cf)
    assert step.actions[0] == ("say", "Hello +15551230000", "alice", "en-US", 2)
    assert step.actions[1][0] == "gather" and step.actions[1][6][1] == "Press 1"
    assert waiting_for(cf, step.state) == "digits"
    assert step.trail == [(0, "next")]


def test_step_never_mutates_the_given_state():
    cf = flow([("m", "menu", {"prompt": "p", "digits": ["1"]}), ("s", "set", {"variables": {"a": "b"}})], [("m", "1", "s")])
    first = start(cf).state
    before = first.copy()
    after = advance(cf, first, ("digits", "1"), NOW).state
    assert first == before and after.vars == {"a": "b"} and first.vars is None


def test_menu_invalid_replays_prompt_then_takes_invalid_outlet():
    cf = flow([("m", "menu", {"prompt": "Pick", "digits": ["1", "2"], "retries": 1}),
               ("one", "say", {"text": "one"}), ("bad", "say", {"text": "bad"}), ("quiet", "say", {"text": "quiet"})],
              [("m", "1", "one"), ("m", "invalid", "bad"), ("m", "timeout", "quiet")])
    st = start(cf).state
    replay = advance(cf, st, ("digits", "7"), NOW)
    assert said(replay.actions) == ["Pick"] and replay.state.retry == 1
    final = advance(cf, replay.state, ("digits", "junk!"), NOW)
    assert said(final.actions) == ["bad"] and final.state.node == ENDED and final.actions[-1] == ("hangup", "")
    quiet = advance(cf, advance(cf, st, ("timeout",), NOW).state, ("timeout",), NOW)
    assert said(quiet.actions) == ["quiet"]
    ok = advance(cf, st, ("digits", "2"), NOW)
    assert ok.actions == [("hangup", "")]  # outlet "2" unconnected: ends cleanly
    assert advance(cf, st, ("digits", "1"), NOW).state.outs == {"m": {"digits": "1"}}


def test_gather_keypress_speech_timeout_and_node_results_in_templates():
    cf = flow([("g", "gather", {"prompt": "Account?", "input": "both", "num_digits": 0}),
               ("k", "say", {"text": "You typed {{nodes.g.digits}} / {{widgets.g.Digits}}"}),
               ("sp", "say", {"text": "You said {{widgets.g.SpeechResult}}"}), ("t", "say", {"text": "Nothing"})],
              [("g", "keypress", "k"), ("g", "speech", "sp"), ("g", "timeout", "t")])
    st = start(cf).state
    assert waiting_for(cf, st) == "digits_or_speech"
    assert said(advance(cf, st, ("digits", "12#3"), NOW).actions) == ["You typed 12#3 / 12#3"]
    assert said(advance(cf, st, ("speech", "sales please", 0.9), NOW).actions) == ["You said sales please"]
    assert said(advance(cf, st, ("timeout",), NOW).actions) == ["Nothing"]
    assert said(advance(cf, st, ("digits", "<script>"), NOW).actions) == ["Nothing"]


@pytest.mark.parametrize("op,value,input_,hit", [
    ("equals", "gold", "gold", True), ("equals", "gold", "Gold", False),
    ("not_equals", "gold", "silver", True), ("not_equals", "gold", "gold", False),
    ("contains", "ol", "gold", True), ("contains", "x", "gold", False),
    ("starts_with", "go", "gold", True), ("starts_with", "ld", "gold", False),
    ("regex", "^g.l", "gold", True), ("regex", "^\\d+$", "gold", False),
    ("less_than", "10", "9.5", True), ("less_than", "10", "11", False), ("less_than", "10", "abc", False),
    ("greater_than", "10", "11", True), ("greater_than", "10", "10", False),
    ("matches_any_of", "1, 2 ,3", "2", True), ("matches_any_of", "1, 2", "12", False),
    ("does_not_match_any_of", "1, 2", "3", True), ("does_not_match_any_of", "1, 2", "1", False),
    ("is_blank", "", "  ", True), ("is_blank", "", "x", False), ("is_not_blank", "", "x", True), ("is_not_blank", "", "", False),
    ("does_not_contain", "x", "gold", True), ("does_not_contain", "ol", "gold", False),
    ("does_not_start_with", "x", "gold", True), ("does_not_start_with", "go", "gold", False),
    ("is_before_time", "12:00", "09:30", True), ("is_before_time", "12:00", "12:00:01", False), ("is_before_time", "12:00", "soon", False),
    ("is_after_time", "12:00", "13:05:00", True), ("is_after_time", "12:00", "11:59", False),
    ("is_before_date", "2026-12-25", "2026-12-24", True), ("is_before_date", "2026-12-25", "2027-01-01", False),
    ("is_after_date", "2026-12-25", "2027-01-01T10:00", True), ("is_after_date", "2026-12-25", "not a date", False),
])
def test_split_every_operator(op, value, input_, hit):
    cf = flow([("s0", "set", {"variables": {"v": input_}}),
               ("sp", "split", {"input": "{{flow.variables.v}}", "cases": [{"name": "hit", "op": op, "value": value}]}),
               ("h", "say", {"text": "hit"}), ("n", "say", {"text": "miss"})],
              [("s0", "next", "sp"), ("sp", "hit", "h"), ("sp", "no_match", "n")])
    assert said(start(cf).actions) == ["hit" if hit else "miss"]


def test_split_first_match_wins():
    cf = flow([("sp", "split", {"input": "abc", "cases": [{"name": "a", "op": "contains", "value": "b"},
                                                           {"name": "b", "op": "starts_with", "value": "a"}]}),
               ("A", "say", {"text": "A"}), ("B", "say", {"text": "B"})], [("sp", "a", "A"), ("sp", "b", "B")])
    assert said(start(cf).actions) == ["A"]


def test_http_success_parsed_and_failed():
    cf = flow([("h", "http", {"url": "https://x.test/{{trigger.call.From}}"}),
               ("ok", "say", {"text": "Tier {{nodes.h.parsed.tier}} {{nodes.h.status_code}}"}), ("ko", "say", {"text": "failed {{nodes.h.status_code}}"})],
              [("h", "success", "ok"), ("h", "failed", "ko")])
    first = start(cf)
    assert first.actions == [("http", "GET", "https://x.test/+15551230000", (), "", 10)]
    assert waiting_for(cf, first.state) == "http"
    assert said(advance(cf, first.state, ("http", 200, {"tier": "gold"}, None), NOW).actions) == ["Tier gold 200"]
    assert said(advance(cf, first.state, ("http", 503, None, "down"), NOW).actions) == ["failed 503"]
    assert said(advance(cf, first.state, ("http", 0, None, None), NOW).actions) == ["failed 0"]


@pytest.mark.parametrize("status,outlet", [("completed", "completed"), ("busy", "busy"), ("no-answer", "no_answer"),
                                           ("failed", "failed"), ("canceled", "failed"), ("weird", "failed")])
def test_transfer_outlets_from_dial_status(status, outlet):
    outs = ["completed", "busy", "no_answer", "failed"]
    cf = flow([("t", "transfer", {"to": "+15550001111", "caller_id": "{{trigger.call.To}}"})] + [(o, "say", {"text": o}) for o in outs],
              [("t", o, o) for o in outs])
    first = start(cf)
    assert first.actions == [("dial", "+15550001111", "+15559990000", 30, False)]
    assert said(advance(cf, first.state, ("dial", status), NOW).actions) == [outlet]


def test_record_enqueue_and_mismatched_events_do_not_advance():
    cf = flow([("r", "record", {"max_length": 30}), ("q", "enqueue", {"queue": "sales"}), ("n", "say", {"text": "none"}),
               ("done", "say", {"text": "done"}), ("f", "say", {"text": "queue failed"})],
              [("r", "recorded", "q"), ("r", "no_audio", "n"), ("q", "completed", "done"), ("q", "failed", "f")])
    st = start(cf).state
    again = advance(cf, st, ("digits", "5"), NOW)
    assert again.actions == [("record", 30, True, False)] and again.state.node == st.node
    q = advance(cf, st, ("record", "https://rec/1", 12), NOW)
    assert q.actions == [("enqueue", "sales", 0)] and q.state.outs["r"]["duration"] == 12
    assert said(advance(cf, st, ("record", "", 0), NOW).actions) == ["none"]
    hung = advance(cf, st, ("record", "https://rec/2", 4, True), NOW)
    assert hung.actions == [("hangup", "")] and hung.state.outs["r"]["duration"] == 4  # "hangup" outlet unconnected
    assert said(advance(cf, q.state, ("queue", "bridged"), NOW).actions) == ["done"]
    assert said(advance(cf, q.state, ("queue", "queue-full"), NOW).actions) == ["queue failed"]


def test_business_hours_timezone_schedule_and_holidays():
    hours = {"timezone": "America/New_York", "schedule": {"mon": [["09:00", "17:00"]]}, "holidays": ["2026-12-07"]}
    cf = flow([("b", "business_hours", hours), ("o", "say", {"text": "open"}), ("c", "say", {"text": "closed"})],
              [("b", "open", "o"), ("b", "closed", "c")])
    ny = ZoneInfo("America/New_York")
    assert said(start(cf, now=datetime(2026, 11, 30, 16, 59, tzinfo=ny).timestamp()).actions) == ["open"]
    assert said(start(cf, now=datetime(2026, 11, 30, 17, 0, tzinfo=ny).timestamp()).actions) == ["closed"]
    assert said(start(cf, now=datetime(2026, 11, 30, 14, 0, tzinfo=ZoneInfo("UTC")).timestamp()).actions) == ["open"]  # 9:00 NY
    assert said(start(cf, now=datetime(2026, 12, 1, 10, 0, tzinfo=ny).timestamp()).actions) == ["closed"]  # Tuesday
    assert said(start(cf, now=datetime(2026, 12, 7, 10, 0, tzinfo=ny).timestamp()).actions) == ["closed"]  # holiday Monday


def test_set_play_pause_hangup():
    cf = flow([("s", "set", {"variables": {"name": "{{trigger.call.From}}", "k": "v"}}), ("p", "play", {"url": "https://a/b.mp3", "loop": 2}),
               ("z", "pause", {"seconds": 3}), ("say", "say", {"text": "{{flow.variables.name}}-{{flow.variables.k}}"}), ("h", "hangup", {}),
               ("never", "say", {"text": "never"})],
              [("s", "next", "p"), ("p", "next", "z"), ("z", "next", "say"), ("say", "next", "h")])
    step = start(cf)
    assert step.actions == [("play", "https://a/b.mp3", 2, ""), ("pause", 3), ("say", "+15551230000-v", "alice", "en-US", 1), ("hangup", "")]
    assert step.state.vars == {"name": "+15551230000", "k": "v"} and step.state.node == ENDED


def test_loop_guard_and_step_guard():
    loop = flow([("a", "say", {"text": "again"})], [("a", "next", "a")])
    step = start(loop)
    assert step.actions[-1] == ("hangup", "loop_limit") and len(said(step.actions)) == 10
    chain = [(f"n{i}", "set", {"variables": {"i": str(i)}}) for i in range(4)]
    ring = flow(chain, [(f"n{i}", "next", f"n{(i + 1) % 4}") for i in range(4)])
    step = start(ring)
    assert step.actions == [("hangup", "step_limit")] and step.state.steps == 1001


def test_subflow_enter_return_and_missing():
    parent = flow([("sf", "subflow", {"flow_id": "7"}), ("after", "say", {"text": "back in parent {{flow.variables.x}}"}),
                   ("bad", "say", {"text": "subflow failed"})], [("sf", "completed", "after"), ("sf", "failed", "bad")], key=(1, 1, 1))
    child = flow([("c", "set", {"variables": {"x": "from child"}}), ("cs", "say", {"text": "in child"})], [("c", "next", "cs")], key=(1, 7, 1))
    first = start(parent)
    assert first.actions == [("subflow", "7")] and waiting_for(parent, first.state) == "subflow"
    assert said(advance(parent, first.state, ("subflow", False), NOW).actions) == ["subflow failed"]
    inside = enter_subflow(first.state, child)
    ran = advance(child, inside, ("start",), NOW)
    assert said(ran.actions) == ["in child"] and ran.actions[-1] == ("return",)
    back = advance(parent, leave_subflow(ran.state), ("subflow_done",), NOW)
    assert said(back.actions) == ["back in parent from child"] and back.state.stack is None


def test_subflow_parameters_become_its_flow_data_and_leave_with_it():
    parent = flow([("s", "set", {"variables": {"name": "Ada"}}),
                   ("sf", "subflow", {"flow_id": "7", "parameters": {"who": "{{flow.variables.name}}", "n": "2"}}),
                   ("after", "say", {"text": "data=[{{flow.data.who}}]"})],
                  [("s", "next", "sf"), ("sf", "completed", "after")], key=(1, 1, 1))
    child = flow([("cs", "say", {"text": "Hello {{flow.data.who}} #{{flow.data.n}}"})], [], key=(1, 7, 1))
    first = start(parent)
    assert first.actions == [("subflow", "7", {"who": "Ada", "n": "2"})]  # rendered in the parent's context
    inside = enter_subflow(first.state, child, first.actions[-1][2])
    ran = advance(child, inside, ("start",), NOW)
    assert said(ran.actions) == ["Hello Ada #2"]
    back = advance(parent, leave_subflow(ran.state), ("subflow_done",), NOW)
    assert said(back.actions) == ["data=[]"] and back.state.stack is None


def test_nested_subflow_gets_its_own_data_and_the_middle_flow_gets_its_back():
    mid = flow([("in", "subflow", {"flow_id": "8", "parameters": {"who": "inner of {{flow.data.who}}"}}),
                ("m", "say", {"text": "mid sees {{flow.data.who}}"})], [("in", "completed", "m")], key=(1, 7, 1))
    inner = flow([("i", "say", {"text": "inner sees {{flow.data.who}}"})], [], key=(1, 8, 1))
    top = new_call(mid, CALL)
    top.node = 0
    in_mid = enter_subflow(top, mid, {"who": "Ada"})
    step = advance(mid, in_mid, ("start",), NOW)
    assert step.actions == [("subflow", "8", {"who": "inner of Ada"})]
    ran = advance(inner, enter_subflow(step.state, inner, step.actions[-1][2]), ("start",), NOW)
    assert said(ran.actions) == ["inner sees inner of Ada"]
    back = advance(mid, leave_subflow(ran.state), ("subflow_done",), NOW)
    assert said(back.actions) == ["mid sees Ada"]


def test_start_without_start_node_and_events_after_end():
    cf = compile_flow({"name": "empty", "start": None, "nodes": [], "edges": []}, (1, 2, 1))
    step = start(cf)
    assert step.actions == [("hangup", "no_start")]
    assert advance(cf, step.state, ("digits", "1"), NOW).actions == [("hangup", "")]


def test_demo_flow_runs_end_to_end_deterministically():
    cf = compile_flow(generate_flow(40), (1, 3, 1))
    script = [("start",), ("digits", "2"), ("digits", "42#"), ("http", 200, {"tier": "gold", "balance": 7}, None), ("dial", "busy"), ("queue", "bridged")]
    runs = []
    for _ in range(2):
        st, out = new_call(cf, CALL), []
        for ev in script:
            step = advance(cf, st, ev, NOW)
            st, out = step.state, out + step.actions
        runs.append(out)
    assert runs[0] == runs[1]
    texts = said(runs[0])
    assert "Thanks for being a valued customer." in texts and "Your balance is 7 dollars." in texts and "All agents are busy." in texts
    assert runs[0][-1] == ("hangup", "")


def test_clean_digits():
    assert clean_digits("12 3#*x") == "123#*" and clean_digits(None) == "" and len(clean_digits("1" * 100)) == 32


def test_play_digits_gather_audio_prompt_and_unsupported_node():
    cf = flow([("p", "play", {"digits": "12w3"}), ("g", "gather", {"prompt": "ignored", "prompt_url": "https://a/p.mp3"}),
               ("u", "unsupported", {"platform": "studio", "original_type": "send-to-flex"})],
              [("p", "next", "g"), ("g", "keypress", "u")])
    first = start(cf)
    assert first.actions[0] == ("play", "", 1, "12w3")
    assert first.actions[1][6] == ("play", "https://a/p.mp3", 1, "")
    assert any("send-to-flex" in w for w in cf.warnings)
    end = advance(cf, first.state, ("digits", "5"), NOW)
    assert end.actions == [("hangup", "unsupported_node")] and end.state.node == ENDED


@pytest.mark.parametrize("op,value,input_,hit", [
    ("equals", "Gold", "  gOLD ", True), ("not_equals", "gold", "GOLD", False), ("contains", "OL", "gold", True),
    ("starts_with", "GO", "gold", True), ("regex", "^G.L", "gold", True), ("matches_any_of", "Yes, Sure ", "SURE", True),
    ("does_not_match_any_of", "Yes, Sure", "yes", False),
])
def test_split_ignore_case_trims_and_folds(op, value, input_, hit):
    cases = [{"name": "hit", "op": op, "value": value}]
    folded = flow([("s0", "set", {"variables": {"v": input_}}), ("sp", "split", {"input": "{{flow.variables.v}}", "cases": cases, "ignore_case": True}),
                   ("h", "say", {"text": "hit"}), ("n", "say", {"text": "miss"})],
                  [("s0", "next", "sp"), ("sp", "hit", "h"), ("sp", "no_match", "n")])
    assert said(start(folded).actions) == ["hit" if hit else "miss"]
    exact = flow([("s0", "set", {"variables": {"v": input_}}), ("sp", "split", {"input": "{{flow.variables.v}}", "cases": cases}),
                  ("h", "say", {"text": "hit"}), ("n", "say", {"text": "miss"})],
                 [("s0", "next", "sp"), ("sp", "hit", "h"), ("sp", "no_match", "n")])
    if op in ("equals", "contains", "starts_with", "regex", "matches_any_of"):
        assert said(start(exact).actions) == ["miss"]  # native splits stay exact


@pytest.mark.parametrize("op,limit,input_,hit", [
    ("less_than", "10", "9", True), ("less_than", "10", "11", False),
    ("is_after_time", "17:00", "18:15", True), ("is_before_date", "2026-12-25", "2027-01-01", False),
])
def test_split_operand_from_a_template(op, limit, input_, hit):
    """D1: the case value is rendered at call time ({{flow.variables.max}} in a Studio flow)."""
    cf = flow([("s0", "set", {"variables": {"v": input_, "max": limit}}),
               ("sp", "split", {"input": "{{flow.variables.v}}", "cases": [{"name": "hit", "op": op, "value": "{{flow.variables.max}}"}]}),
               ("h", "say", {"text": "hit"}), ("n", "say", {"text": "miss"})],
              [("s0", "next", "sp"), ("sp", "hit", "h"), ("sp", "no_match", "n")])
    assert said(start(cf).actions) == ["hit" if hit else "miss"]
