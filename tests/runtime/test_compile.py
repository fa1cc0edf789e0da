from __future__ import annotations

from ringflow.model.demo import generate_flow
from ringflow.runtime.backends import decode_state, encode_state
from ringflow.runtime.compile import GATHER, MENU, SAY, compile_flow
from ringflow.runtime.engine import advance, new_call

from .flows import flow


def test_demo_flow_compiles_shared_static_actions():
    cf = compile_flow(generate_flow(40), (1, 1, 1))
    assert cf.warnings == []
    menu = cf.index["b0_menu"]
    assert cf.kinds[menu] == MENU and cf.static[menu][0] == "gather"
    assert cf.static[cf.index["b0_welcome"]] is None  # templated: rendered per call
    assert cf.exits[menu]["9"] == cf.index["b1_welcome"]


def test_pack_keeps_static_actions_as_indexes_and_roundtrips():
    cf = flow([("w", "say", {"text": "Hi {{trigger.call.From}}"}), ("l", "say", {"text": "Hola", "voice": "Polly.Joanna", "loop": 2}),
               ("x", "say", {"text": "Dear {{trigger.call.From}}", "language": "en-GB"}), ("m", "menu", {"prompt": "Pick", "digits": ["1"]})],
              [("w", "next", "l"), ("l", "next", "x"), ("x", "next", "m")])
    step = advance(cf, new_call(cf, ("CA1", "+1555", "+1666")), ("start",), 0)
    packed = cf.pack(step.actions)
    assert packed[0] == "Hi +1555"  # a default-voice say keeps only its text
    assert packed[1] == cf.index["l"] and packed[3] == cf.index["m"]  # static actions are node indexes
    assert packed[2] == ("say", "Dear +1555", "alice", "en-GB", 1)
    assert cf.unpack(packed) == step.actions
    st = step.state
    st.last = packed
    assert cf.unpack(decode_state(encode_state(st), "CA1").last) == step.actions


def test_broken_templates_and_regexes_become_warnings():
    cf = flow([("s", "say", {"text": "{% if %}"}), ("sp", "split", {"input": "x", "cases": [{"name": "a", "op": "regex", "value": "("}]}),
               ("b", "business_hours", {"timezone": "Mars/Olympus"})], [("s", "next", "sp"), ("sp", "no_match", "b")])
    assert len(cf.warnings) == 3 and cf.kinds[0] == SAY
    step = advance(cf, new_call(cf, ("CA1", "", "")), ("start",), 0)
    assert step.actions[0] == ("say", "", "alice", "en-US", 1) and step.actions[-1] == ("hangup", "")
    assert GATHER not in cf.kinds


def test_a_damaged_studio_trigger_stash_never_breaks_compile():
    from ringflow.runtime.compile import compile_flow

    from .flows import doc

    for trigger in (5, {"transitions": 7}, {"transitions": [1, {"event": "incomingMessage", "next": 3}, {"event": "incomingMessage"}]}):
        d = doc([("h", "hangup", {"studio": {"trigger": trigger}})], [])
        assert compile_flow(d, (1, 1, 1)).entries == {}
