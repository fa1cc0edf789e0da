"""The generated properties panel for the richer field kinds: split cases, schedules, maps, lists, enums."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import card, document, eventually, node

pytestmark = pytest.mark.browser


def rich_flow() -> dict:
    return {
        "name": "Rich fields", "start": "hours",
        "nodes": [
            {"id": "hours", "type": "business_hours", "x": 0, "y": 0, "label": "Office hours",
             "config": {"timezone": "Europe/Paris", "schedule": {"mon": [["09:00", "17:00"]]}}},
            {"id": "route", "type": "split", "x": 0, "y": 200, "label": "Route by caller",
             "config": {"input": "{{trigger.call.From}}", "cases": [{"name": "vip", "op": "starts_with", "value": "+33"}]}},
            {"id": "vars", "type": "set", "x": 300, "y": 0, "label": "Remember", "config": {"variables": {}}},
            {"id": "api", "type": "http", "x": 300, "y": 200, "label": "Lookup", "config": {"url": "https://example.com/x"}},
        ],
        "edges": [],
    }


def test_cases_schedule_map_and_enum_editors_save(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, rich_flow())
    open_editor(page, api_key, flow["id"])
    fid = flow["id"]

    card(page, "Route by caller").click()
    expect(page.get_by_label("Case 1 name (outlet)")).to_have_value("vip")
    expect(page.get_by_label("Case 1 operator")).to_have_value("starts_with")
    page.get_by_role("button", name="+ Add case").click()
    page.get_by_label("Case 2 name (outlet)").fill("local")
    page.get_by_label("Case 2 name (outlet)").press("Tab")
    page.get_by_label("Case 2 operator").select_option("contains")
    page.get_by_label("Case 2 value").fill("+1")
    page.get_by_label("Case 2 value").press("Tab")
    eventually(lambda: node(document(server, api_key, fid), "route")["config"]["cases"][1:] == [{"name": "local", "op": "contains", "value": "+1"}],
               what="cases saved")
    expect(card(page, "Route by caller").locator(".rf-port[data-outlet=local]")).to_have_count(1)  # a new outlet on the card
    expect(page.get_by_role("list", name="Outlets")).to_contain_text("local")
    shot(page, "editor-split-cases")

    card(page, "Office hours").click()
    page.get_by_role("checkbox", name="Tuesday").check()
    page.get_by_label("Monday closes, interval 1").fill("18:30")
    page.get_by_label("Monday closes, interval 1").press("Tab")
    eventually(lambda: node(document(server, api_key, fid), "hours")["config"]["schedule"] == {
        "mon": [["09:00", "18:30"]], "tue": [["09:00", "17:00"]]}, what="schedule saved")
    shot(page, "editor-schedule")

    card(page, "Remember").click()
    page.get_by_role("button", name="+ Add entry").click()
    page.get_by_label("variables name 1").fill("caller")
    page.get_by_label("variables name 1").press("Tab")
    page.get_by_label("variables value 1").fill("{{trigger.call.From}}")
    page.get_by_label("variables value 1").press("Tab")
    eventually(lambda: node(document(server, api_key, fid), "vars")["config"]["variables"] == {"caller": "{{trigger.call.From}}"},
               what="map saved")

    card(page, "Lookup").click()
    page.locator("#prop-method").select_option("POST")
    eventually(lambda: node(document(server, api_key, fid), "api")["config"].get("method") == "POST", what="enum saved")
