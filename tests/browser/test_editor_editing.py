"""Editing in the browser as a user does it, checked both on screen and on the server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import cards, card, document, empty_point, eventually, node, stage_box, viewport

pytestmark = pytest.mark.browser


@pytest.fixture
def flow(server: Server, api_key: str) -> dict:
    return server.flow(api_key, menu_flow())


def test_open_shows_cards_palette_and_no_errors(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    expect(page.locator("#flow-name")).to_have_value("Support line")
    expect(card(page, "Main menu")).to_be_visible()
    expect(card(page, "Welcome")).to_contain_text("Say")
    status, types = server.call("GET", "/api/v1/node-types", token=api_key)
    for t in types["types"]:  # the palette lists every type the server has, none hard-coded
        expect(page.get_by_role("button", name=f"Add {t['title']}", exact=True)).to_be_visible()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    shot(page, "editor")
    assert page.errors == []  # type: ignore[attr-defined]


def test_pan_by_dragging_empty_canvas_and_zoom_with_wheel(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    before = viewport(page)
    x, y = empty_point(page)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 40, steps=6)
    page.mouse.move(x + 120, y - 80, steps=6)
    page.mouse.up()
    after = viewport(page)
    assert after["zoom"] == pytest.approx(before["zoom"])
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    c = card(page, "Main menu").bounding_box()  # Space+drag pans even when starting on a node
    assert c
    page.locator("#stage").focus()
    page.keyboard.down("Space")
    page.mouse.move(c["x"] + c["width"] / 2, c["y"] + 20)
    page.mouse.down()
    page.mouse.move(c["x"] + c["width"] / 2 + 80, c["y"] + 60, steps=8)
    page.mouse.up()
    page.keyboard.up("Space")
    spaced = viewport(page)
    assert (spaced["x"], spaced["y"]) != (after["x"], after["y"])
    moved = page.evaluate("(() => { const e = window.ringflow.engine; const n = e.nodeInfo(e.indexOfId('menu')); return [n.x, n.y]; })()")
    assert moved == [0, 160]  # the node under the pointer did not move
    after = spaced
    box = stage_box(page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    eventually(lambda: viewport(page)["zoom"] > after["zoom"] * 1.1, what="zoom in")
    page.mouse.wheel(0, 800)
    eventually(lambda: viewport(page)["zoom"] < after["zoom"], what="zoom out")


def test_add_from_palette_then_edit_label_undo_and_redo(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Add Pause", exact=True).click()
    expect(page.locator("#prop-label")).to_have_value("Pause")
    added = eventually(lambda: [n for n in document(server, api_key, flow["id"])["nodes"] if n["type"] == "pause"], what="pause saved")
    assert added[0]["config"]["seconds"] == 1
    card(page, "Main menu").click()
    expect(page.locator("#prop-label")).to_have_value("Main menu")
    page.locator("#prop-label").fill("Reception menu")
    page.locator("#prop-label").press("Tab")
    expect(card(page, "Reception menu")).to_be_visible()
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["label"] == "Reception menu", what="label saved")
    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    expect(card(page, "Main menu")).to_be_visible()
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["label"] == "Main menu", what="undo saved")
    page.keyboard.press("Control+Shift+z")
    expect(card(page, "Reception menu")).to_be_visible()
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["label"] == "Reception menu", what="redo saved")
    page.get_by_role("toolbar", name="Canvas tools").get_by_role("button", name="Undo").click()  # the buttons do the same
    expect(card(page, "Main menu")).to_be_visible()
    expect(page.get_by_role("button", name="Redo")).to_be_enabled()


def test_config_fields_are_generated_and_server_problems_show_inline(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    card(page, "Main menu").click()
    expect(page.locator("#prop-timeout")).to_have_value("5")
    expect(page.get_by_label("digits item 1")).to_have_value("1")
    page.locator("#prop-timeout").fill("999")
    page.locator("#prop-timeout").press("Tab")
    problem = page.locator('[data-field="timeout"] .problem')
    expect(problem).to_contain_text("at most 60")
    expect(problem.get_by_role("img", name="Error")).to_be_visible()  # an icon with a name, not colour alone
    expect(page.locator("#prop-timeout")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#problems-bar")).to_contain_text("1 error")
    shot(page, "editor-problem")
    page.locator("#prop-timeout").fill("7")
    page.locator("#prop-timeout").press("Tab")
    expect(problem).to_have_count(0)
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["config"]["timeout"] == 7, what="timeout saved")


def test_connect_an_outlet_to_a_node(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow()
    doc["edges"] = [e for e in doc["edges"] if e["source"] != "support"]
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    port = card(page, "Support").locator(".rf-port").first
    target = card(page, "Goodbye")
    p, t = port.bounding_box(), target.bounding_box()
    assert p and t
    page.mouse.move(p["x"] + p["width"] / 2, p["y"] + p["height"] / 2)
    page.mouse.down()
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + 10, steps=8)
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=4)
    page.mouse.up()
    eventually(lambda: {"source": "support", "outlet": "next", "target": "bye"} in document(server, api_key, flow["id"])["edges"],
               what="edge saved")


def test_copy_and_paste_makes_new_nodes(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    card(page, "Sales").click()
    card(page, "Goodbye").click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    expect(page.locator(".toast")).to_contain_text("Copied 2 nodes")
    page.keyboard.press("Control+v")
    expect(cards(page, "Sales")).to_have_count(2)
    def pasted() -> dict | None:
        d = document(server, api_key, flow["id"])
        return d if len(d["nodes"]) == 7 else None

    doc = eventually(pasted, what="paste saved")
    copies = [n for n in doc["nodes"] if n["id"] not in {x["id"] for x in menu_flow()["nodes"]}]
    assert sorted(n["label"] for n in copies) == ["Goodbye", "Sales"]
    ids = {n["label"]: n["id"] for n in copies}
    assert {"source": ids["Sales"], "outlet": "next", "target": ids["Goodbye"]} in doc["edges"]


def test_search_jumps_to_a_far_node(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow()
    doc["nodes"].append({"id": "faraway", "type": "say", "x": 40000, "y": 30000, "label": "Lost and found", "config": {"text": "hi"}})
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    expect(cards(page, "Lost and found")).to_have_count(0)
    page.keyboard.press("Control+f")
    page.keyboard.type("lost and")
    expect(page.get_by_role("option", name="Lost and found")).to_be_visible()
    shot(page, "editor-search")
    page.keyboard.press("Enter")
    expect(card(page, "Lost and found")).to_be_visible()
    expect(page.locator("#prop-label")).to_have_value("Lost and found")
    eventually(lambda: (lambda v: v["x"] > 30000 and v["y"] > 20000)(viewport(page)), what="the view glides to the result")


def test_rename_the_flow(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    page.locator("#flow-name").fill("Support line v2")
    page.locator("#flow-name").press("Enter")
    eventually(lambda: server.call("GET", f"/api/v1/flows/{flow['id']}", token=api_key)[1]["name"] == "Support line v2", what="rename")
    card(page, "Main menu").click()
    page.locator("#prop-label").fill("After rename")
    page.locator("#prop-label").press("Tab")
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["label"] == "After rename", what="edit after rename")


def test_drag_from_palette_drops_at_the_pointer(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    x, y = empty_point(page)
    box = stage_box(page)
    page.get_by_role("button", name="Add Record", exact=True).drag_to(page.locator("#stage"), target_position={"x": x - box["x"], "y": y - box["y"]})
    expect(page.locator("#prop-label")).to_have_value("Record")
    world = page.evaluate("([x, y]) => window.ringflow.engine.screenToWorld(x, y)", [x - box["x"], y - box["y"]])
    added = eventually(lambda: [n for n in document(server, api_key, flow["id"])["nodes"] if n["type"] == "record"], what="record saved")
    assert abs(added[0]["x"] + 100 - world["x"]) < 5 and abs(added[0]["y"] + 36 - world["y"]) < 5  # centred on the drop


def test_palette_filter_narrows_and_enter_adds(page: Page, server: Server, api_key: str, flow: dict) -> None:
    open_editor(page, api_key, flow["id"])
    page.get_by_label("Filter node types").fill("queue")
    expect(page.get_by_role("button", name="Add Enqueue", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Add Say", exact=True)).to_be_hidden()
    page.get_by_label("Filter node types").press("Enter")
    expect(page.locator("#prop-label")).to_have_value("Enqueue")
