"""The fast validation path must report exactly what the reference walk reports, in order.

Configs are drawn per catalogue field kind from pools of fine and broken values (wrong types,
limits +-1, templates that do not parse, bad cases and schedules...), so every node type and
every config error code is exercised; flows get edges on real, bogus and missing outlets.
"""

import copy
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringflow.model.catalogue import CATALOGUE, SPLIT_OPS, WEEKDAYS, Field
from ringflow.model.demo import MAIN_LINE, generate_flow
from ringflow.model.document import normalize
from ringflow.model.fastcheck import _TIMES, checker, columns, columns_py, native_columns, suspects
from ringflow.model.fastflow import validate_fast
from ringflow.model.fieldcheck import SIMPLE_TEMPLATE_RE, TIME_RE
from ringflow.model.validation import validate, validate_slow

JUNK = [None, True, False, 0, 1, -1, 1.5, math.nan, "x", "", [], {}, [1], {"a": 1}]
TEMPLATES = ["Hi {{trigger.call.From}}.", "{{ a.b[2].c }}", "{{ a", "{% if x %}y{% endif %}", "{% if %}", "{{a}}{{", "50%", "  ",
             "{{ nodes.x.digits | upcase }}", "a\n"]


def _value(f: Field) -> st.SearchStrategy:
    kind = f.kind
    if kind in ("string", "template"):
        good = st.text(max_size=12) | st.sampled_from(TEMPLATES)
        return good | st.sampled_from(["x" * f.max_length, "x" * (f.max_length + 1)] + JUNK)
    if kind in ("integer", "number"):
        edges = [b + d for b in (f.minimum, f.maximum) if b is not None for d in (-1, 0, 1)]
        return st.integers(-3, 700) | st.sampled_from(edges + [2.0, 1.5, math.inf, True] + JUNK)
    if kind == "boolean":
        return st.sampled_from(JUNK)
    if kind == "enum":
        return st.sampled_from(list(f.choices) + ["nope", "ALICE"] + JUNK)
    if kind == "string_list":
        items = st.sampled_from(["1", "2", "9", "*", "#", "x", "12", "1\n", "", 1, "y" * 257])
        return st.lists(items, max_size=5) | st.sampled_from([["1"] * 65, [str(i % 10) for i in range(64)]] + JUNK)
    if kind in ("template_map", "string_map"):
        keys = st.sampled_from(["ok", "_x", "9bad", "a-b", "x" * 70])
        texts = st.sampled_from(["v", "{{a.b}}", "{{ x", "{% if %}", "z" * 4097, 3])
        return st.dictionaries(keys, texts, max_size=3) | st.sampled_from(JUNK)
    if kind == "cases":
        case = st.fixed_dictionaries({}, optional={
            "name": st.sampled_from(["a", "b", "", "no_match", None, "n" * 65]),
            "op": st.sampled_from(list(SPLIT_OPS) + ["like", None]),
            "value": st.sampled_from(["x", 1, 1.5, True, "[", "13:30", "25:00", "2026-12-25", "2026-02-30", "abc", None, "3"])})
        return st.lists(case | st.sampled_from([1, "x"]), max_size=3) | st.sampled_from(JUNK)
    if kind == "schedule":
        spans = st.sampled_from([["09:00", "17:00"], ["17:00", "09:00"], ["9:00", "17:00"], ["09:00"], "x", [1, 2], ["09:00", "09:00"]])
        return st.dictionaries(st.sampled_from(list(WEEKDAYS) + ["xyz"]), st.lists(spans, max_size=2) | st.just("x"), max_size=3) | st.sampled_from(JUNK)
    if kind == "date_list":
        return st.lists(st.sampled_from(["2026-12-25", "2026-02-30", "x", 5, "20261225"]), max_size=3) | st.sampled_from(JUNK)
    assert kind == "object", kind
    return st.sampled_from([{}, {"a": [1]}] + JUNK)


def _config(type_name: str) -> st.SearchStrategy:
    nt = CATALOGUE[type_name]
    optional = {f.name: _value(f) for f in nt.fields} | {"bogus": st.just(1), "studio": st.just({})}
    return st.fixed_dictionaries({}, optional=optional) | st.sampled_from([None, {}])


