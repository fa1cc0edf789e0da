"""Motion and live traffic in the editor: camera glides, card lifts, the live ring and count of a
test call, and reduced motion (nothing moves). Each mode is switched with the editor's own control."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot
from tests.browser.helpers import card

pytestmark = pytest.mark.browser

# Click Fit and record the camera on every animation frame for ~1.2 s: the distinct cameras seen.
FIT_FRAMES = """() => new Promise((done) => {
  const seen = []; let last = JSON.stringify(window.ringflow.viewport()), n = 0;
  document.querySelector('#btn-fit').click();
  const tick = () => {
    const v = window.ringflow.viewport(), s = JSON.stringify(v);
    if (s !== last) { seen.push(v); last = s; }
    if (++n < 72) requestAnimationFrame(tick); else done(seen);
  };
  requestAnimationFrame(tick);
})"""


def zoomed_in(page: Page) -> None:
    """Move the camera well away from the fitted view (a jump, as a wheel or a drag would)."""
    page.evaluate("() => window.ringflow.engine.setCamera({x: 300, y: 260, zoom: 2.4})")
    page.wait_for_function("() => window.ringflow.viewport().zoom === 2.4")
    page.wait_for_timeout(50)


def set_mode(page: Page, mode: str) -> None:
    page.locator("#mode").select_option(mode)
    page.wait_for_function(f"() => window.ringflow.engine.mode() === '{mode}'")


def test_fit_glides_in_beauty_mode_and_jumps_in_high_performance(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    assert page.evaluate("window.ringflow.engine.mode()") == "beauty"
    zoomed_in(page)
    seen = page.evaluate(FIT_FRAMES)
    assert len(seen) >= 6, f"Fit moved in {len(seen)} frames: {seen}"
    zooms = [v["zoom"] for v in seen]
    assert zooms == sorted(zooms, reverse=True), "the zoom moves one way"
    half = zooms[len(zooms) // 2]
    assert (2.4 - half) > 0.7 * (2.4 - zooms[-1]), f"eased out: most of the way in the first half of the frames ({zooms})"
    fitted = seen[-1]

    set_mode(page, "high-performance")
    zoomed_in(page)
    seen = page.evaluate(FIT_FRAMES)
    assert len(seen) == 1, f"one frame in high-performance mode, not {len(seen)}"
    assert seen[0] == pytest.approx(fitted)

    set_mode(page, "beauty")  # the zoom buttons glide too
    page.get_by_role("button", name="Zoom in").click()
    page.wait_for_function("() => !window.ringflow.engine.gliding()")
    assert page.evaluate("window.ringflow.viewport().zoom") == pytest.approx(fitted["zoom"] * 1.4)


def test_hover_and_selection_lift_a_card(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    welcome = card(page, "Welcome")
    style = "el => { const s = getComputedStyle(el); return {shadow: s.boxShadow, lift: s.translate}; }"
    page.mouse.move(5, 5)
    rest = welcome.evaluate(style)
    welcome.hover()
    page.wait_for_function("el => getComputedStyle(el).translate !== 'none'", arg=welcome.element_handle())
    page.wait_for_timeout(300)  # the lift's transition has landed
    hovered = welcome.evaluate(style)
    assert hovered["shadow"] != rest["shadow"], "hover raises the card's elevation"
    assert hovered["lift"] not in ("none", "0px"), hovered
    shot(page, "editor-hover-lift")


def test_a_test_call_on_a_menu_shows_one_call_and_a_ring_that_moves_alone(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    status, body = server.call("POST", f"/api/v1/flows/{flow['id']}/publish", token=api_key)
    assert status in (200, 201), body
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Test call").click()
    page.get_by_role("button", name="Start test call").click()
    expect(page.locator("#testcall")).to_contain_text("Now at Main menu (waiting for digits)")
    page.get_by_role("button", name="Close test call").hover()
    page.wait_for_function("() => !window.ringflow.engine.gliding()")
    menu = card(page, "Main menu")
    index = menu.get_attribute("data-index")
    badge = page.locator(f".rf-calls[data-index='{index}']")
    expect(badge).to_have_text("1")
    assert page.evaluate("window.ringflow.metrics().calls") == 1
    m, b = menu.bounding_box(), badge.bounding_box()
    assert m and b and abs(b["x"] + b["width"] / 2 - (m["x"] + m["width"])) < 14, "on the card's right edge"
    assert abs(b["y"] + b["height"] / 2 - (m["y"] + m["height"] / 2)) < 14, "half way down"
    ring = {"x": m["x"] - 26, "y": m["y"] - 26, "width": m["width"] + 52, "height": m["height"] + 52}
    goodbye = card(page, "Goodbye").bounding_box()
    assert goodbye
    calm = {"x": goodbye["x"] - 20, "y": goodbye["y"] - 10, "width": goodbye["width"] + 40, "height": goodbye["height"] + 20}
    frames = []
    for _ in range(4):
        frames.append((page.screenshot(clip=ring), page.screenshot(clip=calm)))
        page.wait_for_timeout(170)
    assert len({r for r, _ in frames}) >= 3, "the ring around the waiting node animates"
    assert len({c for _, c in frames}) == 1, "the canvas elsewhere stays still"
    shot(page, "editor-live-test-call")
    page.get_by_role("button", name="Press 2").click()
    expect(page.locator("#testcall")).to_contain_text("The call has ended")
    expect(badge).to_be_hidden()  # the call left the menu


@pytest.fixture
def still_page(browser: Browser, server: Server) -> Iterator[Page]:
    ctx = new_context(browser, server, reduced_motion="reduce")
    yield ctx.new_page()
    ctx.close()


def test_with_reduced_motion_nothing_moves(still_page: Page, server: Server, api_key: str) -> None:
    page = still_page
    flow = server.flow(api_key, menu_flow())
    status, body = server.call("POST", f"/api/v1/flows/{flow['id']}/publish", token=api_key)
    assert status in (200, 201), body
    open_editor(page, api_key, flow["id"])
    assert page.evaluate("window.ringflow.engine.mode()") == "beauty"
    assert page.evaluate("window.ringflow.metrics().reducedMotion") is True
    zoomed_in(page)
    assert len(page.evaluate(FIT_FRAMES)) == 1, "Fit jumps"
    page.get_by_role("button", name="Test call").click()
    page.get_by_role("button", name="Start test call").click()
    expect(page.locator("#testcall")).to_contain_text("Now at Main menu")
    page.get_by_role("button", name="Close test call").hover()
    menu = card(page, "Main menu")
    expect(page.locator(f".rf-calls[data-index='{menu.get_attribute('data-index')}']")).to_have_text("1")  # still told, not moved
    welcome = card(page, "Welcome")
    welcome.hover()
    page.wait_for_timeout(100)
    assert welcome.evaluate("el => getComputedStyle(el).translate") in ("none", "0px", "0px 0px"), "no lift"
    stage: dict[str, Any] | None = page.locator("#stage").bounding_box()
    assert stage
    shots = set()
    for _ in range(4):
        shots.add(page.screenshot(clip=stage))
        page.wait_for_timeout(150)
    assert len(shots) == 1, "nothing on the canvas moves"
    animating = page.evaluate("() => document.getAnimations().filter((a) => a.playState === 'running').length")
    assert animating == 0


def test_new_nodes_rise_in_drags_cast_a_shadow_and_the_overlay_says_why(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Monitor").click()
    expect(page.locator(".rf-overlay-why")).to_have_text("Mode: auto: 5 nodes < 1,000 (RINGFLOW_MAX_ANIMATED_NODES)")
    set_mode(page, "high-performance")
    expect(page.locator(".rf-overlay-why")).to_have_text("Mode: forced by the mode switch")
    page.locator("#palette").get_by_role("button", name="Add Pause").click()
    added = page.locator(".rf-card.rf-selected")
    expect(added).to_contain_text("Pause")
    expect(added).not_to_contain_class("rf-new")  # nothing moves in high-performance mode
    set_mode(page, "beauty")
    page.locator("#palette").get_by_role("button", name="Add Play").click()
    expect(page.locator(".rf-card.rf-selected")).to_contain_class("rf-new")  # it rises in
    page.mouse.move(5, 5)
    sales = card(page, "Sales")
    box = sales.bounding_box()
    assert box
    resting = sales.evaluate("el => getComputedStyle(el).boxShadow")
    page.mouse.move(box["x"] + 40, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 80, box["y"] + 60, steps=6)
    expect(sales).to_contain_class("rf-dragging")
    page.wait_for_timeout(250)
    assert sales.evaluate("el => getComputedStyle(el).boxShadow") != resting, "a drag lifts the card onto a soft shadow"
    page.mouse.up()
    expect(sales).not_to_contain_class("rf-dragging")


def test_the_theme_switch_cycles_and_is_remembered(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    switch = page.locator("#btn-theme")
    expect(switch).to_have_attribute("aria-label", "Theme: system (click to change)")
    assert page.evaluate("window.ringflow.engine.theme().dark") is False  # the test browser's system is light
    switch.click()
    expect(switch).to_have_attribute("aria-label", "Theme: light (click to change)")
    switch.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.wait_for_function("() => window.ringflow.engine.theme().dark")  # the canvas re-read its colours
    page.reload()
    page.locator("html[data-ready='1']").wait_for(state="attached")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate("window.ringflow.engine.theme().dark") is True
    expect(page.locator("#btn-theme")).to_have_attribute("aria-label", "Theme: dark (click to change)")
    page.goto("/")  # the flow list follows the choice too
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.goto(f"/flows/{flow['id']}")
    page.locator("#btn-theme").click()  # back to the system's
    expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
