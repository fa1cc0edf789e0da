"""A keyboard-only user builds a flow (issue 15, item 2): Say → Menu → Transfer / Hang up, set up,
connected and published without touching the mouse; the live region says what each step did,
ports are tab stops, a connected port selects its edge and Delete disconnects it, arrows move a
node (Shift: a bigger step) as the Keys dialog says, Alt+Down follows a connection. axe finds nothing serious with the connect dialog open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import document, eventually, node
from tests.browser.test_accessibility import serious

pytestmark = pytest.mark.browser


def focused(page: Page) -> dict:
    return page.evaluate("""(() => { const a = document.activeElement; return { id: a.id, label: a.getAttribute('aria-label') || '',
      text: (a.textContent || '').trim(), cls: a.className || '' }; })()""")


def tab_to(page: Page, want: str, key: str = "Tab", limit: int = 80) -> None:
    """Press Tab until the focused element's id or aria-label is `want` (as a user does)."""
    for _ in range(limit):
        f = focused(page)
        if want in (f["id"], f["label"]):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{want!r} is not reachable with {key}; focus is on {focused(page)}")


def add(page: Page, type_title: str) -> None:
    page.keyboard.press("n")
    expect(page.locator("#palette-filter")).to_be_focused()
    page.keyboard.type(type_title)
    page.keyboard.press("Enter")
    eventually(lambda: focused(page)["label"].startswith(f"{type_title}: "), what=f"focus on the new {type_title}")


def edit(page: Page, field: str, text: str) -> None:
    """Enter on the focused card opens its properties; Tab to the field, type, Escape back."""
    card = focused(page)["label"].split(",")[0]  # "Say: Welcome" (the rest summarises the settings being edited)
    page.keyboard.press("Enter")
    expect(page.locator("#prop-label")).to_be_focused()
    tab_to(page, f"prop-{field}")
    page.keyboard.type(text)
    page.keyboard.press("Escape")
    eventually(lambda: focused(page)["label"].split(",")[0] == card, what="back on the card")


def go_to(page: Page, name: str) -> None:
    """Search (/) finds saved nodes: wait, as a user reads, for "All changes saved" first."""
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.keyboard.press("/")
    page.keyboard.type(name)  # "/" selects the last search, so typing replaces it
    expect(page.locator("#search-results .search-hit").first).to_contain_text(name)
    page.keyboard.press("Enter")
    eventually(lambda: f": {name}" in focused(page)["label"], what=f"focus on {name}")


def connect(page: Page, outlet: str, target: str) -> None:
    """From the focused card: Tab to the outlet's port, Enter, type the target, Enter."""
    tab_to(page, f"outlet {outlet}, not connected")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Connect")
    expect(dialog).to_be_visible()
    expect(page.locator("#connect-outlet")).to_have_value(outlet)
    page.keyboard.type(target)
    expect(page.locator("#connect-list [role=option]").first).to_contain_text(target)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    eventually(lambda: focused(page)["label"] == f"outlet {outlet}, connected to {target}", what=f"{outlet} → {target}")


