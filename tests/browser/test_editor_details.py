"""Smaller things a new user noticed: the minimap shows a small flow, the monitor says idle when idle."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, menu_flow, open_editor, shot
from tests.browser.helpers import eventually

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


def _first_pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of a PNG screenshot (row 0's first pixel is stored raw whatever its filter)."""
    pos, data = 8, b""
    while pos < len(png):
        size = struct.unpack(">I", png[pos:pos + 4])[0]
        if png[pos + 4:pos + 8] == b"IDAT":
            data += png[pos + 8:pos + 8 + size]
        pos += 12 + size
    raw = zlib.decompress(data)
    return raw[1], raw[2], raw[3]


def test_a_big_flow_loads_on_the_canvas_colour_not_black(page: Page, server: Server, api_key: str) -> None:
    from ringflow.model.demo import generate_flow
    from tests.browser.conftest import sign_in

    flow = server.flow(api_key, generate_flow(50_000))
    # a new revision written past the API (another process, no Redis): nothing built it yet, so the
    # editor waits for the skeleton, and what it shows meanwhile is what this test is about
    from ringflow.store import open_store

    store = open_store(server.db)
    try:
        node = store.get_document(flow["customer_id"], flow["id"])["nodes"][0]["id"]
        store.apply_patch(flow["customer_id"], flow["id"], flow["revision"], [{"op": "move_node", "id": node, "x": 0, "y": 0}])
    finally:
        store.close()
    sign_in(page, api_key)
    page.goto(f"/flows/{flow['id']}", wait_until="domcontentloaded")
    box = page.locator("#stage").bounding_box()
    assert box
    clip = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2, "width": 2, "height": 2}
    samples = []
    for _ in range(200):  # what the user sees in the middle of the canvas, until the flow is drawn
        samples.append(_first_pixel(page.screenshot(clip=clip)))
        if page.evaluate("document.documentElement.dataset.ready === '1'"):
            break
    assert len(samples) > 1
    assert not [p for p in samples if max(p) < 60], f"black while loading: {samples[:5]}"


def test_dragging_from_the_palette_shows_where_the_card_lands(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow("Drop"))
    open_editor(page, api_key, flow["id"])
    item = page.get_by_role("button", name="Add Transfer")
    item.scroll_into_view_if_needed()
    src = item.bounding_box()
    stage = page.locator("#canvas").bounding_box()
    assert src and stage
    target = (stage["x"] + stage["width"] - 220, stage["y"] + 140)
    page.mouse.move(src["x"] + 20, src["y"] + 10)
    page.mouse.down()
    page.mouse.move(target[0] - 40, target[1], steps=6)
    page.mouse.move(*target, steps=4)
    preview = page.locator(".drop-preview")
    expect(preview).to_be_visible()
    expect(preview).to_have_text("Transfer")
    box = preview.bounding_box()
    assert box and abs(box["x"] + box["width"] / 2 - target[0]) < 3 and abs(box["y"] + box["height"] / 2 - target[1]) < 3
    shot(page, "editor-drop-preview")
    page.mouse.up()
    expect(preview).to_be_hidden()
    expect(page.locator(".rf-card.rf-t-transfer")).to_have_count(1)
    def landed() -> bool:  # it lands in the outline once its short entry (a rise) is over
        b = page.locator(".rf-card.rf-t-transfer").bounding_box()
        return bool(b and abs(b["x"] - box["x"]) < 4 and abs(b["y"] - box["y"]) < 4)

    eventually(landed, what="the new card in the outline")


def test_each_type_has_its_own_icon_and_badges_match_the_panel(page: Page, server: Server, api_key: str) -> None:
    doc = menu_flow("Icons")
    doc["nodes"].append({"id": "lonely", "type": "hangup", "x": 600, "y": 480, "label": "Lonely", "config": {}})  # unreachable: a warning
    flow = server.flow(api_key, doc)
    open_editor(page, api_key, flow["id"])
    shapes = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.palette-item')]
      .map(b => [b.dataset.type, b.querySelector('svg path').getAttribute('d')]))""")
    voice = [shapes[t] for t in ("say", "play", "pause", "hangup")]
    assert len(set(voice)) == 4 and len(set(shapes.values())) == len(shapes)
    lonely = page.locator(".rf-card.rf-problem-warning")
    expect(lonely).to_have_count(1)
    badge = page.evaluate("""() => { const s = getComputedStyle(document.querySelector('.rf-card.rf-problem-warning'), '::after');
      return {text: s.content, clip: s.clipPath}; }""")
    assert badge["text"] == '"!"' and badge["clip"].startswith("polygon"), badge  # a triangular "!"
    page.locator("#problems-bar button").click()
    panel_icon = page.locator(".problem-item.warning svg path").first.get_attribute("d")
    assert panel_icon and panel_icon.startswith("M12 2 1 21")  # the panel's warning is the same triangle
    shot(page, "editor-icons-and-badges")


def test_palette_descriptions_are_whole_and_transfer_is_above_the_fold(page: Page, server: Server, api_key: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    flow = server.flow(api_key, menu_flow("Palette"))
    open_editor(page, api_key, flow["id"])
    cut = page.evaluate("""() => [...document.querySelectorAll('.palette-desc')]
      .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1).map(el => el.textContent)""")
    assert cut == []
    transfer = page.get_by_role("button", name="Add Transfer").bounding_box()
    assert transfer and transfer["y"] + transfer["height"] <= 900, transfer  # no scrolling needed
    expect(page.locator(".palette-desc").first).to_have_css("text-overflow", "clip")
    shot(page, "editor-palette-900")
