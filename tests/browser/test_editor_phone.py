"""The editor on a phone (390x844, touch): panels collapse into toggles, touch pans and pinches."""

from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot
from tests.browser.helpers import card, eventually, viewport

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    ctx = new_context(browser, server, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    yield ctx.new_page()
    ctx.close()


def gesture(page: Page, frames: list[list[tuple[float, float]]]) -> None:
    """Real touch input through the DevTools protocol: start, moves, end (one or two fingers)."""
    cdp = page.context.new_cdp_session(page)
    for i, points in enumerate(frames):
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": k} for k, (x, y) in enumerate(points)]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_phone_panels_collapse_and_touch_works(phone: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(phone, api_key, flow["id"])
    expect(phone.locator("#palette")).to_be_hidden()
    expect(phone.locator("#inspector")).to_be_hidden()
    expect(card(phone, "Main menu")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows the screen sideways"
    shot(phone, "phone-editor")
    phone.get_by_role("button", name="Add", exact=True).click()
    expect(phone.locator("#palette")).to_be_visible()
    shot(phone, "phone-palette")
    phone.get_by_role("button", name="Add Say", exact=True).click()
    expect(phone.locator("#palette")).to_be_hidden()  # closes itself after adding
    phone.get_by_role("button", name="Edit", exact=True).click()
    expect(phone.locator("#prop-label")).to_have_value("Say")
    phone.get_by_role("button", name="Edit", exact=True).click()
    expect(phone.locator("#inspector")).to_be_hidden()

    box = phone.locator("#canvas").bounding_box()
    assert box
    before = viewport(phone)
    x, y = box["x"] + 30, box["y"] + box["height"] - 40  # an empty corner
    gesture(phone, [[(x + step * 12, y - step * 10)] for step in range(8)])
    moved = eventually(lambda: (v := viewport(phone)) and (v["x"], v["y"]) != (before["x"], before["y"]) and v, what="touch pan")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    gesture(phone, [[(cx - 30 - step * 12, cy), (cx + 30 + step * 12, cy)] for step in range(8)])
    eventually(lambda: viewport(phone)["zoom"] > moved["zoom"] * 1.2, what="pinch zoom")
