"""The list page as a customer sees it: sign in, create, search, load more, import, delete, sign out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, shot, sign_in

pytestmark = pytest.mark.browser


def test_wrong_key_is_refused_with_a_message(page: Page, server: Server) -> None:
    page.goto("/")
    page.get_by_label("API key").fill("rf_not_a_real_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    expect(page.get_by_role("heading", name="Flows")).to_be_hidden()


def test_sign_in_lists_only_my_flows_and_search_filters(page: Page, server: Server, api_key: str) -> None:
    server.flow(api_key, menu_flow("Billing hotline"))
    server.flow(api_key, menu_flow("Sales line"))
    other = server.customer("Someone else")
    server.flow(other, menu_flow("Secret flow of another customer"))
    sign_in(page, api_key)
    rows = page.locator("#flow-rows tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#flow-rows")).not_to_contain_text("Secret flow")
    page.get_by_label("Search flows by name").fill("billing")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Billing hotline")
    page.get_by_label("Search flows by name").fill("nothing like this")
    expect(page.locator("#flows-empty")).to_contain_text("No flow matches")
    shot(page, "list-search-empty")


def test_load_more_pages_through_many_flows(page: Page, server: Server, api_key: str) -> None:
    for i in range(27):
        server.flow(api_key, menu_flow(f"Flow {i:02d}"))
    sign_in(page, api_key)
    rows = page.locator("#flow-rows tr")
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(27)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()


def test_create_opens_the_new_flow_and_delete_asks_first(page: Page, server: Server, api_key: str) -> None:
    sign_in(page, api_key)
    page.get_by_label("New flow name").fill("Reception")
    page.get_by_role("button", name="Create flow").click()
    page.wait_for_url("**/flows/*")
    page.goto("/")
    row = page.locator("#flow-rows tr", has_text="Reception")
    expect(row).to_have_count(1)
    shot(page, "list")
    row.get_by_role("button", name="Delete Reception").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Delete Reception").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#flow-rows tr", has_text="Reception")).to_have_count(0)
    page.reload()
    expect(page.locator("#flows-empty")).to_be_visible()


def test_import_a_file_and_a_bad_file(page: Page, server: Server, api_key: str, tmp_path: Path) -> None:
    good = tmp_path / "imported.json"
    good.write_text(json.dumps(menu_flow("Imported IVR")))
    bad = tmp_path / "broken.json"
    bad.write_text("{ this is not json")
    sign_in(page, api_key)
    page.locator("#import-file").set_input_files(str(bad))
    expect(page.locator(".toast-error")).to_contain_text("not a JSON file")
    page.locator("#import-file").set_input_files(str(good))
    page.wait_for_url("**/flows/*")
    page.goto("/")
    expect(page.locator("#flow-rows")).to_contain_text("Imported IVR")


def test_sign_out_returns_to_sign_in(page: Page, server: Server, api_key: str) -> None:
    sign_in(page, api_key)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    page.reload()
    expect(page.get_by_label("API key")).to_be_visible()


def test_list_page_fits_a_phone(browser, server: Server, api_key: str) -> None:  # noqa: ANN001
    from tests.browser.conftest import new_context

    server.flow(api_key, menu_flow("A flow with a rather long name for a small screen"))
    ctx = new_context(browser, server, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = ctx.new_page()
        sign_in(page, api_key)
        expect(page.locator("#flow-rows tr")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.get_by_role("button", name="Create flow")).to_be_visible()
        shot(page, "phone-list")
    finally:
        ctx.close()


def test_export_downloads_the_flow_document(page: Page, server: Server, api_key: str) -> None:
    server.flow(api_key, menu_flow("Night line"))
    sign_in(page, api_key)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export Night line as JSON").click()
    download = info.value
    assert download.suggested_filename == "Night line.json"
    doc = json.loads(Path(download.path()).read_text())
    assert doc["name"] == "Night line"
    assert {n["id"] for n in doc["nodes"]} == {n["id"] for n in menu_flow()["nodes"]}