def test_keyboard_only_builds_and_publishes_a_flow(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, {"name": "Keyboard line", "nodes": [], "edges": []})
    open_editor(page, api_key, flow["id"])
    page.locator("body").focus()  # from here on, only the keyboard

    add(page, "Say")
    expect(page.locator("#announcer")).to_have_text("Added Say.")
    edit(page, "text", "Thanks for calling.")
    add(page, "Menu")
    edit(page, "prompt", "Press 1 for sales, 2 to hang up.")
    add(page, "Transfer")
    edit(page, "to", "+15550100")
    add(page, "Hang up")

    go_to(page, "Say")
    connect(page, "next", "Menu")
    expect(page.locator("#announcer")).to_have_text("Connected Say, outlet next, to Menu.")
    go_to(page, "Menu")
    connect(page, "1", "Transfer")
    page.keyboard.press("ArrowRight")  # the next port of the same card
    connect(page, "2", "Hang up")
    shot(page, "keyboard-built")

    # the Keys dialog says how to move a node; arrows move it a grid step, Shift+arrows a big one
    page.keyboard.press("?")
    keys = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keys.get_by_role("row", name="↑ ↓ ← → on a node")).to_contain_text("Move the node")
    expect(keys.get_by_role("row", name="Alt ↓ / Alt ↑ on a node")).to_contain_text("Go to the next node")
    page.keyboard.press("Escape")
    go_to(page, "Hang up")
    doc = document(server, api_key, flow["id"])
    bye = next(n for n in doc["nodes"] if n["type"] == "hangup")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    eventually(lambda: (node(document(server, api_key, flow["id"]), bye["id"])["x"], node(document(server, api_key, flow["id"]), bye["id"])["y"])
               == (bye["x"] + 40, bye["y"] + 100), what="moved 40 right and 100 down")
    expect(page.locator("#announcer")).to_have_text("Moved Hang up.")
    # Alt+Up goes to the node that leads here, Alt+Down back along its connection
    page.keyboard.press("Alt+ArrowUp")
    eventually(lambda: focused(page)["label"].startswith("Menu: "), what="Alt+Up: the menu")
    page.keyboard.press("Alt+ArrowDown")
    eventually(lambda: focused(page)["label"].startswith("Transfer: "), what="Alt+Down: the menu's first outlet (1) leads to the transfer")

    # the Say node is the start: Enter, Tab to "Make this the start node", Enter
    go_to(page, "Say")
    page.keyboard.press("Enter")
    expect(page.locator("#prop-label")).to_be_focused()  # as a user does, wait for the panel to take focus
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Make this the start node")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_contain_text("The call starts here.")

    tab_to(page, "btn-publish")
    page.keyboard.press("Enter")
    expect(page.locator("#version-name")).to_be_focused()  # the publish form asks for an optional version name
    page.keyboard.type("Keyboard build")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Published")
    expect(dialog).to_be_visible()
    shot(page, "keyboard-published")
    page.keyboard.press("Escape")

    doc = document(server, api_key, flow["id"])
    names = {n["id"]: n["type"] for n in doc["nodes"]}
    got = {(names[e["source"]], e["outlet"], names[e["target"]]) for e in doc["edges"]}
    assert got == {("say", "next", "menu"), ("menu", "1", "transfer"), ("menu", "2", "hangup")}
    assert names[doc["start"]] == "say"
    status, meta = server.call("GET", f"/api/v1/flows/{flow['id']}", token=api_key)
    assert meta["published_revision"], meta
    assert page.errors == []  # type: ignore[attr-defined]


def test_keyboard_selects_and_deletes_an_edge_and_axe_is_clean(page: Page, server: Server, api_key: str) -> None:
    from tests.browser.conftest import menu_flow
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.locator(".rf-card:visible", has_text="Welcome").first.focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "outlet next, connected to Main menu")
    expect(page.locator("#inspector")).to_contain_text("Welcome, outlet next, to Main menu")  # the edge is selected
    shot(page, "keyboard-edge-selected")
    page.keyboard.press("Delete")
    eventually(lambda: all(e["source"] != "welcome" for e in document(server, api_key, flow["id"])["edges"]), what="disconnected by keyboard")
    expect(page.locator("#announcer")).to_have_text("Disconnected Welcome, outlet next, from Main menu.")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "outlet next, not connected")
    # the card's menu from the keyboard has Connect… and Disconnect
    page.keyboard.press("Escape")
    page.locator(".rf-card:visible", has_text="Main menu").first.focus()
    page.keyboard.press("Shift+F10")
    menu = page.get_by_role("menu", name="Actions")
    expect(menu.get_by_role("menuitem", name="Connect…")).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Disconnect 1 → Sales")).to_be_visible()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Connect…")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Connect Main menu")
    expect(dialog).to_be_visible()
    assert serious(page) == []
    shot(page, "keyboard-connect-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Keys").click()
    keys = page.get_by_role("dialog", name="Keyboard shortcuts")
    for action in ("Add a node", "Connect it", "disconnect it", "Move the node", "The node's menu", "Select it"):
        expect(keys).to_contain_text(action)
