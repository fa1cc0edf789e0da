"""The additive catalogue changes interop relies on: unsupported nodes, new split ops, play digits."""

from ringflow.model.catalogue import CATALOGUE, SPLIT_OPS, outlets_of
from ringflow.model.document import normalize
from ringflow.model.validation import validate


def _flow(node: dict) -> dict:
    return normalize({"name": "t", "start": node["id"], "nodes": [node], "edges": []})


def test_unsupported_node_has_the_original_transitions_as_outlets():
    config = {"platform": "studio", "original_type": "send-to-flex", "properties": {"workflow": "WW1"}, "outlets": ["callComplete", "failedToEnqueue"]}
    assert outlets_of("unsupported", config) == ["callComplete", "failedToEnqueue"]


def test_validation_reports_an_unsupported_node_as_an_error_naming_the_widget():
    doc = _flow({"id": "flex", "type": "unsupported", "config": {"platform": "studio", "original_type": "send-to-flex", "outlets": []}})
    errors = [p for p in validate(doc) if p.severity == "error"]
    assert [(p.code, p.node_id, p.message) for p in errors] == [("unsupported_node", "flex", "Ringflow cannot execute Studio widget send-to-flex")]


def test_connect_unsupported_names_the_action():
    doc = _flow({"id": "a", "type": "unsupported", "config": {"platform": "connect", "original_type": "InvokeLambdaFunction"}})
    assert "Ringflow cannot execute Amazon Connect action InvokeLambdaFunction" in [p.message for p in validate(doc)]


def test_properties_must_be_an_object():
    doc = _flow({"id": "a", "type": "unsupported", "config": {"original_type": "x", "properties": [1]}})
    assert any(p.field == "config.properties" and "object" in p.message for p in validate(doc))


def test_reserved_import_keys_raise_no_warning():
    doc = _flow({"id": "s", "type": "say", "config": {"text": "hi", "studio": {"type": "say-play"}}})
    assert validate(doc) == [p for p in validate(doc) if p.code != "unknown_config"]
    assert not [p for p in validate(doc) if p.field == "config.studio"]


def test_play_accepts_digits_instead_of_a_url_but_not_neither():
    ok = _flow({"id": "p", "type": "play", "config": {"digits": "1234w#"}})
    assert not [p for p in validate(ok) if p.severity == "error"]
    bad = _flow({"id": "p", "type": "play", "config": {}})
    assert [p.message for p in validate(bad) if p.severity == "error"] == ["play needs a url or digits"]


def test_studio_condition_ops_exist_and_check_their_operands():
    for op in ("matches_any_of", "does_not_match_any_of", "is_blank", "is_not_blank", "does_not_contain",
               "does_not_start_with", "is_before_time", "is_after_time", "is_before_date", "is_after_date"):
        assert op in SPLIT_OPS
    good = [{"name": "a", "op": "is_before_time", "value": "09:30"}, {"name": "b", "op": "is_after_date", "value": "2026-12-25"},
            {"name": "c", "op": "is_blank", "value": ""}, {"name": "d", "op": "matches_any_of", "value": "1, 2, 3"}]
    doc = _flow({"id": "s", "type": "split", "config": {"input": "{{x}}", "cases": good}})
    assert not [p for p in validate(doc) if p.severity == "error"]
    for case, words in (({"name": "a", "op": "is_before_time", "value": "9am"}, "time"), ({"name": "a", "op": "is_after_date", "value": "soon"}, "date")):
        doc = _flow({"id": "s", "type": "split", "config": {"input": "{{x}}", "cases": [case]}})
        assert any(words in p.message for p in validate(doc) if p.severity == "error")


def test_new_types_are_appended_so_existing_type_codes_do_not_move():
    assert list(CATALOGUE)[14:] == ["unsupported", "function", "pay", "redirect", "message", "message_reply", "outbound_call"]
