"""'Test a call' in the editor: refused before publishing, then a call walked through with the keypad."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import card
from tests.browser.test_accessibility import serious

pytestmark = pytest.mark.browser


def test_a_call_before_publishing_says_to_publish(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Test call").click()
    page.get_by_role("button", name="Start test call").click()
    expect(page.locator("#testcall [role=alert]")).to_contain_text("publish the flow first")
    expect(page.get_by_role("button", name="Press 1")).to_be_disabled()


def test_a_test_call_walks_the_menu_and_highlights_the_path(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    status, body = server.call("POST", f"/api/v1/flows/{flow['id']}/publish", token=api_key)
    assert status in (200, 201), body
    open_editor(page, api_key, flow["id"])
    expect(page.locator("#pub-status")).to_have_text("Published v1")
    page.get_by_role("button", name="Test call").click()
    panel = page.locator("#testcall")
    page.get_by_role("button", name="Start test call").click()
    transcript = panel.get_by_role("list", name="What the caller hears")
    expect(transcript).to_contain_text("Thanks for calling.")
    expect(transcript).to_contain_text("Press 1 for sales")
    expect(panel).to_contain_text("Now at Main menu (waiting for digits)")
    expect(card(page, "Main menu")).to_contain_class("rf-hl-current")
    expect(card(page, "Welcome")).to_contain_class("rf-hl-path")
    shot(page, "editor-test-call")
    expect(transcript).to_contain_text("Step: Welcome → next")
    page.get_by_role("button", name="Press 7").click()  # not a choice: said so, and the prompt again
    expect(transcript).to_contain_text("Step: Main menu: heard “7”, not a choice: the prompt is played again")
    page.get_by_role("button", name="Press 2").click()
    expect(transcript).to_contain_text("Caller: pressed 2")
    expect(transcript).to_contain_text("Step: Main menu → 2: heard “2”, which matches choice 2")
    expect(transcript).to_contain_text("Step: Support → next")
    expect(transcript).to_contain_text("Connecting you to support.")
    expect(panel).to_contain_text("The call has ended at Goodbye.")
    # the edges taken are drawn (blue) over the canvas: Welcome → Main menu → Support → Goodbye
    blue = page.evaluate("""() => {
      const cs = [...document.querySelectorAll('canvas.diff-overlay')]; let n = 0;
      for (const c of cs) { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 60 && d[i+1] > 90 && d[i+1] < 140 && d[i+2] > 200 && d[i+3] > 200) n++; }
      return n;
    }""")
    assert blue > 200, blue
    shot(page, "editor-test-call-explained")
    assert serious(page) == []  # axe, on the panel with its explained steps
    expect(page.get_by_role("button", name="Press 1")).to_be_disabled()
    expect(card(page, "Support")).to_contain_class("rf-hl-path")
    page.locator("#testcall").get_by_role("button", name="Close test call").click()
    expect(card(page, "Support")).not_to_contain_class("rf-hl-path")  # nothing left behind


def test_speech_and_silence_on_the_draft(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, {
        "name": "Speech line", "start": "ask",
        "nodes": [
            {"id": "ask", "type": "gather", "x": 0, "y": 0, "label": "Ask", "config": {"prompt": "How can we help?", "input": "speech"}},
            {"id": "thanks", "type": "say", "x": -150, "y": 160, "label": "Thanks", "config": {"text": "Thanks, one moment."}},
            {"id": "again", "type": "say", "x": 150, "y": 160, "label": "Again", "config": {"text": "Sorry, I did not hear you."}},
        ],
        "edges": [{"source": "ask", "outlet": "speech", "target": "thanks"}, {"source": "ask", "outlet": "timeout", "target": "again"},
                  {"source": "again", "outlet": "next", "target": "ask"}],
    })
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Test call").click()
    page.get_by_label("Run the draft (not the published revision)").check()
    page.get_by_role("button", name="Start test call").click()
    transcript = page.get_by_role("list", name="What the caller hears")
    expect(transcript).to_contain_text("How can we help?")
    page.get_by_role("button", name="Stay silent").click()
    expect(transcript).to_contain_text("Caller: stayed silent")
    expect(transcript).to_contain_text("Sorry, I did not hear you.")
    page.get_by_label("Caller speech").fill("billing please")
    page.get_by_role("button", name="Say", exact=True).click()
    expect(transcript).to_contain_text("Caller: said “billing please”")
    expect(transcript).to_contain_text("Thanks, one moment.")
    expect(page.locator("#testcall")).to_contain_text("The call has ended at Thanks.")
    expect(page.locator("#testcall")).to_contain_text("Step: Ask → timeout: heard nothing before the timeout")
