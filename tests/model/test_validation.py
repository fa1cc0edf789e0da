import copy

from ringflow.model import normalize, validate
from ringflow.model.demo import generate_flow
from tests.model.test_document import EXAMPLE


def codes(doc):
    return {(p.severity, p.code, p.node_id, p.field) for p in validate(normalize(doc))}


def test_example_has_only_warnings_for_open_outlets():
    found = codes(EXAMPLE)
    assert all(sev == "warning" for sev, *_ in found)
    # an open fallback (menu.invalid) just ends the call, as in Twilio Studio: no warning
    assert not any(code == "unconnected_outlet" and field == "outlets.invalid" for _, code, _, field in found)


def test_open_outlets_warn_only_where_likely_a_mistake():
    doc = copy.deepcopy(EXAMPLE)
    menu = next(n for n in doc["nodes"] if n["type"] == "menu")
    menu["config"]["digits"].append("9")  # a choice offered and leading nowhere
    doc["nodes"].append({"id": "hours", "type": "business_hours", "config": {}})
    doc["nodes"].append({"id": "call_api", "type": "http", "config": {"url": "https://example.com"}})
    doc["nodes"].append({"id": "xfer", "type": "transfer", "config": {"to": "+15550100"}})
    found = {(nid, field) for _, code, nid, field in codes(doc) if code == "unconnected_outlet"}
    assert {(menu["id"], "outlets.9"), ("hours", "outlets.open"), ("call_api", "outlets.success")} <= found
    assert not {f for nid, f in found if nid == "xfer"}  # Transfer's outcomes may all end the call
    assert ("hours", "outlets.closed") not in found and ("call_api", "outlets.failed") not in found


def test_missing_and_unknown_start():
    doc = copy.deepcopy(EXAMPLE)
    doc["start"] = None
    assert ("error", "no_start", None, "start") in codes(doc)
    doc["start"] = "ghost"
    assert ("error", "unknown_start", None, "start") in codes(doc)


def test_unknown_type_and_bad_config_name_node_and_field():
    doc = copy.deepcopy(EXAMPLE)
    doc["nodes"][0]["type"] = "teleport"
    doc["nodes"][1]["config"]["timeout"] = 999
    doc["nodes"][2]["config"]["to"] = 42
    found = codes(doc)
    assert ("error", "unknown_type", "welcome", "type") in found
    assert ("error", "bad_config", "menu", "config.timeout") in found
    assert ("error", "bad_config", "sales", "config.to") in found


def test_template_that_does_not_parse():
    doc = copy.deepcopy(EXAMPLE)
    doc["nodes"][0]["config"]["text"] = "Hello {{ trigger.call.From "
    assert ("error", "bad_template", "welcome", "config.text") in codes(doc)


def test_edge_from_unknown_outlet_and_unreachable_node():
    doc = copy.deepcopy(EXAMPLE)
    doc["nodes"].append({"id": "lost", "type": "hangup"})
    doc["edges"].append({"source": "sales", "outlet": "ringing", "target": "bye"})
    found = codes(doc)
    assert ("error", "unknown_outlet", "sales", "outlets.ringing") in found
    assert ("warning", "unreachable", "lost", None) in found


def test_split_cases_and_schedule_are_checked():
    doc = {"name": "x", "start": "s", "nodes": [
        {"id": "s", "type": "split", "config": {"input": "{{flow.variables.x}}", "cases": [{"name": "a", "op": "like", "value": 1}]}},
        {"id": "h", "type": "business_hours", "config": {"schedule": {"mon": [["17:00", "09:00"]]}}},
    ], "edges": []}
    found = codes(doc)
    assert ("error", "bad_config", "s", "config.cases") in found
    assert ("error", "bad_config", "h", "config.schedule") in found


def test_demo_flows_are_valid():
    for n in (20, 1000):
        problems = validate(normalize(generate_flow(n)))
        assert [p for p in problems if p.severity == "error"] == []


def test_split_operand_may_be_a_template_for_typed_ops():
    """D1: Studio flows compare against {{flow.variables.max}}; the engine renders it at call time."""
    cases = [{"name": "low", "op": "less_than", "value": "{{flow.variables.max}}"},
             {"name": "late", "op": "is_after_time", "value": "{{ flow.variables.closing }}"},
             {"name": "soon", "op": "is_before_date", "value": "{{flow.data.due}}"}]
    doc = {"name": "x", "start": "s", "nodes": [
        {"id": "s", "type": "split", "config": {"input": "{{flow.variables.n}}", "cases": cases}}], "edges": []}
    assert not [c for c in codes(doc) if c[0] == "error"]
    cases[0]["value"] = "{{ flow.variables.max "
    assert ("error", "bad_config", "s", "config.cases") in codes(doc)
    cases[0]["value"] = "ten"
    assert ("error", "bad_config", "s", "config.cases") in codes(doc)


def test_messages_name_the_field_in_words_people_read():
    doc = copy.deepcopy(EXAMPLE)
    doc["nodes"][1]["config"]["timeout"] = 99
    doc["nodes"][0]["config"]["voice"] = "robot"
    doc["nodes"][0]["config"]["text"] = "   "
    doc["nodes"][2]["config"]["timeout"] = "soon"
    found = {(p.node_id, p.field): p.message for p in validate(normalize(doc))}
    assert found[("menu", "config.timeout")] == "timeout must be at most 60"
    assert found[("welcome", "config.voice")].startswith("voice 'robot' is not a value Twilio accepts (e.g. alice")
    assert found[("welcome", "config.text")] == "text must not be empty"
    assert found[("sales", "config.timeout")] == "timeout must be a whole number"


