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