@st.composite
def flows(draw: st.DrawFn) -> dict:
    types = draw(st.lists(st.sampled_from(sorted(CATALOGUE)), min_size=1, max_size=6))
    nodes = [{"id": f"n{i}", "type": t, "config": draw(_config(t))} for i, t in enumerate(types)]
    edges = []
    for i, t in enumerate(types):
        for outlet in draw(st.lists(st.sampled_from([*CATALOGUE[t].outlets, "1", "2", "gold", "bogus"]), max_size=3, unique=True)):
            edges.append({"source": f"n{i}", "outlet": outlet, "target": f"n{draw(st.integers(0, len(types) - 1))}"})
    start = draw(st.sampled_from([None, "n0", f"n{len(types) - 1}", "ghost"]))
    return {"name": "f", "start": start, "nodes": nodes, "edges": edges}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_fast_path_reports_what_the_reference_reports(doc):
    expected = validate_slow(doc)
    assert validate_fast(doc) == expected  # these shapes never need the reference walk
    assert validate(doc) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["ab", "{", "}", "%", " ", ".", "\n", "_", "[", "]", "1", "x", "{{", "}}"]), max_size=10).map("".join))
def test_simple_template_regex_matches_the_alternation_form(text):
    reference = re.compile(r"^(?:[^{}%]|\{\{ ?[A-Za-z_][\w.]*(?:\[\d+\])?(?:\.[\w]+)* ?\}\})*$")
    assert bool(SIMPLE_TEMPLATE_RE.match(text)) == bool(reference.match(text))


def _doc(**changes) -> dict:
    doc = copy.deepcopy(MAIN_LINE)
    doc.update(changes)
    return doc


def _node(doc: dict, nid: str) -> dict:
    return next(n for n in doc["nodes"] if n["id"] == nid)


def _broken(code: str) -> dict:
    doc = _doc()
    if code == "no_start":
        doc["start"] = None
    elif code == "unknown_start":
        doc["start"] = "ghost"
    elif code == "duplicate_id":
        doc["nodes"].append(copy.deepcopy(doc["nodes"][0]))
    elif code == "unknown_type":
        doc["nodes"][0]["type"] = "teleport"
    elif code == "bad_config":
        _node(doc, "menu")["config"]["timeout"] = 61
    elif code == "missing_config":
        del _node(doc, "sales")["config"]["to"]
    elif code == "bad_template":
        _node(doc, "welcome")["config"]["text"] = "Hi {{ trigger"
    elif code == "unknown_config":
        _node(doc, "bye")["config"] = {"volume": 11}
    elif code == "unsupported_node":
        doc["nodes"].append({"id": "w", "type": "unsupported", "config": {"original_type": "send-to-flex"}})
    elif code == "edge_unknown_source":
        doc["edges"].append({"source": "ghost", "outlet": "next", "target": "bye"})
    elif code == "edge_unknown_target":
        doc["edges"].append({"source": "sales", "outlet": "busy", "target": "ghost"})
    elif code == "duplicate_edge":
        doc["edges"].append({"source": "welcome", "outlet": "next", "target": "bye"})
    elif code == "unknown_outlet":
        doc["edges"].append({"source": "sales", "outlet": "ringing", "target": "bye"})
    elif code == "unconnected_outlet":
        _node(doc, "menu")["config"]["digits"].append("3")  # a choice offered and leading nowhere
    elif code == "unreachable":
        doc["nodes"].append({"id": "lost", "type": "hangup", "config": {}})
    return doc


REFERENCE_ONLY = {"duplicate_id", "unknown_type", "edge_unknown_source", "edge_unknown_target", "duplicate_edge"}
CODES = ["no_start", "unknown_start", "duplicate_id", "unknown_type", "bad_config", "missing_config", "bad_template",
         "unknown_config", "unsupported_node", "edge_unknown_source", "edge_unknown_target", "duplicate_edge",
         "unknown_outlet", "unconnected_outlet", "unreachable"]


