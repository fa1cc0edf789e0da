"""Node cards as users read them: outlet captions of a crowded menu never overlap, the start is marked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import card

pytestmark = pytest.mark.browser


def crowded_flow() -> dict:
    flow = menu_flow("Crowded menus")
    menu = next(n for n in flow["nodes"] if n["id"] == "menu")
    menu["config"]["digits"] = ["1", "2", "3", "4", "5"]  # seven outlets on one card
    return flow


def caption_boxes(page: Page, label: str) -> list[dict[str, float]]:
    names = card(page, label).locator(".rf-port-name")
    boxes = [names.nth(k).bounding_box() for k in range(names.count())]
    assert boxes and all(boxes)
    return boxes  # type: ignore[return-value]


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_crowded_menu_captions_do_not_overlap(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, crowded_flow())
    open_editor(page, api_key, flow["id"])
    menu = card(page, "Main menu")
    expect(menu.locator(".rf-port")).to_have_count(7)
    menu.scroll_into_view_if_needed()
    for zoom in (1.0, 1.6):  # the cards scale with the camera: captions keep apart at every near zoom
        page.evaluate("z => { const e = window.ringflow.engine; e.centerOn(e.indexOfId('menu'), z); }", zoom)
        page.wait_for_timeout(200)
        boxes = caption_boxes(page, "Main menu")
        clashes = [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if overlaps(boxes[i], boxes[j])]
        assert not clashes, f"outlet captions overlap at zoom {zoom}: {clashes}"
    names = menu.locator(".rf-port-name")
    assert [names.nth(k).text_content() for k in range(7)] == ["1", "2", "3", "4", "5", "invalid", "timeout"]
    full = page.evaluate("() => [...document.querySelectorAll('.rf-port-name')].every(el => el.scrollWidth <= el.clientWidth + 1)")
    assert full, "no caption is cut short at this card width"
    expect(menu.locator(".rf-port[data-outlet='timeout']")).to_have_attribute("title", "timeout")
    shot(page, "editor-crowded-menu")
    # the start node carries the marker, and only it
    expect(card(page, "Welcome")).to_have_class(re.compile(r"\brf-start\b"))
    expect(page.locator(".rf-card.rf-start:visible")).to_have_count(1)
    assert "Start" in page.evaluate("() => getComputedStyle(document.querySelector('.rf-start .rf-card-title'), '::after').content")
