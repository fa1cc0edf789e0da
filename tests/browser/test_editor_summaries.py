"""Cards say what their node does at the near level of detail, and keep out of each other's way."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import card, eventually

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
    expect(card(page, "Welcome").locator(".rf-card-line")).to_have_text(["Thanks for calling Acme."])
    expect(card(page, "Office hours").locator(".rf-card-line")).to_have_text(["Sunday: closed", "Europe/Paris"])
    expect(card(page, "Main menu").locator(".rf-card-line")).to_have_text(["Press 1 for sales", "Choices: 1 · 2"])
    expect(card(page, "Sales desk").locator(".rf-card-line")).to_have_text(["+15550100"])
    http = page.locator(".rf-card.rf-t-http")
    expect(http.locator(".rf-card-label")).to_have_text("HTTP request")  # unlabelled: its type, never "…" or nothing
    expect(http.locator(".rf-card-line")).to_have_text(["POST crm.example.com · lookup"])
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
    expect(card(page, "Sales desk").locator(".rf-card-line")).to_have_text(["+15550199"])


def grown() -> dict:
    return {
        "name": "Grown cards", "start": "menu",
        "nodes": [
            {"id": "menu", "type": "menu", "x": 0, "y": 0, "label": "Main menu",
             "config": {"prompt": "For sales press 1, for support press 2, for billing press 3, or stay on the line.",
                        "digits": ["1", "2", "3"]}},
            {"id": "bye", "type": "hangup", "x": 0, "y": 240, "label": "Goodbye", "config": {}},
            {"id": "desk", "type": "transfer", "x": 260, "y": 0, "label": "Sales desk", "config": {"to": "+15550100"}},
        ],
        "edges": [{"source": "menu", "outlet": "1", "target": "bye"}],
    }


def test_a_card_grows_to_fit_its_settings(page: Page, server: Server, api_key: str) -> None:
    """A Menu with a long prompt and choices grows: the whole prompt on two lines, the choices on a
    third; its ports, its edge, its hit area and the grid index follow the real height."""
    flow = server.flow(api_key, grown())
    open_editor(page, api_key, flow["id"])
    page.evaluate("window.ringflow.engine.setCamera({x: -150, y: -60, zoom: 1})")  # 100 %
    menu = card(page, "Main menu")
    expect(menu.locator(".rf-card-line")).to_have_text(["For sales press 1, for support press 2, for billing press 3, or stay on the line.",
                                                        "Choices: 1 · 2 · 3"])
    eventually(lambda: (menu.bounding_box() or {}).get("height", 0) >= 100, what="three summary lines: the card grows from 72")
    page.wait_for_timeout(100)  # the frame after it grew draws its ports and edge there
    box = menu.bounding_box()
    assert box
    desk = card(page, "Sales desk").bounding_box()
    assert desk and 70 <= desk["height"] <= 74  # one line: as before
    # measured in one go, as drawn: the prompt on two lines, the last line inside the card above its ports
    rects = menu.evaluate("""el => ({ card: el.getBoundingClientRect().toJSON(),
      lines: [...el.querySelectorAll('.rf-card-line')].map((l) => l.getBoundingClientRect().toJSON()) })""")
    assert len(rects["lines"]) == 2, rects
    assert rects["lines"][0]["height"] >= 29, rects  # two lines of text, not one clipped
    last, c = rects["lines"][-1], rects["card"]
    assert last["bottom"] <= c["bottom"] - 4, rects
    # outlet names readable at 100 %, each under its port at the bottom of the grown card
    for name in ("1", "2", "3", "invalid", "timeout"):
        port = menu.locator(f".rf-port[data-outlet='{name}']").bounding_box()
        assert port and abs(port["y"] + port["height"] / 2 - (box["y"] + box["height"])) <= 2, (name, port, box)
        caption = menu.locator(f".rf-port[data-outlet='{name}'] .rf-port-name")
        expect(caption).to_have_text(name)
        size = caption.evaluate("el => [parseFloat(getComputedStyle(el).fontSize), el.scrollWidth <= el.clientWidth + 1]")
        assert size[0] >= 11 and size[1], (name, size)
    # the engine's geometry is the card's: the hit test in the grown part, the edge leaving from the new bottom
    st = page.evaluate("""() => { const e = window.ringflow.engine, i = e.indexOfId('menu'), n = e.nodeInfo(i);
      const stage = document.querySelector('#stage').getBoundingClientRect();
      const low = e.worldToScreen(n.x + n.w / 2, n.y + n.h - 6);
      const p = e.edgePoint({ s: i, o: 0, d: e.indexOfId('bye') }, 0);
      return { h: n.h, hit: e.hitTest(low.x, low.y).index === i, edgeY: p.y - n.y,
               grid: e.state.h[i] }; }""")
    assert st["h"] >= 100 and st["hit"] and st["grid"] == st["h"] and abs(st["edgeY"] - st["h"]) < 1, st
    shot(page, "editor-card-grown")
    assert page.errors == []  # type: ignore[attr-defined]


def test_what_is_being_typed_survives_the_panel_being_asked_again(page: Page, server: Server, api_key: str) -> None:
    """A double click is a selection change and an activation, each showing the node once its
    details are in: the second must not rebuild the panel under the person's typing."""
    flow = server.flow(api_key, ivr())
    open_editor(page, api_key, flow["id"])
    card(page, "Sales desk").dblclick()
    field = page.locator("#prop-to")
    field.fill("+15550177")  # typed, not yet committed (no Tab, no change event)
    page.evaluate("() => { const e = window.ringflow.engine; e.select(e.selection()); }")  # the panel is asked again
    page.wait_for_timeout(300)
    expect(page.locator("#prop-to")).to_have_value("+15550177")
    page.locator("#prop-to").press("Tab")
    expect(card(page, "Sales desk").locator(".rf-card-line")).to_have_text(["+15550177"])
