"""History and problems as a user meets them: named versions, a diff drawn on the canvas, restore;
problems in words (labels and field titles), counted alike everywhere, following what is typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import card, eventually
from tests.browser.test_accessibility import serious

pytestmark = pytest.mark.browser


def _publish(page: Page, name: str) -> None:
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_label("Version name (optional)").fill(name)
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("dialog")).to_contain_text("The flow is live as version")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()


def test_versions_diff_on_the_canvas_and_restore(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow("History line"))
    fid = flow["id"]
    for x in (10, 20, 30):  # autosaves before the first publish do not make it "revision 4" for people
        rev = server.call("GET", f"/api/v1/flows/{fid}", token=api_key)[1]["revision"]
        server.patch(api_key, fid, rev, [{"op": "move_node", "id": "bye", "x": x, "y": 480}])
    open_editor(page, api_key, fid)
    _publish(page, "Launch")
    expect(page.locator("#pub-status")).to_have_text("Published v1")
    # edit: change the Sales text, delete Support (and its edges), the header says so
    rev = server.call("GET", f"/api/v1/flows/{fid}", token=api_key)[1]["revision"]
    server.patch(api_key, fid, rev, [{"op": "update_node", "id": "sales", "config": {"text": "Sales here."}},
                                     {"op": "delete_node", "id": "support"}])
    expect(card(page, "Support")).to_have_count(0, timeout=10_000)  # arrives live over the event stream
    expect(page.locator("#pub-status")).to_contain_text("unpublished changes", timeout=10_000)
    page.get_by_role("button", name="History").click()
    history = page.locator("#history")
    expect(history).to_contain_text("Version 1 “Launch”")
    expect(history).to_contain_text("by rf_")
    expect(history).to_contain_text("1 saved change since Version 1")
    history.get_by_role("button", name="Compare Version 1 “Launch” with the draft").click()
    expect(history).to_contain_text("4 changes from Version 1 “Launch” to the draft")
    expect(history.locator("section.diff-changed")).to_contain_text("Sales")
    expect(history.locator("section.diff-removed").first).to_contain_text("Support")
    overlay = page.locator("canvas.diff-overlay")
    expect(overlay).to_have_count(1)
    # the ghost of the removed node is drawn in red where it was: read the overlay's pixels there
    red = page.evaluate("""() => {
      const c = document.querySelector('canvas.diff-overlay'), ctx = c.getContext('2d');
      const d = ctx.getImageData(0, 0, c.width, c.height).data; let red = 0, amber = 0;
      for (let i = 0; i < d.length; i += 4) { if (d[i] > 150 && d[i+1] < 80 && d[i+3] > 200) red++; if (d[i] > 150 && d[i+1] > 80 && d[i+1] < 120 && d[i+2] < 40 && d[i+3] > 200) amber++; }
      return {red, amber};
    }""")
    assert red["red"] > 100 and red["amber"] > 100, red
    # the marks follow the view: pan 80 px and the ghost moves with the canvas
    left = """() => { const c = document.querySelector('canvas.diff-overlay'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let min = 1e9; for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i+1] < 80 && d[i+3] > 200) min = Math.min(min, (i / 4) % c.width);
      return min / (window.devicePixelRatio || 1); }"""
    before = page.evaluate(left)
    page.evaluate("() => { const e = window.ringflow.engine, c = e.camera; e.setCamera({ x: c.x - 80 / c.zoom, y: c.y, zoom: c.zoom }); }")
    page.wait_for_timeout(200)
    assert abs(page.evaluate(left) - before - 80) < 3
    shot(page, "editor-history-diff")
    assert serious(page) == []
    history.get_by_role("button", name="← All versions").click()
    page.once("dialog", lambda d: d.accept())
    history.get_by_role("button", name="Restore Version 1 “Launch”").click()
    expect(card(page, "Support")).to_have_count(1, timeout=10_000)
    expect(overlay).to_have_count(0)
    doc = server.call("GET", f"/api/v1/flows/{fid}/document", token=api_key)[1]
    assert {n["id"] for n in doc["nodes"]} == {"welcome", "menu", "sales", "support", "bye"}
    assert next(n for n in doc["nodes"] if n["id"] == "sales")["config"]["text"] == "Connecting you to sales."
    shot(page, "editor-history-restored")
    assert page.errors == []  # type: ignore[attr-defined]


def test_problems_name_labels_and_field_titles_and_follow_typing(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow("Problems line")
    doc["nodes"].append({"id": "transfer_orv1ud", "type": "transfer", "x": 300, "y": 480, "label": "Sales desk", "config": {"to": ""}})
    doc["edges"].append({"source": "bye", "outlet": "next", "target": "transfer_orv1ud"}) if False else None
    doc["edges"] = [e for e in doc["edges"] if not (e["source"] == "sales")]
    doc["edges"].append({"source": "sales", "outlet": "next", "target": "transfer_orv1ud"})
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    bar = page.locator("#problems-bar")
    expect(bar).to_contain_text("1 error")
    expect(bar).not_to_contain_text("warning")  # Transfer's four open outcomes just end the call
    bar.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Sales desk")
    expect(dialog).to_contain_text("Number to dial")
    expect(dialog).not_to_contain_text("transfer_orv1ud")
    expect(dialog).not_to_contain_text("config.to")
    shot(page, "editor-problems-in-words")
    dialog.get_by_role("button", name="Sales desk").click()
    field = page.locator("#prop-to")
    expect(page.locator("label[for=prop-to]")).to_contain_text("Number to dial")
    field.press_sequentially("+1555", delay=30)  # no blur: the message follows the typing
    expect(bar).to_be_hidden(timeout=8_000)
    assert page.evaluate("document.activeElement.id") == "prop-to"
    assert page.errors == []  # type: ignore[attr-defined]