def _bytes(doc):
    import orjson

    return orjson.dumps(doc)


def test_the_one_pass_check_of_a_file_finds_what_validate_finds(caplog):
    from ringflow.model.validation import check_json

    sound = generate_flow(200)
    assert check_json(_bytes(sound))[1] == validate(normalize(sound))
    faulty = copy.deepcopy(EXAMPLE)
    faulty["nodes"][1]["config"]["digits"] = ["1", "1", "x"]
    faulty["nodes"][0]["config"]["bogus"] = True
    faulty["nodes"].append({"id": "odd", "type": "teleport"})
    with caplog.at_level("INFO", logger="ringflow.model.validation"):
        shape, problems = check_json(_bytes(faulty))
    assert problems == validate(normalize(faulty)) and len(shape.nodes) == 5
    assert {p.code for p in problems} >= {"bad_config", "unknown_config", "unknown_type"}
    assert "config faults" in caplog.text  # the slower path a faulty document takes is logged, never silent


def test_edges_from_a_node_of_unknown_type_still_lead_somewhere():
    doc = {"name": "x", "start": "a", "nodes": [{"id": "a", "type": "teleport"}, {"id": "b", "type": "hangup"}],
           "edges": [{"source": "a", "outlet": "beam", "target": "b"}]}
    found = codes(doc)
    assert ("error", "unknown_type", "a", "type") in found
    assert not any(code == "unreachable" for _, code, _, _ in found)


def _menus(digit_lists, extra_nodes=()):
    """A start Say leading to one menu per digit list, each digit's outlet to an end node."""
    nodes = [{"id": "start", "type": "say", "config": {"text": "Hi"}}, {"id": "end", "type": "hangup", "config": {}}]
    edges = []
    for k, digits in enumerate(digit_lists):
        nodes.append({"id": f"m{k}", "type": "menu", "config": {"prompt": "Choose", "digits": digits}})
        edges.append({"source": "start" if k == 0 else f"m{k - 1}", "outlet": "next" if k == 0 else "timeout", "target": f"m{k}"})
        edges += [{"source": f"m{k}", "outlet": d, "target": "end"} for d in ("1", "2")]
    return {"name": "menus", "start": "start", "nodes": nodes + list(extra_nodes), "edges": edges}


def test_rules_worked_out_once_per_value_still_name_each_node():
    """Menus sharing their digits share one check; the menu whose digits differ gets its own
    problems and outlets, in the typed pass and in the pass over a faulty document alike."""
    doc = _menus([["1", "2"], ["1", "2"], ["1", "1"], ["1", "2"], ["1", "3"]])
    for faulty in (False, True):
        if faulty:  # a config msgspec refuses elsewhere: every config is looked at as sent
            doc["nodes"].append({"id": "odd", "type": "pause", "config": {"seconds": "long"}})
        found = {(p.code, p.node_id, p.field) for p in validate(normalize(doc))}
        assert ("bad_config", "m2", "config.digits") in found  # "a digit is listed twice", m2 alone
        assert not any(code == "bad_config" and nid in ("m0", "m1", "m3", "m4") for code, nid, _ in found)
        # m2 offers 1 only, m4 offers 1 and 3: their edges on "2" lead from nowhere
        assert {(nid, field) for code, nid, field in found if code == "unknown_outlet"} == {("m2", "outlets.2"), ("m4", "outlets.2")}
        assert ("unconnected_outlet", "m4", "outlets.3") in found


def test_values_of_other_types_are_not_taken_for_each_other():
    """A menu whose digits are the text "12" (refused) has no digit outlets; one whose digits are
    ["1", "2"] has both: the two must not share their outlets."""
    doc = _menus([["1", "2"], "12"])
    found = {(p.code, p.node_id, p.field) for p in validate(normalize(doc))}
    assert ("unknown_outlet", "m1", "outlets.1") in found and ("unknown_outlet", "m1", "outlets.2") in found
    assert not any(code == "unknown_outlet" and nid == "m0" for code, nid, _ in found)


def test_node_rules_read_only_the_fields_they_declare():
    """Validation runs a node rule once per distinct value of ``NodeRule.reads``: a rule that
    read another field would hand one node's findings to another."""
    from ringflow.model.configs import CONFIGS
    from ringflow.model.rules import NODE_RULES

    class Recorder:
        def __init__(self, config):
            self.config, self.read = config, set()

        def __getattr__(self, name):
            self.read.add(name)
            return getattr(self.config, name)

    samples = {"original_type": "send-to-flex", "digits": ["1"], "timezone": "Mars/Olympus"}
    for type_name, rule in NODE_RULES.items():
        struct = CONFIGS[type_name]
        fields = struct.__struct_fields__
        required = fields[:len(fields) - len(struct.__struct_defaults__)]
        seen = Recorder(struct(**{name: samples.get(name, "x") for name in required}))
        rule.check(seen)
        assert seen.read <= set(rule.reads), (type_name, seen.read - set(rule.reads))
