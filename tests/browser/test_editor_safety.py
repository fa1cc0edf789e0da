"""Hostile labels and config are shown as text: no script runs, no element is injected."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import card

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def test_script_in_label_and_config_is_inert_everywhere(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow(name=f"Flow {XSS}")
    doc["nodes"][0]["label"] = f"Hi {XSS}"
    doc["nodes"][0]["config"]["text"] = f"Say {XSS}"
    doc["nodes"][1]["config"]["digits"] = ["1", "2"]
    flow = server.flow(api_key, doc)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_editor(page, api_key, flow["id"])
    page.goto("/")
    expect(page.locator("#flow-rows")).to_contain_text("<img src=x")  # shown as text on the list page
    page.goto(f"/flows/{flow['id']}")
    page.locator("html[data-ready='1']").wait_for(state="attached")
    node_card = card(page, "Hi <img")
    expect(node_card).to_contain_text("<script>")
    node_card.click()
    expect(page.locator("#prop-label")).to_have_value(f"Hi {XSS}")
    expect(page.locator("#prop-text")).to_have_value(f"Say {XSS}")
    page.keyboard.press("Control+f")
    page.keyboard.type("Hi <img")
    expect(page.get_by_role("option").first).to_contain_text("<script>")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Outline").click()
    expect(page.locator("#outline")).to_contain_text("Hi <img src=x")
    shot(page, "editor-xss-inert")
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("body script").count() == 0
    assert dialogs == []
    assert page.errors == []  # type: ignore[attr-defined]
