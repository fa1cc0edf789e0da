"""Two editors on one flow: live changes arrive with a notice; a stale save is refused and the view refreshed."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot
from tests.browser.helpers import card, document, eventually, node

pytestmark = pytest.mark.browser


@contextmanager
def second_editor(page: Page, browser: Browser, server: Server, api_key: str, flow_id: int) -> Iterator[Page]:
    """Another signed-in editor on the same flow, in its own browser context."""
    ctx = new_context(browser, server)
    try:
        other = ctx.new_page()
        open_editor(other, api_key, flow_id)
        page.wait_for_timeout(500)  # both event streams are connected
        yield other
    finally:
        ctx.close()


def test_change_in_one_editor_appears_live_in_another(page: Page, browser: Browser, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    with second_editor(page, browser, server, api_key, flow["id"]) as other:
        card(other, "Support").click()
        other.locator("#prop-label").fill("Technical support")
        other.locator("#prop-label").press("Tab")
        expect(card(page, "Technical support")).to_be_visible(timeout=10_000)
        expect(page.locator(".toast")).to_contain_text("Another editor changed this flow")
        shot(page, "editor-live-update")


def test_start_and_name_changed_in_one_editor_show_live_in_another(page: Page, browser: Browser, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    expect(card(page, "Welcome")).to_have_class(re.compile(r"\brf-start\b"))  # the start is marked on its card
    card(page, "Support").click()  # this editor looks at Support's properties meanwhile
    expect(page.get_by_role("button", name="Make this the start node")).to_be_visible()
    with second_editor(page, browser, server, api_key, flow["id"]) as other:
        card(other, "Support").click()
        other.get_by_role("button", name="Make this the start node").click()
        expect(other.locator("#inspector .start-flag")).to_contain_text("The call starts here")
        # the first editor follows without a reload: card marker, accessible name and properties panel
        expect(card(page, "Support")).to_have_class(re.compile(r"\brf-start\b"), timeout=10_000)
        expect(card(page, "Welcome")).not_to_have_class(re.compile(r"\brf-start\b"))
        expect(card(page, "Support")).to_have_attribute("aria-label", re.compile("start of the call"))
        expect(page.locator("#inspector .start-flag")).to_contain_text("The call starts here")
        expect(page.get_by_role("button", name="Make this the start node")).to_have_count(0)
        shot(page, "editor-live-start")
        assert document(server, api_key, flow["id"])["start"] == "support"
        other.locator("#flow-name").fill("Support line (weekends)")
        other.locator("#flow-name").press("Enter")
        expect(page.locator("#flow-name")).to_have_value("Support line (weekends)", timeout=10_000)  # a rename follows too
        expect(page).to_have_title(re.compile("Support line \\(weekends\\)"))


def test_stale_save_is_refused_and_the_view_refreshed(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    page.route("**/events*", lambda route: route.abort())  # no live stream: this editor cannot know
    open_editor(page, api_key, flow["id"])
    status, meta = server.call("GET", f"/api/v1/flows/{flow['id']}", token=api_key)
    code, body = server.patch(api_key, flow["id"], meta["revision"], [{"op": "update_node", "id": "sales", "label": "Sales team"}])
    assert code == 200, body
    card(page, "Main menu").click()
    page.locator("#prop-label").fill("My stale edit")
    page.locator("#prop-label").press("Tab")
    expect(page.locator(".toast-warning")).to_contain_text("changed elsewhere", timeout=10_000)
    expect(page.locator("#save-status")).to_contain_text("Reloaded")
    expect(card(page, "Sales team")).to_be_visible()  # the view shows the server's state...
    expect(card(page, "Main menu")).to_be_visible()  # ...and not the refused edit
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()  # history of another revision is gone
    shot(page, "editor-conflict")
    doc = document(server, api_key, flow["id"])
    assert node(doc, "menu")["label"] == "Main menu"  # nothing overwritten silently
    assert node(doc, "sales")["label"] == "Sales team"
    card(page, "Main menu").click()  # and editing works again at the new revision
    page.locator("#prop-label").fill("Edit after reload")
    page.locator("#prop-label").press("Tab")
    eventually(lambda: node(document(server, api_key, flow["id"]), "menu")["label"] == "Edit after reload", what="edit after reload")
