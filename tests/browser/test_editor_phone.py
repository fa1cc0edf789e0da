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


def world_at(page: Page, sx: float, sy: float) -> tuple[float, float]:
    """The flow point under a page point, from the camera the engine reports."""
    box = page.locator("#canvas").bounding_box()
    assert box
    v = viewport(page)
    return v["x"] + (sx - box["x"]) / v["zoom"], v["y"] + (sy - box["y"]) / v["zoom"]


def test_pinch_zooms_around_its_centre_and_two_fingers_pan(phone: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(phone, api_key, flow["id"])
    box = phone.locator("#canvas").bounding_box()
    assert box
    # fingers on empty canvas (no node to grab): look at a bare stretch of the flow's plane
    phone.evaluate("window.ringflow.engine.setCamera({x: -3000, y: -3000, zoom: 0.5})")
    cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55  # off the canvas' centre on purpose
    anchor = world_at(phone, cx, cy)

    def fingers(half_from: float, half_to: float, shift: tuple[float, float] = (0, 0)) -> list[list[tuple[float, float]]]:
        steps = 8
        out = []
        for s in range(steps + 1):
            half = half_from + (half_to - half_from) * s / steps
            dx, dy = shift[0] * s / steps, shift[1] * s / steps
            out.append([(cx + dx - half, cy + dy - half * 0.5), (cx + dx + half, cy + dy + half * 0.5)])
        return out

    gesture(phone, fingers(40, 120))  # spread: zoom in three times
    after_in = eventually(lambda: (v := viewport(phone)) and v["zoom"] > 1.2 and v, what="pinch zoom in")
    assert after_in["zoom"] == pytest.approx(1.5, rel=0.05), "zoom follows the fingers' spread"
    wx, wy = world_at(phone, cx, cy)
    assert (wx, wy) == (pytest.approx(anchor[0], abs=2), pytest.approx(anchor[1], abs=2)), "the point between the fingers stays put"

    gesture(phone, fingers(120, 40))  # pinch: back out
    after_out = eventually(lambda: (v := viewport(phone)) and v["zoom"] < 0.7 and v, what="pinch zoom out")
    assert after_out["zoom"] == pytest.approx(0.5, rel=0.05)
    wx, wy = world_at(phone, cx, cy)
    assert (wx, wy) == (pytest.approx(anchor[0], abs=3), pytest.approx(anchor[1], abs=3))

    gesture(phone, fingers(60, 60, shift=(80, 120)))  # two fingers slide together: pan, no zoom
    moved = eventually(lambda: (v := viewport(phone)) and v["y"] != after_out["y"] and v, what="two-finger pan")
    assert moved["zoom"] == pytest.approx(after_out["zoom"], rel=0.01)
    assert moved["x"] == pytest.approx(after_out["x"] - 80 / moved["zoom"], abs=2), "the flow moves with the fingers"
    assert moved["y"] == pytest.approx(after_out["y"] - 120 / moved["zoom"], abs=2)
    shot(phone, "phone-pinch-pan")
