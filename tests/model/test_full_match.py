"""Issue 14, L5 and the time-zone hole: every value check is a full match (msgspec's patterns
search, so each is anchored \\A...\\Z), and a business-hours node's time zone must exist."""

from __future__ import annotations

import jsonschema
import orjson
import pytest

from ringflow.model.document import DocumentError, normalize, parse
from ringflow.model.schema import flow_schema
from ringflow.model.validation import validate


def _hours(schedule: dict, timezone: str | None = "Europe/Paris") -> dict:
    config = {"schedule": schedule, **({"timezone": timezone} if timezone is not None else {})}
    return {"name": "Hours", "start": "h", "nodes": [
        {"id": "h", "type": "business_hours", "config": config}, {"id": "o", "type": "hangup"}, {"id": "c", "type": "hangup"}],
        "edges": [{"source": "h", "outlet": "open", "target": "o"}, {"source": "h", "outlet": "closed", "target": "c"}]}


def _menu(digits: list[str]) -> dict:
    return {"name": "Menu", "start": "m", "nodes": [{"id": "m", "type": "menu", "config": {"prompt": "Pick", "digits": digits}}],
            "edges": []}


def _errors(raw: dict) -> set[tuple[str, str | None]]:
    doc = normalize(raw)
    return {(p.code, p.field) for p in validate(doc) if p.severity == "error"}


def test_a_node_id_with_a_trailing_newline_is_refused() -> None:
    for bad in ("a\n", "a\nb", "\na"):
        with pytest.raises(DocumentError):
            normalize({"name": "x", "nodes": [{"id": bad, "type": "hangup"}], "edges": []})
        with pytest.raises(DocumentError):
            parse(orjson.dumps({"name": "x", "nodes": [{"id": bad, "type": "hangup"}], "edges": []}))
    assert normalize({"name": "x", "nodes": [{"id": "a", "type": "hangup"}], "edges": []})["nodes"][0]["id"] == "a"


def test_menu_digits_and_schedule_times_must_match_whole() -> None:
    assert ("bad_config", "config.digits") in _errors(_menu(["1\n", "1"]))
    assert not _errors(_menu(["1", "2"])) - {("unconnected_outlet", None)}
    assert ("bad_config", "config.schedule") in _errors(_hours({"mon": [["09:00\n", "17:00"]]}))
    assert not _errors(_hours({"mon": [["09:00", "17:00"]]}))


def test_an_unknown_time_zone_is_an_error() -> None:
    for zone in ("Mars/Olympus", "../../etc/passwd", "Europe/Paris\n", "/etc/localtime"):
        assert ("bad_config", "config.timezone") in _errors(_hours({"mon": [["09:00", "17:00"]]}, zone)), zone
    for zone in ("Europe/Paris", "America/New_York", "UTC", None):
        assert not _errors(_hours({"mon": [["09:00", "17:00"]]}, zone)), zone


def test_the_json_schema_patterns_match_whole_values_too() -> None:
    validator = jsonschema.Draft202012Validator(flow_schema())
    good = _hours({"mon": [["09:00", "17:00"]]})
    assert not list(validator.iter_errors(good))
    bad_id = {**good, "nodes": [{**good["nodes"][0], "id": "h\n"}] + good["nodes"][1:]}
    bad_time = _hours({"mon": [["09:00\n", "17:00"]]})
    assert list(validator.iter_errors(bad_id)) and list(validator.iter_errors(bad_time))


@pytest.mark.parametrize(("field", "value"), [("voice", "alice\n"), ("language", "en-US\n"), ("speech_timeout", "auto\n"),
                                              ("speech_model", "default\n")])
def test_catalogue_patterns_refuse_a_trailing_newline(field: str, value: str) -> None:
    raw = {"name": "G", "start": "g", "nodes": [{"id": "g", "type": "gather", "config": {field: value}}], "edges": []}
    assert ("bad_config", f"config.{field}") in _errors(raw)
    raw["nodes"][0]["config"][field] = value.strip()
    assert not _errors(raw)


def test_a_variable_name_with_a_trailing_newline_is_refused() -> None:
    raw = {"name": "S", "start": "s", "nodes": [{"id": "s", "type": "set", "config": {"variables": {"a\n": "x"}}}], "edges": []}
    assert ("bad_template", "config.variables") in _errors(raw)  # the code the old check gave a bad name too


def test_the_json_schema_refuses_a_trailing_newline_in_catalogue_patterns() -> None:
    """The schema's field patterns were ``^$|^...$``: Python's re.search (jsonschema) let "alice\\n" through."""
    validator = jsonschema.Draft202012Validator(flow_schema())
    raw = {"name": "S", "start": "s", "nodes": [{"id": "s", "type": "say", "config": {"text": "hi", "voice": "alice"}}], "edges": []}
    assert not list(validator.iter_errors(raw))
    for field, value in (("voice", "alice\n"), ("language", "en-US\n")):
        bad = {**raw, "nodes": [{**raw["nodes"][0], "config": {"text": "hi", field: value}}]}
        assert list(validator.iter_errors(bad)), field
