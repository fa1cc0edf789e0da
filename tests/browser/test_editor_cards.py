"""Node cards as users read them: outlet captions of a crowded menu never overlap, the start is marked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import card

pytestmark = pytest.mark.browser


def crowded_flow(digits: list[str]) -> dict:
    flow = menu_flow("Crowded menus")
    menu = next(n for n in flow["nodes"] if n["id"] == "menu")
    menu["config"]["digits"] = digits
    return flow


def caption_boxes(page: Page, node_id: str) -> list[dict[str, float]]:
    """Every outlet caption's box on one card, read in one go (a card may be refilled meanwhile)."""
    return page.evaluate("""id => {
      const e = window.ringflow.engine, card = document.querySelector(`.rf-card[data-index="${e.indexOfId(id)}"]`);
      return [...card.querySelectorAll('.rf-port-name')].map(el => { const r = el.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height, text: el.textContent}; });
    }""", node_id)


def overlaps(a: dict[str, float], b: dict[str, float], gap: float = 2) -> bool:
    """True when two boxes overlap or come closer than `gap` px (touching captions read as one word)."""
    return (a["x"] < b["x"] + b["width"] + gap and b["x"] < a["x"] + a["width"] + gap
            and a["y"] < b["y"] + b["height"] + gap and b["y"] < a["y"] + a["height"] + gap)


@pytest.mark.parametrize("digits", [["1", "2"], ["1", "2", "3", "4", "5"]], ids=["4-outlets", "7-outlets"])
def test_crowded_menu_captions_do_not_overlap(page: Page, server: Server, api_key: str, digits: list[str]) -> None:
    flow = server.flow(api_key, crowded_flow(digits))
    outlets = [*digits, "invalid", "timeout"]
    open_editor(page, api_key, flow["id"])
    menu = card(page, "Main menu")
    expect(menu.locator(".rf-port")).to_have_count(len(outlets))
    menu.scroll_into_view_if_needed()
    for zoom in (1.0, 1.6):  # the cards scale with the camera: captions keep apart at every near zoom
        page.evaluate("z => { const e = window.ringflow.engine; e.centerOn(e.indexOfId('menu'), z); }", zoom)
        page.wait_for_timeout(200)
        expect(menu.locator(".rf-port")).to_have_count(len(outlets))
        boxes = caption_boxes(page, "menu")
        assert [b["text"] for b in boxes] == outlets
        clashes = [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if overlaps(boxes[i], boxes[j])]
        assert not clashes, f"outlet captions overlap at zoom {zoom}: {clashes}"
    full = page.evaluate("() => [...document.querySelectorAll('.rf-port-name')].every(el => el.scrollWidth <= el.clientWidth + 1)")
    assert full, "no caption is cut short at this card width"
    expect(menu.locator(".rf-port[data-outlet='timeout']")).to_have_attribute("title", "timeout")
    shot(page, f"editor-menu-{len(outlets)}-outlets")
    # the start node carries the marker, and only it
    expect(card(page, "Welcome")).to_have_class(re.compile(r"\brf-start\b"))
    expect(page.locator(".rf-card.rf-start:visible")).to_have_count(1)
    assert "Start" in page.evaluate("() => getComputedStyle(document.querySelector('.rf-start .rf-card-title'), '::after').content")
