"""Connections as things you can point at (issue 15, item 1): hover and click an edge, delete it
with Delete or from its right-click menu, box-select it with its nodes, drag a connected outlet
off onto empty canvas; undo brings each back. On a phone, tap an edge and delete it from the
Edit panel."""

from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot
from tests.browser.helpers import card, document, empty_point, eventually, stage_box

pytestmark = pytest.mark.browser


def edges(server: Server, key: str, flow_id: int) -> set[tuple[str, str, str]]:
    return {(e["source"], e["outlet"], e["target"]) for e in document(server, key, flow_id)["edges"]}


def edge_midpoint(page: Page, source: str, outlet: str, target: str) -> tuple[float, float]:
    """Page coordinates of the middle of a drawn edge (halfway along it as drawn: routed around
    the cards, or its curve)."""
    eventually(lambda: page.evaluate("([s, t]) => window.ringflow.engine.indexOfId(s) >= 0 && window.ringflow.engine.indexOfId(t) >= 0",
                                     [source, target]), what="the nodes' details")
    page.wait_for_timeout(100)  # a frame draws it with its route
    sx, sy = page.evaluate("""([s, o, t]) => {
      const e = window.ringflow.engine, a = e.nodeInfo(e.indexOfId(s)), b = e.indexOfId(t);
      const m = e.edgePoint({ s: a.index, o: a.outlets.indexOf(o), d: b });
      const w = e.worldToScreen(m.x, m.y);
      return [w.x, w.y];
    }""", [source, outlet, target])
    box = stage_box(page)
    return box["x"] + sx, box["y"] + sy


def test_click_hover_delete_and_undo_an_edge(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    x, y = edge_midpoint(page, "welcome", "next", "menu")
    page.mouse.move(x - 40, y)
    expect(page.locator("#stage")).not_to_have_class("rf-edge-hover")
    page.mouse.move(x, y, steps=4)
    eventually(lambda: "rf-edge-hover" in (page.locator("#stage").get_attribute("class") or ""), what="hover on the edge")
    shot(page, "edge-hover")
    page.mouse.click(x, y)
    inspector = page.locator("#inspector")
    expect(inspector).to_contain_text("Welcome, outlet next, to Main menu")
    shot(page, "edge-selected")
    page.keyboard.press("Delete")
    eventually(lambda: ("welcome", "next", "menu") not in edges(server, api_key, flow["id"]), what="edge deleted on the server")
    expect(page.locator("#announcer")).to_have_text("Disconnected Welcome, outlet next, from Main menu.")
    assert len(edges(server, api_key, flow["id"])) == 6  # only that one
    page.keyboard.press("Control+z")
    eventually(lambda: ("welcome", "next", "menu") in edges(server, api_key, flow["id"]), what="undo brings it back")
    # Backspace works the same
    page.mouse.click(x, y)
    expect(inspector).to_contain_text("Welcome, outlet next, to Main menu")
    page.keyboard.press("Backspace")
    eventually(lambda: ("welcome", "next", "menu") not in edges(server, api_key, flow["id"]), what="Backspace deletes")
    assert page.errors == []  # type: ignore[attr-defined]


def test_right_click_an_edge_opens_its_menu(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    x, y = edge_midpoint(page, "sales", "next", "bye")
    page.mouse.click(x, y, button="right")
    menu = page.get_by_role("menu", name="Actions")
    expect(menu.get_by_role("menuitem", name="Delete connection")).to_be_focused()
    expect(menu.get_by_role("menuitem", name="Paste")).to_have_count(0)  # not the canvas menu
    shot(page, "edge-menu")
    page.keyboard.press("Enter")
    eventually(lambda: ("sales", "next", "bye") not in edges(server, api_key, flow["id"]), what="deleted from the menu")
    assert ("support", "next", "bye") in edges(server, api_key, flow["id"])
    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: ("sales", "next", "bye") in edges(server, api_key, flow["id"]), what="undone")


def test_drag_a_connected_outlet_onto_empty_canvas_disconnects(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    port = card(page, "Main menu").locator('.rf-port[data-outlet="2"]')
    expect(port).to_have_attribute("aria-label", "outlet 2, connected to Support")
    b = port.bounding_box()
    assert b
    ex, ey = empty_point(page)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    page.mouse.down()
    page.mouse.move(ex, ey, steps=10)
    page.mouse.up()
    eventually(lambda: ("menu", "2", "support") not in edges(server, api_key, flow["id"]), what="outlet 2 disconnected")
    expect(port).to_have_attribute("aria-label", "outlet 2, not connected")
    assert ("menu", "1", "sales") in edges(server, api_key, flow["id"])
    # a plain click on a port is not a drag: nothing changes
    p1 = card(page, "Main menu").locator('.rf-port[data-outlet="1"]').bounding_box()
    assert p1
    page.mouse.click(p1["x"] + p1["width"] / 2, p1["y"] + p1["height"] / 2)
    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: ("menu", "2", "support") in edges(server, api_key, flow["id"]), what="undo reconnects")
    assert ("menu", "1", "sales") in edges(server, api_key, flow["id"])


def test_box_select_takes_the_edges_among_the_nodes(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    before = edges(server, api_key, flow["id"])
    a, b = card(page, "Welcome").bounding_box(), card(page, "Main menu").bounding_box()
    assert a and b
    page.keyboard.down("Shift")
    page.mouse.move(min(a["x"], b["x"]) - 20, a["y"] - 30)
    page.mouse.down()
    page.mouse.move(max(a["x"] + a["width"], b["x"] + b["width"]) + 20, b["y"] + b["height"] + 12, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator("#inspector")).to_contain_text("2 nodes selected")
    assert page.evaluate("window.ringflow.engine.selectedEdges().map((r) => r.outlet)") == ["next"]
    shot(page, "edge-box-select")
    page.keyboard.press("Delete")
    eventually(lambda: {n["id"] for n in document(server, api_key, flow["id"])["nodes"]} == {"sales", "support", "bye"}, what="two nodes deleted")
    page.keyboard.press("Control+z")
    eventually(lambda: edges(server, api_key, flow["id"]) == before, what="undo restores the nodes and every edge")


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    ctx = new_context(browser, server, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    yield ctx.new_page()
    ctx.close()


def tap(page: Page, x: float, y: float) -> None:
    """A real touch (DevTools protocol): finger down and up."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y, "id": 0}]})
    page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_tap_an_edge_on_a_phone_and_delete_it_from_the_edit_panel(phone: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(phone, api_key, flow["id"])
    x, y = edge_midpoint(phone, "welcome", "next", "menu")
    tap(phone, x + 8, y)  # a finger is not a mouse: a little off the line still hits it
    phone.get_by_role("button", name="Edit", exact=True).click()
    expect(phone.locator("#inspector")).to_contain_text("Welcome, outlet next, to Main menu")
    shot(phone, "phone-edge-selected")
    phone.get_by_role("button", name="Delete connection").click()
    eventually(lambda: ("welcome", "next", "menu") not in edges(server, api_key, flow["id"]), what="deleted by touch")
    phone.get_by_role("button", name="Undo").click()
    eventually(lambda: ("welcome", "next", "menu") in edges(server, api_key, flow["id"]), what="undo by touch")