@pytest.mark.parametrize("code", CODES)
def test_every_problem_code_is_reported_the_same_way(code):
    doc = _broken(code)
    problems = validate(doc)
    assert code in {p.code for p in problems}
    assert problems == validate_slow(doc)
    if code in REFERENCE_ONLY:
        assert validate_fast(doc) is None
    else:
        assert validate_fast(doc) == problems


def test_one_bad_node_among_many_is_found_by_halving():
    doc = normalize(generate_flow(2000))
    victim = next(n for n in doc["nodes"][1000:] if n["type"] == "transfer")
    victim["config"]["timeout"] = 601
    problems = validate(doc)
    assert [(p.code, p.node_id, p.field) for p in problems] == [("bad_config", victim["id"], "config.timeout")]
    assert problems == validate_slow(doc)


def test_demo_flows_are_cleared_without_the_exact_checks():
    """The speed of validate rests on this: a valid flow's configs all pass their column checks."""
    doc = normalize(generate_flow(1000))
    groups: dict = {}
    for node in doc["nodes"]:
        groups.setdefault((node["type"], tuple(node["config"])), []).append(node["config"])
    for (type_name, keys), configs in groups.items():
        assert suspects(checker(type_name, keys), configs) == [], type_name
    assert validate_fast(doc) == [] == validate_slow(doc)


