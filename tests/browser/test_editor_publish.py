"""Validate and publish from the editor: problems listed and jumpable, then a clean validation, a publish and its history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import eventually, card, viewport

pytestmark = pytest.mark.browser


def test_publish_with_problems_then_fix_and_publish(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow()
    doc["nodes"][2]["config"]["text"] = ""  # "Sales" says nothing: an error
    doc["nodes"][2]["x"] = 9000  # far away, so jumping to it has to move the view
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    expect(page.locator("#problems-bar")).to_contain_text("1 error")
    expect(page.locator("#pub-status")).to_have_text("Not published")
    page.get_by_role("button", name="Publish", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("1 error: errors must be fixed first")  # the badge's count, before publishing
    dialog.get_by_role("button", name="Publish now").click()
    expect(dialog).to_contain_text("Cannot publish yet")
    expect(dialog).to_contain_text("must not be empty")
    shot(page, "editor-publish-problems")
    dialog.get_by_role("button", name="sales").click()  # jump to the node with the problem
    expect(dialog).to_be_hidden()
    expect(page.locator("#prop-label")).to_have_value("Sales")
    eventually(lambda: viewport(page)["x"] > 5000, what="the view glides to the node")
    page.locator("#prop-text").fill("Connecting you to sales.")
    page.locator("#prop-text").press("Tab")
    expect(page.locator("#problems-bar")).to_be_hidden()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("dialog")).to_contain_text("No problems found")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(card(page, "Sales")).not_to_contain_class("rf-problem")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_label("Version name (optional)").fill("First release")
    page.get_by_label("Version name (optional)").press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("The flow is live as version 1")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    status, meta = server.call("GET", f"/api/v1/flows/{flow['id']}", token=api_key)
    assert meta["status"] == "published"
    number = meta["published_revision"]
    expect(page.locator("#pub-status")).to_have_text("Published v1")
    page.get_by_role("button", name="History").click()
    history = page.locator("#history")
    expect(history).to_contain_text("Version 1 “First release”")
    history.get_by_role("button", name="View Version 1").click()
    expect(history).to_contain_text("Version 1 “First release” (read-only)")
    expect(history).to_contain_text("5 nodes, 7 edges")
    expect(history).to_contain_text("1 → Sales")
    shot(page, "editor-history")


def test_the_editor_warns_while_unsigned_webhooks_are_allowed(page: Page, server: Server, api_key: str) -> None:
    """Issue 14, M1: the opt-in that lets anyone drive the account's calls is never silent."""
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    expect(page.locator("#unsigned-webhooks")).to_be_hidden()  # the default: refused, nothing to warn about
    status, body = server.call("PATCH", "/api/v1/telephony", {"allow_unsigned_webhooks": True}, token=api_key)
    assert status == 200 and body["allow_unsigned_webhooks"] is True
    page.reload()
    page.locator("html[data-ready='1']").wait_for(state="attached", timeout=15_000)
    badge = page.locator("#unsigned-webhooks")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("Unsigned webhooks allowed")
    expect(badge).to_have_attribute("title", re.compile("without a signature"))
    shot(page, "editor-unsigned-webhooks")
    server.call("PATCH", "/api/v1/telephony", {"allow_unsigned_webhooks": False}, token=api_key)
