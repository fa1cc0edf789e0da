"""Issue 14 as the author sees it in the editor: a template over a limit in a test call, and the
problems of a flow too big to list in full."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot

pytestmark = pytest.mark.browser

REPLACE_CHAIN = "{{ 'aaaaaaaaaa' " + "| replace: '', 'aaaaaaaaaa' " * 8 + "| size }}"


def test_a_template_over_a_limit_shows_its_error_in_the_test_call(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, {
        "name": "Greedy", "start": "big",
        "nodes": [{"id": "big", "type": "say", "x": 0, "y": 0, "label": "Big greeting", "config": {"text": REPLACE_CHAIN}},
                  {"id": "bye", "type": "say", "x": 0, "y": 160, "label": "Bye", "config": {"text": "Goodbye."}}],
        "edges": [{"source": "big", "outlet": "next", "target": "bye"}],
    })
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Test call").click()
    page.get_by_label("Run the draft (not the published revision)").check()
    page.get_by_role("button", name="Start test call").click()
    transcript = page.get_by_role("list", name="What the caller hears")
    expect(transcript).to_contain_text("Big greeting: filter replace: the result would be over 65,536 characters")
    expect(transcript).to_contain_text("Goodbye.")  # the call went on
    expect(page.locator("#testcall")).to_contain_text("The call has ended")
    shot(page, "editor-test-call-limit")


def test_the_problems_bar_counts_every_problem_of_a_big_flow(page: Page, server: Server, api_key: str) -> None:
    n = 500
    nodes = [{"id": f"n{i}", "type": "say", "x": (i % 25) * 300, "y": (i // 25) * 200,
              "config": {"text": "hi"} if i % 2 == 0 else {}} for i in range(n)]
    flow = server.flow(api_key, {"name": "Scattered", "start": "n0", "nodes": nodes, "edges": []})
    status, answer = server.call("POST", f"/api/v1/flows/{flow['id']}/validate", token=api_key)
    assert status == 200 and len(answer["problems"]) == 200
    warnings = answer["severity_counts"]["warning"]
    assert warnings >= n - 1  # no node but the start is reachable
    open_editor(page, api_key, flow["id"])
    bar = page.locator("#problems-bar")
    expect(bar).to_contain_text("250 errors")  # every odd node misses its text, though only 200 problems are listed
    expect(bar).to_contain_text(f"{warnings} warnings")
    bar.get_by_role("button").click()
    dialog = page.locator("#publish-dialog")
    expect(dialog).to_contain_text(f"Showing the first 200 of {250 + warnings:,} problems.")
    expect(dialog.locator(".problem-item")).to_have_count(200)
    shot(page, "editor-problems-capped")
