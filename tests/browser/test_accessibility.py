"""axe-core finds no serious or critical violation on the list page and the editor."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot, sign_in
from tests.browser.helpers import cards

pytestmark = pytest.mark.browser


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    found = []
    for v in results.response.get("violations", []):
        if v.get("impact") in ("serious", "critical"):
            targets = [", ".join(n.get("target", [])) for n in v.get("nodes", [])][:5]
            found.append(f"{v['id']} ({v['impact']}): {v.get('help')} at {targets}")
    return found


def test_list_page_sign_in_and_flows_have_no_serious_violations(page: Page, server: Server, api_key: str) -> None:
    page.goto("/")
    page.get_by_label("API key").wait_for()
    assert serious(page) == []
    server.flow(api_key, menu_flow())
    sign_in(page, api_key)
    page.locator("#flow-rows tr").first.wait_for()
    assert serious(page) == []


def test_editor_has_no_serious_violations(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    page.locator(".rf-card").first.wait_for()
    assert serious(page) == []
    cards(page, "Main menu").click()
    page.locator("#prop-label").wait_for()
    for button in ("Outline", "History", "Test call"):
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_timeout(300)
        assert serious(page) == [], button
    page.get_by_role("button", name="Keys").click()
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    assert serious(page) == []
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#palette").wait_for()
    assert serious(page) == [], "phone with the palette open"


def test_dark_theme_has_no_serious_violations(browser: Browser, server: Server, api_key: str) -> None:
    """The dark theme's own colours (css/tokens.css) pass the contrast checks too, with a test call's live badge showing."""
    ctx = new_context(browser, server, color_scheme="dark")
    try:
        page = ctx.new_page()
        flow = server.flow(api_key, menu_flow())
        sign_in(page, api_key)
        page.locator("#flow-rows tr").first.wait_for()
        assert serious(page) == [], "flow list"
        shot(page, "list-dark")
        page.goto(f"/flows/{flow['id']}")  # signed in already
        page.locator("html[data-ready='1']").wait_for(state="attached", timeout=15_000)
        page.locator(".rf-card").first.wait_for()
        assert page.evaluate("window.ringflow.engine.theme().dark") is True
        page.evaluate("() => window.ringflow.engine.setLive({menu: 2}, null)")
        page.locator(".rf-calls:visible").first.wait_for()
        assert serious(page) == [], "editor"
        page.locator(".rf-card:visible", has_text="Main menu").click()
        page.get_by_role("button", name="Test call", exact=True).click()
        page.wait_for_timeout(300)
        assert serious(page) == [], "editor with properties and the test call drawer"
    finally:
        ctx.close()


def test_the_scan_does_see_a_planted_violation(page: Page, server: Server) -> None:
    """Guards the two tests above: a scan that cannot fail would prove nothing."""
    page.goto("/")
    page.get_by_label("API key").wait_for()
    page.evaluate("document.querySelector('main').appendChild(document.createElement('button'))")
    assert any(v.startswith("button-name") for v in serious(page))