TRICKY = [
    ("split", {"input": "x", "cases": [{"name": "no_match", "op": "equals", "value": "x"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "equals"}, {"name": "a", "op": "contains"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "regex", "value": "["}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "less_than", "value": "abc"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "is_before_time", "value": "25:00"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "is_after_date", "value": "2026-02-30"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "equals", "value": True}]}),
    ("split", {"input": "x", "cases": [{"name": "", "op": "equals", "value": "x"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "like", "value": "x"}]}),
    ("menu", {"prompt": "p", "digits": ["1", "1"]}),
    ("menu", {"prompt": "p", "digits": ["12"]}),
    ("menu", {"prompt": "p", "digits": ["1\n", "#"]}),
    ("menu", {"prompt": "p", "digits": []}),
    ("menu", {"prompt": "p", "digits": ["1", "", 2, "1", "#"]}),  # outlets: each text digit once, "" too
    ("menu", {"prompt": "p", "digits": "12"}),
    ("menu", {"prompt": "p"}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "equals"}, {"name": "", "op": "equals"}, {"op": "equals"}, "junk",
                                       {"name": "a", "op": "contains"}, {"name": 3}]}),  # outlets: named text cases, once each
    ("split", {"input": "x", "cases": [{"name": "b", "op": "equals"}, {"name": "a", "op": "equals"}]}),
    ("split", {"input": "x", "cases": {"name": "a"}}),
    ("play", {}),
    ("play", {"url": "  "}),
    ("play", {"digits": "12"}),
    ("business_hours", {"schedule": {"mon": [["17:00", "09:00"]]}}),
    ("business_hours", {"schedule": {"xyz": []}}),
    ("business_hours", {"schedule": {"mon": [["09:00", "17:00", "18:00"]]}}),
    ("business_hours", {"holidays": ["2026-02-30"]}),
    ("business_hours", {"schedule": {"mon": [["09:00\n", "17:00"]]}}),  # TIME_RE's $ lets the newline through
    ("business_hours", {"schedule": {"mon": [["23:00", "24:00"]]}}),
    ("business_hours", {"schedule": {"mon": [["09:00", 1700]]}}),
    ("business_hours", {"schedule": {"mon": [["09:00"], ["17:00", "10:00", "11:00"]]}}),  # flattened, these alternate
    ("business_hours", {"schedule": {"mon": [["09:00", "12:00"], ["13:00", "12:30"]], "tue": []}}),
    ("business_hours", {"schedule": {"mon": "09:00-17:00"}}),
    ("business_hours", {"holidays": ["20261225"]}),
    ("set", {"variables": {"9bad": "x"}}),
    ("set", {"variables": {"ok": "{{ x"}}),
    ("set", {"variables": {"ok": "z" * 4097}}),
    ("set", {"variables": {"ok": "{{ a.b }}", "_y": "{% if %}"}}),
    ("set", {"variables": {"ok": "v", "x" * 65: "v"}}),
    ("set", {"variables": {"ok": ["v"]}}),
    ("http", {"url": "https://x", "headers": {"a": "z" * 4097}}),
    ("http", {"url": "https://x", "headers": {"9-not-a-name": "{{ not parsed"}}),
    ("http", {"url": "https://x", "headers": {"a": 1}}),
    ("http", {"url": "https://x", "method": "get"}),
    ("gather", {"hints": ["y" * 257]}),
    ("gather", {"hints": ["1"] * 65}),
    ("gather", {"finish_on_key": "##"}),
    ("say", {"text": "hi", "loop": True}),
    ("say", {"text": "hi", "loop": 1.0}),
    ("say", {"text": "hi", "loop": 11}),
    ("say", {"text": "   "}),
    ("say", {"text": "{% if %}"}),
    ("say", {"text": "hi", "voice": "ALICE"}),
    ("say", {"text": "hi", "voice": "Polly.Nicole", "language": "en-AU"}),
    ("say", {"text": "hi", "voice": "Polly.Joanna-Neural", "language": "zh-Hant-TW"}),
    ("say", {"text": "hi", "voice": "Google.en-US-Chirp3-HD-Aoede", "language": "es-419"}),
    ("say", {"text": "hi", "voice": "Robot.Bender"}),
    ("say", {"text": "hi", "voice": "Polly.joanna"}),
    ("say", {"text": "hi", "language": "english"}),
    ("say", {"text": "hi", "language": "en-US\n"}),
    ("gather", {"speech_language": "es-US", "speech_model": "phone_call", "speech_timeout": "3"}),
    ("gather", {"speech_language": "", "speech_model": "", "speech_timeout": "auto"}),
    ("gather", {"speech_model": "phone call"}),
    ("gather", {"speech_timeout": "soon"}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "less_than", "value": "{{flow.variables.max}}"}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "is_after_time", "value": "{{ flow.variables.max "}]}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "equals", "value": "{{ flow.variables.max "}]}),
    ("subflow", {"flow_id": "7", "parameters": {"a-b": "x"}}),
    ("transfer", {"to": "+1555", "timeout": 4}),
    ("unsupported", {"original_type": "send-to-flex"}),
    ("record", {"finish_on_key": "*#", "silence_timeout": 10, "trim": False}),
    ("record", {"finish_on_key": "x"}),
    ("enqueue", {}),
    ("enqueue", {"queue": "  "}),
    ("enqueue", {"workflow_sid": "WW" + "a" * 32, "attributes": '{"type": "{{flow.variables.t}}"}'}),
    ("enqueue", {"workflow_sid": "WX1"}),
    ("function", {"url": "https://f.example/x", "parameters": {"a": "{{trigger.call.From}}"}}),
    ("function", {"url": "https://f.example/x", "parameters": {"a b": "x"}}),
    ("pay", {"charge_amount": "{{flow.variables.amount}}", "currency": "eur", "valid_card_types": ["visa"]}),
    ("pay", {"currency": "euro"}),
    ("redirect", {"url": "https://t.example/twiml", "method": "GET"}),
    ("redirect", {}),
    ("message", {"body": "Hi {{contact.channel.address}}"}),
    ("message", {"body": "x" * 1601}),
    ("message_reply", {"body": "Your zip?", "timeout": 60}),
    ("outbound_call", {"to": "+15550001111", "timeout": 4}),
]


@pytest.mark.parametrize(("type_name", "config"), TRICKY, ids=[f"{t}-{i}" for i, (t, _) in enumerate(TRICKY)])
def test_tricky_configs_get_the_reference_problems(type_name, config):
    fine = {"id": "ok", "type": type_name, "config": copy.deepcopy(config)}
    doc = {"name": "f", "start": "a", "nodes": [{"id": "a", "type": "hangup", "config": {}}, {"id": "b", "type": type_name, "config": config}, fine],
           "edges": []}
    expected = validate_slow(doc)  # "1\n" as a digit, "20261225" as a date and play digits alone are fine
    assert validate_fast(doc) == expected


