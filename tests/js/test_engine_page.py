"""The engine alone in Chromium (js/engine/dev.html on a synthetic flow, no server): gestures do
what a user expects, at every level of detail, within the DOM budget. The full editor page is
covered by tests/browser (the UI's suite)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

WEB = Path(__file__).resolve().parents[2] / "ringflow" / "web"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(port), "-d", str(WEB)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/js/engine/dev.html"
    srv.terminate()
    srv.wait(5)


def open_dev(browser, base: str, qs: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}?{qs}")
    page.wait_for_function("document.documentElement.dataset.ready === '1'", timeout=30000)
    page.wait_for_timeout(200)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def card_center(page, index: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    box = page.locator(f'.rf-card[data-index="{index}"]').bounding_box()
    assert box, f"node {index} has no card"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 3


def test_near_cards_are_accessible_and_within_budget(browser, base: str) -> None:
    page = open_dev(browser, base, "n=2000")
    cards = page.locator(".rf-card:visible")
    assert 5 <= cards.count() <= 150
    first = cards.first
    assert first.get_attribute("role") == "group"  # a group may hold the outlet buttons (axe nested-interactive)
    assert first.get_attribute("tabindex") == "0"
    assert ":" in (first.get_attribute("aria-label") or "")
    assert page.evaluate("document.getElementsByTagName('*').length") <= 2000
    assert page.evaluate("window.ringflow.metrics().lod") == "near"
    assert not page.errors  # type: ignore[attr-defined]
    page.close()


def test_drag_moves_a_node_once_and_undo_puts_it_back(browser, base: str) -> None:
    page = open_dev(browser, base, "n=200")
    x0 = page.evaluate("window.ringflow.engine.state.x[0]")
    cx, cy = card_center(page, 0)
    page.mouse.move(cx, cy)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(cx + 12 * k, cy + 5 * k)
    page.mouse.up()
    page.wait_for_timeout(100)
    assert page.evaluate("window.ringflow.engine.state.x[0]") == pytest.approx(x0 + 120, abs=1)
    assert page.evaluate("window.ringflow.engine.canUndo()")
    page.evaluate("window.ringflow.engine.undo()")
    assert page.evaluate("window.ringflow.engine.state.x[0]") == pytest.approx(x0, abs=0.5)
    assert not page.evaluate("window.ringflow.engine.canUndo()"), "one drag is one undo entry"
    page.close()


def test_space_drag_over_a_node_pans_instead_of_moving_it(browser, base: str) -> None:
    page = open_dev(browser, base, "n=200")
    before = page.evaluate("window.ringflow.viewport()")
    x0 = page.evaluate("window.ringflow.engine.state.x[0]")
    cx, cy = card_center(page, 0)
    page.mouse.move(cx, cy)
    page.keyboard.down("Space")
    page.mouse.down()
    page.mouse.move(cx - 150, cy - 60, steps=8)
    page.mouse.up()
    page.keyboard.up("Space")
    after = page.evaluate("window.ringflow.viewport()")
    assert after["x"] == pytest.approx(before["x"] + 150, abs=1)
    assert page.evaluate("window.ringflow.engine.state.x[0]") == x0
    page.close()


def test_wheel_zooms_at_the_cursor_through_every_level_of_detail(browser, base: str) -> None:
    page = open_dev(browser, base, "n=20000")
    world = page.evaluate("window.ringflow.engine.screenToWorld(300, 200)")
    page.mouse.move(300, 200)
    lods = set()
    for _ in range(25):
        page.mouse.wheel(0, 240)
        page.wait_for_timeout(40)
        lods.add(page.evaluate("window.ringflow.metrics().lod"))
        assert page.evaluate("document.getElementsByTagName('*').length") <= 2000
    after = page.evaluate("window.ringflow.engine.screenToWorld(300, 200)")
    assert after["x"] == pytest.approx(world["x"], abs=2) and after["y"] == pytest.approx(world["y"], abs=2)
    assert {"near", "mid", "far"} <= lods
    assert page.locator(".rf-card:visible").count() == 0, "no cards when zoomed out"
    page.close()


def test_shift_drag_box_selects(browser, base: str) -> None:
    page = open_dev(browser, base, "n=200&zoom=0.5")
    page.keyboard.down("Shift")
    page.mouse.move(3, 60)
    page.mouse.down()
    page.mouse.move(1270, 790, steps=6)
    page.mouse.up()
    page.keyboard.up("Shift")
    n = page.evaluate("window.ringflow.engine.selection().length")
    assert n > 5
    assert page.locator(".rf-card.rf-selected").count() > 0
    page.close()


def test_drag_from_an_outlet_to_a_node_connects_them(browser, base: str) -> None:
    page = open_dev(browser, base, "n=200")
    edges = page.evaluate("window.ringflow.engine.state.ecount")
    port = page.locator('.rf-card[data-index="2"] .rf-port').first.bounding_box()
    assert port
    tx, ty = card_center(page, 1)
    page.mouse.move(port["x"] + 7, port["y"] + 7)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    page.wait_for_timeout(100)
    assert page.evaluate("window.ringflow.engine.state.ecount") >= edges
    found = page.evaluate("(() => { const s = window.ringflow.engine.state; for (let j = 0; j < s.ecount; j++) if (s.esrc[j] === 2 && s.edst[j] === 1) return true; return false; })()")
    assert found
    page.close()


def test_p_toggles_the_monitoring_overlay_with_live_figures(browser, base: str) -> None:
    page = open_dev(browser, base, "n=500")
    overlay = page.locator(".rf-overlay")
    assert overlay.is_hidden()
    page.keyboard.press("p")
    assert overlay.is_visible()
    page.wait_for_timeout(600)
    assert page.locator('.rf-overlay [data-metric="nodes"]').text_content() == "500"
    assert page.locator('.rf-overlay [data-metric="mode"]').text_content() == "beauty"
    page.keyboard.press("P")
    assert overlay.is_hidden()
    page.close()


def test_an_idle_editor_draws_nothing(browser, base: str) -> None:
    page = open_dev(browser, base, "n=1000&mode=high-performance")
    page.wait_for_timeout(300)
    page.evaluate("""() => { window.__fills = 0; const ctx = document.getElementById('canvas').getContext('2d');
      const orig = ctx.fillRect.bind(ctx); ctx.fillRect = (...a) => { window.__fills++; return orig(...a); }; }""")
    page.wait_for_timeout(600)
    assert page.evaluate("window.__fills") == 0, "no drawing while nothing changes"
    page.evaluate("window.ringflow.engine.setCamera({...window.ringflow.engine.camera, x: 10})")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__fills") >= 1, "a change draws"
    page.close()
