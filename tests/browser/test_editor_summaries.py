"""Cards say what their node does at the near level of detail, and keep out of each other's way."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import card

pytestmark = pytest.mark.browser

SUNDAY_1305_PARIS = datetime(2026, 3, 15, 13, 5, tzinfo=ZoneInfo("Europe/Paris"))


def ivr() -> dict:
    return {
        "name": "Summaries", "start": "welcome",
        "nodes": [
            {"id": "welcome", "type": "say", "x": 0, "y": 0, "label": "Welcome", "config": {"text": "Thanks for calling Acme."}},
            {"id": "hours", "type": "business_hours", "x": 0, "y": 150, "label": "Office hours",
             "config": {"timezone": "Europe/Paris", "schedule": {"mon": [["09:00", "17:00"]], "sun": []}}},
            {"id": "menu", "type": "menu", "x": 0, "y": 300, "label": "Main menu",
             "config": {"prompt": "Press 1 for sales", "digits": ["1", "2"]}},
            {"id": "desk", "type": "transfer", "x": -260, "y": 450, "label": "Sales desk", "config": {"to": "+15550100"}},
            {"id": "api", "type": "http", "x": 260, "y": 450, "label": "",
             "config": {"method": "POST", "url": "https://crm.example.com/v1/lookup"}},
        ],
        "edges": [{"source": "welcome", "outlet": "next", "target": "hours"}, {"source": "hours", "outlet": "open", "target": "menu"},
                  {"source": "menu", "outlet": "1", "target": "desk"}, {"source": "menu", "outlet": "2", "target": "api"}],
    }


def test_cards_show_key_settings_and_todays_hours(page: Page, server: Server, api_key: str) -> None:
    page.clock.set_fixed_time(SUNDAY_1305_PARIS)  # the browser's clock: "today" is a Sunday in Paris, whatever the date
    flow = server.flow(api_key, ivr())
    open_editor(page, api_key, flow["id"])
    expect(card(page, "Welcome").locator(".rf-card-summary")).to_have_text("Thanks for calling Acme.")
    expect(card(page, "Office hours").locator(".rf-card-summary")).to_have_text("Sunday: closed · Europe/Paris")
    expect(card(page, "Main menu").locator(".rf-card-summary")).to_have_text("Press 1 for sales · Choices: 1 · 2")
    expect(card(page, "Sales desk").locator(".rf-card-summary")).to_have_text("+15550100")
    http = page.locator(".rf-card.rf-t-http")
    expect(http.locator(".rf-card-label")).to_have_text("HTTP request")  # unlabelled: its type, never "…" or nothing
    expect(http.locator(".rf-card-summary")).to_have_text("POST crm.example.com · lookup")
    expect(card(page, "Sales desk")).to_have_attribute("aria-label", "Transfer: Sales desk, +15550100")
    # readable at 100 %: the summary and outlet names are at least 11 px and stay inside their card
    zoom = page.evaluate("window.ringflow.engine.camera.zoom")
    sizes = page.evaluate("""() => [...document.querySelectorAll('.rf-card:not([style*="display: none"]) .rf-port-name, .rf-card:not([style*="display: none"]) .rf-card-summary')]
      .map(el => parseFloat(getComputedStyle(el).fontSize))""")
    assert sizes and min(sizes) * max(zoom, 1) >= 11, (sizes, zoom)
    box = card(page, "Main menu").bounding_box()
    summary = card(page, "Main menu").locator(".rf-card-summary").bounding_box()
    assert box and summary and summary["x"] + summary["width"] <= box["x"] + box["width"] + 1
    shot(page, "editor-card-summaries")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_summary_follows_an_edit(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, ivr())
    open_editor(page, api_key, flow["id"])
    card(page, "Sales desk").dblclick()
    page.locator("#prop-to").fill("+15550199")
    page.locator("#prop-to").press("Tab")
    expect(card(page, "Sales desk").locator(".rf-card-summary")).to_have_text("+15550199")