def _flow_of(type_name: str, configs: list) -> dict:
    nodes = [{"id": f"n{i}", "type": type_name, "config": c} for i, c in enumerate(configs)]
    return {"name": "f", "start": "n0", "nodes": nodes, "edges": []}


@pytest.mark.parametrize("configs", [
    # same size, different keys: the first config's keys must not be taken for all
    [{"text": "hi", "voice": "alice"}, {"text": "hi", "loop": 11}, {"text": "hi", "voice": "nope"}],
    [{"text": "hi", "loop": 2}, {"voice": "alice", "loop": 3}, {"text": "hi", "loop": 0}],
    # same keys in another order, and a bad value behind the reordering
    [{"text": "hi", "voice": "alice"}, {"voice": "alice", "text": "   "}, {"voice": "man", "text": "hi"}],
    # sizes differ, one config with an unknown key
    [{"text": "hi"}, {"text": "hi", "volume": 3}, {}, {"text": "{{ x", "loop": 1}],
    [{"text": "hi"}, {"text": "hi", "volume": 3}],
])
def test_one_type_with_several_key_sets_gets_the_reference_problems(configs):
    doc = _flow_of("say", configs)
    expected = validate_slow(doc)
    assert any(p.code in ("bad_config", "bad_template", "missing_config", "unknown_config") for p in expected)
    assert validate_fast(doc) == expected


def test_suspects_with_known_columns_finds_the_bad_config():
    configs = [{"to": "+1555", "timeout": 30} for _ in range(40)]
    configs[27]["timeout"] = 4
    keys = ("to", "timeout")
    found = suspects(checker("transfer", keys), configs, columns(configs, keys))
    assert 27 in found and len(found) <= 8  # halving stops at eight configs
    assert suspects(checker("transfer", keys), configs) == found


@pytest.mark.parametrize(("type_name", "fine", "bad"), [
    ("say", {"text": "hi", "loop": 2}, {"text": "hi", "loop": 11}),
    ("say", {"text": "hi"}, {"text": "{{ x"}),
    ("menu", {"prompt": "p", "digits": ["1", "2"]}, {"prompt": "p", "digits": ["1", "1"]}),  # the type rule
    ("business_hours", {"schedule": {"mon": [["09:00", "17:00"]]}}, {"schedule": {"mon": [["17:00", "09:00"]]}}),
    ("split", {"input": "x", "cases": [{"name": "a", "op": "equals", "value": "x"}]},
     {"input": "x", "cases": [{"name": "a", "op": "like", "value": "x"}]}),
    ("set", {"variables": {"ok": "v"}}, {"variables": {"ok": "{{ x"}}),
    ("play", {"url": "u"}, {"url": "  "}),
])
def test_a_bad_config_in_a_later_chunk_is_found(monkeypatch, type_name, fine, bad):
    """Columns are checked a chunk of configs at a time: the last chunk counts as much as the first."""
    import ringflow.model.fastcheck as fastcheck

    monkeypatch.setattr(fastcheck, "CHUNK", 2)
    configs = [copy.deepcopy(fine) for _ in range(5)] + [bad]
    doc = _flow_of(type_name, configs)
    expected = validate_slow(doc)
    assert [p.node_id for p in expected if p.severity == "error"] == ["n5"]
    assert validate_fast(doc) == expected
    check = checker(type_name, tuple(fine))
    assert check(configs[:5]) is True and check(configs) is False


def test_every_time_the_schedule_column_accepts_is_one_time_re_accepts():
    assert len(_TIMES) == 24 * 60 and all(TIME_RE.match(t) for t in _TIMES)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", 1]), st.sampled_from([None, 0, "x", [1]]), max_size=3)
                | st.sampled_from([[], "x", None]), max_size=6),
       st.lists(st.sampled_from(["a", "b", "c", 1]), max_size=3, unique=True).map(tuple))
def test_c_and_python_columns_agree(configs, keys):
    """Each key's values in config order, or None unless every config holds exactly those keys."""
    expected = columns_py(configs, keys)
    assert native_columns(configs, keys) == expected
    if expected is not None:
        assert expected == [[c[k] for c in configs] for k in keys]
        assert all(len(c) == len(keys) for c in configs)
