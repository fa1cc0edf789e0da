"""Keyboard and structure: Alt+arrows follow connections, arrows move, Enter edits, Delete deletes, box select,
auto-layout with undo, the outline, rendering modes and the monitoring overlay."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import cards, card, document, empty_point, eventually, node

pytestmark = pytest.mark.browser


def focused_label(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label') || ''")


def test_alt_arrows_follow_connections_enter_edits_delete_deletes(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    card(page, "Welcome").focus()
    page.keyboard.press("Alt+ArrowDown")
    eventually(lambda: "Main menu" in focused_label(page), what="focus on the menu")
    page.keyboard.press("Enter")
    expect(page.locator("#prop-label")).to_have_value("Main menu")
    page.keyboard.press("Escape")
    card(page, "Sales").focus()
    page.keyboard.press("Alt+ArrowRight")
    eventually(lambda: "Support" in focused_label(page), what="next sibling")
    page.keyboard.press("Alt+ArrowUp")
    eventually(lambda: "Main menu" in focused_label(page), what="back up to the menu")
    card(page, "Support").click()
    page.keyboard.press("Delete")
    expect(cards(page, "Support")).to_have_count(0)
    eventually(lambda: node(document(server, api_key, flow["id"]), "support") is None, what="delete saved")
    doc = document(server, api_key, flow["id"])
    assert all("support" not in (e["source"], e["target"]) for e in doc["edges"])  # its edges went with it


def test_box_select_then_layout_and_undo(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow()
    for i, n in enumerate(doc["nodes"]):  # a mess: everything on one diagonal line
        n["x"], n["y"] = i * 230, i * 15
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    a, b = card(page, "Welcome").bounding_box(), card(page, "Main menu").bounding_box()
    assert a and b
    x0, y0 = empty_point(page)
    page.keyboard.down("Shift")
    page.mouse.move(a["x"] - 10, a["y"] - 30)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] + 10, b["y"] + b["height"] + 10, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator("#inspector")).to_contain_text("2 nodes selected")
    page.mouse.click(x0, y0)  # click empty canvas: nothing selected, layout takes the whole flow
    expect(page.locator("#inspector")).to_contain_text("Select a node")
    page.get_by_role("button", name="Layout").click()
    expect(page.locator(".toast")).to_contain_text("Arranged")

    def layered() -> bool:
        d = document(server, api_key, flow["id"])
        y = {n["id"]: n["y"] for n in d["nodes"]}
        # the demo flows' layout: Goodbye, one step from the menu (its timeout), sits in the branches' row
        return y["welcome"] < y["menu"] < y["sales"] == y["support"] == y["bye"]

    eventually(layered, what="layered positions saved")
    shot(page, "editor-layout")
    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["x"] == 230, what="layout undone")


def test_outline_lists_nodes_and_edges_and_jumps(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Outline").click()
    outline = page.locator("#outline")
    expect(outline).to_contain_text("5 nodes, 7 edges")
    expect(outline.get_by_role("list", name="Connections from Main menu")).to_contain_text("1 → Sales")
    outline.get_by_role("button", name="Support — Say, id support").click()
    expect(page.locator("#prop-label")).to_have_value("Support")


def test_every_rendering_mode_draws_the_flow(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Monitor").click()
    overlay = page.get_by_role("status", name="Performance monitor")
    expect(overlay).to_be_visible()
    for mode in ("beauty", "balanced", "high-performance", "enterprise"):
        page.get_by_label("Rendering mode").select_option(mode)
        eventually(lambda: page.evaluate("window.ringflow.metrics().mode") == mode, what=f"mode {mode}")
        expect(overlay).to_contain_text(mode)
        expect(card(page, "Main menu")).to_be_visible()
        shot(page, f"editor-mode-{mode}")
    page.get_by_role("button", name="Monitor").click()
    expect(overlay).to_be_hidden()
    page.locator("#stage").focus()
    page.keyboard.press("p")  # the engine's key and the button stay in step
    expect(overlay).to_be_visible()
    expect(page.get_by_role("button", name="Monitor")).to_have_attribute("aria-pressed", "true")


def test_question_mark_lists_the_shortcuts(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.locator("#stage").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("Undo, redo")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Keys").click()
    expect(dialog).to_be_visible()


def test_right_click_menu_duplicates_and_deletes(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    card(page, "Sales").click(button="right")
    menu = page.get_by_role("menu", name="Actions")
    expect(menu.get_by_role("menuitem", name="Edit")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Duplicate")).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(cards(page, "Sales")).to_have_count(2)
    eventually(lambda: len(document(server, api_key, flow["id"])["nodes"]) == 6, what="duplicate saved")
    card(page, "Goodbye").click(button="right")
    page.get_by_role("menuitem", name="Delete").click()
    eventually(lambda: node(document(server, api_key, flow["id"]), "bye") is None, what="delete saved")
    x, y = empty_point(page)
    page.mouse.click(x, y, button="right")
    expect(page.get_by_role("menuitem", name="Paste")).to_be_enabled()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_be_hidden()
