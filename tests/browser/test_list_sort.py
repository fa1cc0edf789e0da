"""The flow list sorts by name, last update and size, as a user picks it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, shot, sign_in

pytestmark = pytest.mark.browser


def test_sort_by_name_and_size(page: Page, server: Server, api_key: str) -> None:
    for name, extra in (("bravo line", 0), ("Alpha line", 2), ("Charlie line", 1)):
        doc = menu_flow(name)
        doc["nodes"] += [{"id": f"x{i}", "type": "hangup", "x": 600 + 250 * i, "y": 0} for i in range(extra)]
        server.flow(api_key, doc)
    sign_in(page, api_key)
    names = page.locator("#flow-rows a.flow-name")
    expect(names).to_have_text(["Charlie line", "Alpha line", "bravo line"])  # newest first
    page.get_by_label("Sort by").select_option("name")
    expect(names).to_have_text(["Alpha line", "bravo line", "Charlie line"])  # A to Z, letter case aside
    page.get_by_label("Sort by").select_option("size")
    expect(names).to_have_text(["Alpha line", "Charlie line", "bravo line"])  # most nodes first
    shot(page, "list-sorted-by-size")
