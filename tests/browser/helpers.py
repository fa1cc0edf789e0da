"""Small helpers for editor tests: wait for the server to agree, read the canvas' camera."""

from __future__ import annotations

import time
from typing import Any, Callable

from playwright.sync_api import Page

from tests.browser.conftest import Server


def eventually(check: Callable[[], Any], timeout: float = 8.0, what: str = "condition") -> Any:
    """Poll until check() returns something truthy (saves are batched, so the server lags a little)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.15)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


def document(server: Server, key: str, flow_id: int) -> dict[str, Any]:
    status, body = server.call("GET", f"/api/v1/flows/{flow_id}/document", token=key)
    assert status == 200, body
    return body


def node(doc: dict[str, Any], node_id: str) -> dict[str, Any] | None:
    return next((n for n in doc["nodes"] if n["id"] == node_id), None)


def viewport(page: Page) -> dict[str, float]:
    return page.evaluate("window.ringflow.viewport()")


def cards(page: Page, text: str):  # noqa: ANN201 - a Playwright locator
    """The visible cards whose label holds ``text`` (not their type or summary: a Menu's prompt may name another node)."""
    return page.locator(".rf-card:visible").filter(has=page.locator(".rf-card-label", has_text=text))


def card(page: Page, text: str):  # noqa: ANN201 - a Playwright locator
    """The first visible card whose label holds ``text``."""
    return cards(page, text).first


def stage_box(page: Page) -> dict[str, float]:
    box = page.locator("#canvas").bounding_box()
    assert box
    return box


def empty_point(page: Page) -> tuple[float, float]:
    """A point of the canvas with no node under it (top-left corner area)."""
    box = stage_box(page)
    for fx, fy in ((0.05, 0.9), (0.95, 0.1), (0.05, 0.1), (0.5, 0.95)):
        x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
        hit = page.evaluate("([x, y]) => window.ringflow.engine.hitTest(x, y).index", [x - box["x"], y - box["y"]])
        if hit < 0:
            return x, y
    raise AssertionError("no empty point on the canvas")
