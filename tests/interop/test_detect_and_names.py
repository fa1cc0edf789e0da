"""Format detection and the reversible state-name <-> node-id mapping."""

from __future__ import annotations

import pytest

from ringflow.interop import InteropError, detect_format, to_ringflow
from ringflow.interop.names import id_to_name, name_to_id
from ringflow.model.document import ID_RE
from tests.interop.corpus import load


def test_detects_each_format_from_its_required_keys():
    assert detect_format(load("studio/ivr_basic.json")) == "studio"
    assert detect_format(load("connect/support_line.json")) == "connect"
    assert detect_format({"name": "x", "nodes": [], "edges": []}) == "ringflow"


@pytest.mark.parametrize("obj", [[], "flow", None])
def test_a_document_that_is_not_an_object_gets_a_clear_error(obj):
    with pytest.raises(InteropError, match="not a Ringflow, Twilio Studio or Amazon Connect"):
        detect_format(obj)


def test_any_other_object_is_left_to_ringflow_normalize_to_explain():
    assert detect_format({"name": "empty"}) == "ringflow"
    assert to_ringflow({"name": "empty"}) == {"name": "empty", "start": None, "nodes": [], "edges": []}
    with pytest.raises(InteropError, match="unknown top-level field"):
        to_ringflow({"hello": 1})


def test_to_ringflow_auto_detects_and_reports_ringflow_problems_as_interop_errors():
    assert to_ringflow(load("studio/ivr_basic.json"))["start"] == "welcome"
    with pytest.raises(InteropError) as info:
        to_ringflow({"name": "x", "nodes": [{"id": "bad id!", "type": "say"}], "edges": []})
    assert info.value.property == "id"
    with pytest.raises(InteropError, match="unknown format"):
        to_ringflow({}, "bpmn")


@pytest.mark.parametrize("name", ["welcome", "main-menu_2", "Say hello", "ask:twice", "café ☎", "a.b"])
def test_names_round_trip_through_valid_ids(name):
    nid = name_to_id(name)
    assert ID_RE.match(nid)
    assert id_to_name(nid) == name


def test_a_name_too_long_once_escaped_is_an_error_naming_it():
    with pytest.raises(InteropError) as info:
        name_to_id("☎" * 30)
    assert info.value.property == "name"


def test_a_document_error_keeps_its_problem_list_for_the_cli_and_api():
    from ringflow.model.document import DocumentError

    with pytest.raises(DocumentError) as info:
        to_ringflow({"name": "x", "nodes": [{"id": "a", "type": "say", "x": "left"}], "edges": []}, "ringflow")
    assert isinstance(info.value, InteropError)
    assert [(p.node_id, p.field) for p in info.value.problems] == [("a", "x")]
    assert (info.value.state, info.value.property) == ("a", "x")
