"""The toolbar's Layout arranges the flow with the server's layered layout (POST /api/v1/layout, the
one `ringflow demo` uses): a scrambled demo block goes back to the demo's rows and columns, one
Ctrl+Z puts every card back, the button is reached with Tab and pressed with Enter, and a failed
request says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ringflow.model.demo import generate_flow
from tests.browser.conftest import Server, open_editor
from tests.browser.helpers import document, eventually

pytestmark = pytest.mark.browser


def scrambled_demo() -> tuple[dict[str, Any], dict[str, tuple[float, float]]]:
    """A 20-node demo block with its cards dealt onto a zigzag (edges cross everywhere), and where the demo put them."""
    doc: dict[str, Any] = dict(generate_flow(20, name="Scrambled demo", seed=1))
    laid = {n["id"]: (n["x"], n["y"]) for n in doc["nodes"]}
    for i, n in enumerate(doc["nodes"]):
        n["x"], n["y"] = 300 + (i * 7 % 20) * 230, 200 + (i % 3) * 90
    return doc, laid


def positions(server: Server, key: str, flow_id: int) -> dict[str, tuple[float, float]]:
    return {n["id"]: (n["x"], n["y"]) for n in document(server, key, flow_id)["nodes"]}


def rows(pos: dict[str, tuple[float, float]]) -> dict[str, int]:
    ys = sorted({y for _, y in pos.values()})
    return {k: ys.index(y) for k, (_, y) in pos.items()}


def test_layout_button_arranges_a_scrambled_demo_like_the_demo_and_undo_restores(page: Page, server: Server, api_key: str,
                                                                                tmp_path: Path) -> None:
    doc, laid = scrambled_demo()
    flow = server.flow(api_key, doc)
    before = positions(server, api_key, flow["id"])
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Fit").click()
    page.wait_for_timeout(600)  # the glide ends
    page.screenshot(path=str(tmp_path / "layout-before.png"))
    page.get_by_role("button", name="Layout").click()
    expect(page.locator(".toast")).to_contain_text("Arranged 20 nodes")

    def arranged() -> dict[str, tuple[float, float]] | None:
        now = positions(server, api_key, flow["id"])
        return now if now != before else None

    after = eventually(arranged, what="the layout saved")
    # the demo's own arrangement, its top-left moved to the scrambled cards' top-left
    dx = min(x for x, _ in before.values()) - min(x for x, _ in laid.values())
    assert {k: x for k, (x, _) in after.items()} == {k: x + dx for k, (x, _) in laid.items()}, "columns as the demo has them"
    assert rows(after) == rows(laid), "rows as the demo has them (taller cards may space them further)"
    assert min(y for _, y in after.values()) == min(y for _, y in before.values()), "the top-left corner stayed"
    row = rows(after)
    forward = [e for e in doc["edges"] if rows(laid)[e["target"]] > rows(laid)[e["source"]]]
    assert len(forward) >= 20, "two thirds of the 36 edges point down (the rest loop back or go across to a hang-up)"
    for e in forward:
        assert after[e["target"]][1] > after[e["source"]][1], f"{e['source']} -> {e['target']} points down"
    assert max(row.values()) >= 6, "the block is in layers, not one row"
    page.wait_for_timeout(600)  # fitted after arranging
    page.screenshot(path=str(tmp_path / "layout-after.png"))
    print(f"screenshots: {tmp_path / 'layout-before.png'} {tmp_path / 'layout-after.png'}")

    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: positions(server, api_key, flow["id"]) == before, what="one Ctrl+Z puts every card back")
    assert page.errors == []  # type: ignore[attr-defined]


def test_layout_is_reached_with_tab_and_pressed_with_enter(page: Page, server: Server, api_key: str) -> None:
    doc, _ = scrambled_demo()
    flow = server.flow(api_key, doc)
    before = positions(server, api_key, flow["id"])
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Fit").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Layout")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_contain_text("Arranged 20 nodes")
    eventually(lambda: positions(server, api_key, flow["id"]) != before, what="the layout saved")
    page.locator("#stage").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: positions(server, api_key, flow["id"]) == before, what="undone")


def test_a_failed_layout_request_says_so_and_moves_nothing(page: Page, server: Server, api_key: str) -> None:
    doc, _ = scrambled_demo()
    flow = server.flow(api_key, doc)
    before = positions(server, api_key, flow["id"])
    open_editor(page, api_key, flow["id"])
    page.route("**/api/v1/layout", lambda route: route.abort("connectionreset"))  # the server is unreachable
    page.get_by_role("button", name="Layout").click()
    expect(page.locator(".toast")).to_contain_text("Layout failed: The server cannot be reached")
    page.wait_for_timeout(500)
    assert positions(server, api_key, flow["id"]) == before
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
