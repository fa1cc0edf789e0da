"""A big flow (12,000 nodes, enterprise mode): the DOM stays small, the outline pages what is in
view, and search still jumps anywhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ringflow.model.demo import generate_flow
from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import card, viewport

pytestmark = pytest.mark.browser


def test_big_flow_stays_light_and_navigable(page: Page, server: Server, api_key: str) -> None:
    doc = generate_flow(12_000)
    far = next(n for n in doc["nodes"] if n["id"] == "b500_menu")
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    assert page.evaluate("document.getElementsByTagName('*').length") < 2000
    assert page.evaluate("window.ringflow.metrics().mode") == "enterprise"
    page.get_by_role("button", name="Outline").click()
    outline = page.locator("#outline")
    expect(outline).to_contain_text("in view", timeout=15_000)  # a big flow on a busy machine: allow more time
    assert outline.locator(".outline-node").count() <= 50
    page.keyboard.press("Control+f")
    page.keyboard.type(far["id"])
    expect(page.get_by_role("option", name=far["label"]).first).to_be_visible(timeout=15_000)
    page.keyboard.press("Enter")
    expect(page.locator("#prop-label")).to_have_value(far["label"], timeout=15_000)
    expect(card(page, far["label"])).to_be_visible(timeout=15_000)
    expect(outline).to_contain_text(far["label"], timeout=15_000)  # the outline followed the jump
    v = viewport(page)
    assert abs(v["y"] - far["y"]) < 2000
    shot(page, "editor-big-flow")
    assert page.evaluate("document.getElementsByTagName('*').length") < 2000
