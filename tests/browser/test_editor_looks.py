"""Every mode in both themes, at rest and with live traffic: what each shows, and the pictures.

The screenshots land in $RINGFLOW_SCREENSHOTS (editor-<mode>-<theme>-<rest|traffic>.png); the ones in
docs/img/ were taken by this test (1280x800) and are discussed in docs/editor-ui.md. Traffic is fed to
the engine exactly as the counts stream delivers it (`setLive(nodes, outlets)`, cumulative outlets)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, Server, new_context, open_editor, shot

pytestmark = pytest.mark.browser

MODES = ["beauty", "balanced", "high-performance", "enterprise"]
CALLS = {"menu": 3, "sales": 2, "agents": 5, "vm": 1, "hours": 1}
OUTLETS = {"welcome.next": 12, "hours.open": 10, "hours.closed": 1, "menu.1": 3, "menu.2": 5, "menu.3": 1,
           "account.success": 4, "sales.completed": 2}


def showcase() -> dict[str, Any]:
    """A small support line with the usual parts: hours, a menu, a transfer, a lookup, a queue, voicemail."""
    def n(id: str, type: str, x: int, y: int, label: str, **config: Any) -> dict[str, Any]:
        return {"id": id, "type": type, "x": x, "y": y, "label": label, "config": config}
    return {
        "name": "Support line", "start": "welcome",
        "nodes": [
            n("welcome", "say", 480, 0, "Welcome", text="Thanks for calling Acme."),
            n("hours", "business_hours", 480, 150, "Opening hours"),
            n("closed", "say", 860, 300, "We are closed", text="We are closed right now."),
            n("menu", "menu", 480, 300, "Main menu", prompt="Press 1 for sales, 2 for support, 3 to leave a message.", digits=["1", "2", "3"]),
            n("sales", "transfer", 80, 480, "Sales desk", to="+15550100"),
            n("account", "http", 480, 480, "Look up account", url="https://crm.example.com/lookup"),
            n("vm", "record", 860, 480, "Voicemail"),
            n("agents", "enqueue", 480, 650, "Support queue", queue="support"),
            n("thanks", "say", 860, 650, "Thanks", text="Thanks, we will call you back."),
            n("bye", "hangup", 480, 820, "Goodbye"),
        ],
        "edges": [
            {"source": "welcome", "outlet": "next", "target": "hours"},
            {"source": "hours", "outlet": "open", "target": "menu"},
            {"source": "hours", "outlet": "closed", "target": "closed"},
            {"source": "closed", "outlet": "next", "target": "vm"},
            {"source": "menu", "outlet": "1", "target": "sales"},
            {"source": "menu", "outlet": "2", "target": "account"},
            {"source": "menu", "outlet": "3", "target": "vm"},
            {"source": "menu", "outlet": "timeout", "target": "bye"},
            {"source": "sales", "outlet": "completed", "target": "bye"},
            {"source": "account", "outlet": "success", "target": "agents"},
            {"source": "account", "outlet": "failed", "target": "agents"},
            {"source": "vm", "outlet": "recorded", "target": "thanks"},
            {"source": "agents", "outlet": "completed", "target": "bye"},
            {"source": "thanks", "outlet": "next", "target": "bye"},
            {"source": "menu", "outlet": "invalid", "target": "bye"},
            {"source": "sales", "outlet": "busy", "target": "agents"},
            {"source": "sales", "outlet": "no_answer", "target": "agents"},
            {"source": "sales", "outlet": "failed", "target": "agents"},
            {"source": "vm", "outlet": "no_audio", "target": "bye"},
            {"source": "vm", "outlet": "hangup", "target": "bye"},
            {"source": "agents", "outlet": "failed", "target": "bye"},
        ],
    }


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[tuple[Page, str]]:
    """A page whose system theme is light or dark (the editor follows it unless told otherwise)."""
    ctx = new_context(browser, server, viewport={"width": 1280, "height": 800}, color_scheme=request.param)
    yield ctx.new_page(), request.param
    ctx.close()


def traffic(page: Page) -> None:
    """Two counts events as the stream sends them: the first sets the outlet baseline, the second adds traversals."""
    page.evaluate("([calls, outlets]) => { const e = window.ringflow.engine; e.setLive({}, {}); e.setLive(calls, outlets); }",
                  [CALLS, OUTLETS])


def still(page: Page, clip: dict[str, float]) -> bool:
    a = page.screenshot(clip=clip)
    page.wait_for_timeout(180)
    b = page.screenshot(clip=clip)
    if a != b:  # kept for a look at what moved
        (SCREENSHOTS / "moved-a.png").write_bytes(a)
        (SCREENSHOTS / "moved-b.png").write_bytes(b)
    return a == b


def test_each_mode_in_each_theme_at_rest_and_with_traffic(themed: tuple[Page, str], server: Server, api_key: str) -> None:
    page, theme = themed
    flow = server.flow(api_key, showcase())
    open_editor(page, api_key, flow["id"])
    page.wait_for_function("() => window.ringflow.engine.indexOfId('thanks') >= 0")  # labels and ids are in
    page.get_by_role("button", name="Fit").click()
    page.wait_for_function("() => !window.ringflow.engine.gliding()")
    page.mouse.move(1270, 400)
    canvas_bg = page.evaluate("window.ringflow.engine.theme().bg")
    assert (canvas_bg < "#808080") == (theme == "dark"), f"the canvas follows the {theme} system theme ({canvas_bg})"
    box = page.locator("#stage").bounding_box()
    assert box
    # the canvas between the toolbar and the minimap: frosted glass may re-blur a pixel or two when
    # Chromium repaints another part of the page, which is not the editor drawing anything
    stage = {"x": box["x"], "y": box["y"] + 70, "width": box["width"], "height": box["height"] - 210}
    for mode in MODES:
        page.locator("#mode").select_option(mode)
        page.wait_for_function(f"() => window.ringflow.engine.mode() === '{mode}'")
        page.evaluate("() => window.ringflow.engine.setLive({}, null)")
        expect(page.locator(".rf-calls:visible")).to_have_count(0)
        page.wait_for_timeout(250)
        assert still(page, stage), f"{mode} at rest draws nothing new"
        shot(page, f"editor-{mode}-{theme}-rest")
        traffic(page)
        expect(page.locator(".rf-calls:visible")).to_have_count(len(CALLS))
        shown = sorted(int(t) for t in page.locator(".rf-calls:visible").all_inner_texts())
        assert shown == sorted(CALLS.values())
        page.wait_for_timeout(400)
        moving = not still(page, stage)
        assert moving == (mode in ("beauty", "balanced")), f"{mode}: traffic animates only in beauty and balanced"
        shot(page, f"editor-{mode}-{theme}-traffic")
    page.locator("#mode").select_option("auto")
