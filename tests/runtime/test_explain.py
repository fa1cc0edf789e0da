"""A test call explains itself: each step names the node by label, the outlet and why (clock injected)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ringflow.runtime.compile import compile_flow
from ringflow.runtime.engine import advance, new_call
from ringflow.runtime.explain import explain

from .conftest import publish

SUNDAY_1305_PARIS = datetime(2026, 3, 15, 13, 5, tzinfo=ZoneInfo("Europe/Paris")).timestamp()

DOC = {
    "name": "Why line", "start": "menu",
    "nodes": [
        {"id": "menu", "type": "menu", "label": "Main menu", "config": {"prompt": "Press 1 or 2", "digits": ["1", "2"]}},
        {"id": "tag", "type": "set", "label": "Tag the caller", "config": {"variables": {"tier": "gold"}}},
        {"id": "route", "type": "split", "label": "By tier",
         "config": {"input": "{{flow.variables.tier}}", "cases": [{"name": "vip", "op": "equals", "value": "gold"}]}},
        {"id": "hours", "type": "business_hours", "label": "Office hours",
         "config": {"timezone": "Europe/Paris", "schedule": {"mon": [["09:00", "17:00"]]}}},
        {"id": "bye", "type": "hangup", "label": "Goodbye", "config": {}},
    ],
    "edges": [
        {"source": "menu", "outlet": "1", "target": "tag"}, {"source": "menu", "outlet": "2", "target": "hours"},
        {"source": "tag", "outlet": "next", "target": "route"}, {"source": "route", "outlet": "vip", "target": "bye"},
        {"source": "hours", "outlet": "closed", "target": "bye"},
    ],
}


def _steps(digits: str) -> list[dict]:
    cf = compile_flow(DOC, ("t", 1, 1))
    st = advance(cf, new_call(cf, ("CA1", "+1555")), ("start",), SUNDAY_1305_PARIS).state
    step = advance(cf, st, ("digits", digits), SUNDAY_1305_PARIS)
    assert set(step.why or ()) <= set(range(len(step.trail)))
    return [explain(cf, n, o, (step.why or {}).get(k), step.state, SUNDAY_1305_PARIS) for k, (n, o) in enumerate(step.trail)]


def test_business_hours_says_closed_because_it_is_sunday_afternoon_there() -> None:
    menu, hours, bye = _steps("2")
    assert (menu["label"], menu["outlet"], menu["heard"]) == ("Main menu", "2", "2")
    assert "matches choice 2" in menu["reason"]
    assert (hours["label"], hours["outlet"], hours["open"], hours["local_time"]) == ("Office hours", "closed", False, "Sunday 13:05")
    assert hours["reason"] == "closed: it is Sunday 13:05 in Europe/Paris"
    assert bye["label"] == "Goodbye" and bye["reason"] == "the call ends here"


def test_split_names_the_case_and_the_value_compared_and_set_its_values() -> None:
    menu, tag, route, _ = _steps("1")
    assert tag["variables_set"] == {"tier": "gold"} and tag["reason"] == "set tier = “gold”"
    assert (route["case"], route["value"], route["op"], route["expected"]) == ("vip", "gold", "equals", "gold")
    assert route["reason"] == "the value “gold” equals “gold” (case vip)"


def test_a_wrong_digit_is_heard_and_said_not_to_be_a_choice() -> None:
    (retry,) = _steps("7")
    assert retry["outlet"] == "retry" and retry["heard"] == "7" and "not a choice" in retry["reason"]


def test_the_api_answer_carries_the_steps(client, alice) -> None:  # type: ignore[no-untyped-def]
    flow_id = publish(client, alice, DOC)
    r = client.post(f"/api/v1/flows/{flow_id}/test-calls", json={"digits": "1"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    steps = r.json()["steps"]
    assert [(s["label"], s["outlet"]) for s in steps] == [("Main menu", "1"), ("Tag the caller", "next"), ("By tier", "vip"), ("Goodbye", None)]
    assert steps[0]["heard"] == "1" and steps[2]["case"] == "vip"
