"""Opening the editor in odd situations: signed out, someone else's flow, a bad address, an empty flow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, sign_in
from tests.browser.helpers import card, document, eventually

pytestmark = pytest.mark.browser


def test_signed_out_editor_goes_to_sign_in(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    page.goto(f"/flows/{flow['id']}")
    page.wait_for_url(server.base + "/")
    expect(page.get_by_label("API key")).to_be_visible()


def test_another_customers_flow_looks_like_no_flow(page: Page, server: Server, api_key: str) -> None:
    theirs = server.flow(server.customer("Rival"), menu_flow("Rival secret"))
    sign_in(page, api_key)
    page.goto(f"/flows/{theirs['id']}")
    expect(page.get_by_role("alert")).to_contain_text("does not exist")
    expect(page.locator("body")).not_to_contain_text("Rival secret")
    page.goto("/flows/not-a-number")
    expect(page.get_by_role("alert")).to_contain_text("does not name a flow")


def test_an_empty_flow_can_be_built_from_nothing(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, {"name": "Blank", "nodes": [], "edges": []})
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Add Say", exact=True).click()
    expect(card(page, "Say")).to_be_visible()
    page.locator("#prop-text").fill("Hello there")
    page.locator("#prop-text").press("Tab")
    eventually(lambda: [n["config"].get("text") for n in document(server, api_key, flow["id"])["nodes"]] == ["Hello there"], what="saved")
    expect(page.locator("#problems-bar")).to_contain_text("error")  # no start node yet
    page.get_by_role("button", name="Make this the start node").click()
    expect(page.locator("#inspector")).to_contain_text("The call starts here.")
    new_id = document(server, api_key, flow["id"])["nodes"][0]["id"]
    eventually(lambda: server.call("GET", f"/api/v1/flows/{flow['id']}", token=api_key)[1]["start"] == new_id, what="start saved")
    expect(page.locator("#problems-bar")).not_to_contain_text("error")  # only a warning is left (outlet not connected)
    page.locator("#prop-label").fill("Greeting")  # and editing goes on at the new revision
    page.locator("#prop-label").press("Tab")
    eventually(lambda: document(server, api_key, flow["id"])["nodes"][0]["label"] == "Greeting", what="edit after start")
    assert page.errors == []  # type: ignore[attr-defined]
