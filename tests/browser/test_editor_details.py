"""Smaller things a new user noticed: the minimap shows a small flow, the monitor says idle when idle."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot

pytestmark = pytest.mark.browser


def test_minimap_shows_a_small_flow_as_boxes(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow("Tiny"))
    open_editor(page, api_key, flow["id"])
    page.wait_for_timeout(300)
    coloured = page.evaluate("""() => {
      const c = document.querySelector('#minimap'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 0; i < d.length; i += 4) { const bg = d[i] === 0xf3 && d[i+1] === 0xf5 && d[i+2] === 0xf7;
        const frame = d[i] === 0x1a && d[i+1] === 0x73 && d[i+2] === 0xe8; if (!bg && !frame) n++; }
      return n; }""")
    assert coloured > 5 * 20, coloured  # five nodes, each a visible box rather than one pixel
    shot(page, "editor-minimap-small")


def test_monitor_says_idle_instead_of_fps_0(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow("Idle"))
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Monitor").click()
    monitor = page.locator(".rf-overlay td[data-metric=fps]")
    expect(monitor).to_have_text("idle", timeout=5_000)  # nothing moves: nothing is drawn
    # a second of continuous panning, one camera move per animation frame, as a held drag makes
    page.evaluate("""() => new Promise((done) => {
      const e = window.ringflow.engine, t0 = performance.now();
      const step = (t) => { const c = e.camera; e.setCamera({ x: c.x + 2, y: c.y, zoom: c.zoom });
        if (t - t0 < 1200) requestAnimationFrame(step); else done(); };
      requestAnimationFrame(step); })""")
    busy = monitor.text_content()
    assert busy not in ("idle", "0", None) and float(busy) > 20, busy
    expect(monitor).to_have_text("idle", timeout=5_000)
