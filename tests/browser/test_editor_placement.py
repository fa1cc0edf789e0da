"""New nodes land in free space (issue 15, item 4): a palette click, Enter in the palette filter
and the phone's Add put the node near the selection (below it) or the view's centre, never on a
node and never over an edge. Checked on the server's document with the editor's edge geometry
recomputed here."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, menu_flow, new_context, open_editor, shot
from tests.browser.helpers import card, document, eventually

pytestmark = pytest.mark.browser

W, H = 200, 72


def outlets(types: dict[str, Any], n: dict[str, Any]) -> list[str]:
    fixed = types[n["type"]]["outlets"]
    if n["type"] == "menu":
        return list(dict.fromkeys(n["config"].get("digits", []))) + fixed
    return fixed


def edge_points(types: dict[str, Any], doc: dict[str, Any]) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each edge as points along the bezier the editor draws (port → target's top centre)."""
    by_id = {n["id"]: n for n in doc["nodes"]}
    out = []
    for e in doc["edges"]:
        a, b = by_id[e["source"]], by_id[e["target"]]
        names = outlets(types, a)
        k = names.index(e["outlet"])
        px, py = a["x"] + W * (k + 1) / (len(names) + 1), a["y"] + H
        ex, ey = b["x"] + W / 2, b["y"]
        dy = ey - py
        bend = max(40, abs(dy) / 2)
        if dy >= 0:
            q = [px, py, px, py + bend, ex, ey - bend, ex, ey]
        else:
            side = 1 if ex >= px else -1
            o = max(60, abs(ex - px) / 3)
            q = [px, py, px + side * o, py + bend, ex - side * o, ey - bend, ex, ey]
        pts = []
        for s in range(41):
            t = s / 40
            u = 1 - t
            c = (u ** 3, 3 * u * u * t, 3 * u * t * t, t ** 3)
            pts.append((c[0] * q[0] + c[1] * q[2] + c[2] * q[4] + c[3] * q[6], c[0] * q[1] + c[1] * q[3] + c[2] * q[5] + c[3] * q[7]))
        out.append((f"{e['source']}.{e['outlet']}>{e['target']}", pts))
    return out


def assert_free(server: Server, key: str, flow_id: int, new_id: str) -> dict[str, Any]:
    status, cat = server.call("GET", "/api/v1/node-types", token=key)
    types = {t["name"]: t for t in cat["types"]}
    doc = document(server, key, flow_id)
    n = next(x for x in doc["nodes"] if x["id"] == new_id)
    x0, y0, x1, y1 = n["x"], n["y"], n["x"] + W, n["y"] + H
    for m in doc["nodes"]:
        if m["id"] != new_id:
            assert not (m["x"] < x1 and m["x"] + W > x0 and m["y"] < y1 and m["y"] + H > y0), f"{new_id} overlaps {m['id']}"
    for name, pts in edge_points(types, doc):
        if new_id in name:
            continue
        assert not any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in pts), f"{new_id} at {(x0, y0)} hides edge {name}"
    return n


def added_id(server: Server, key: str, flow_id: int, known: set[str], type_name: str) -> str:
    def find() -> str | None:
        return next((n["id"] for n in document(server, key, flow_id)["nodes"] if n["id"] not in known and n["type"] == type_name), None)
    return eventually(find, what=f"the new {type_name} saved")


def test_palette_adds_land_in_free_space_near_the_selection_or_the_centre(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(page, api_key, flow["id"])
    known = {n["id"] for n in menu_flow()["nodes"]}
    card(page, "Goodbye").click()
    page.get_by_role("button", name="Add Transfer", exact=True).click()
    t = assert_free(server, api_key, flow["id"], added_id(server, api_key, flow["id"], known, "transfer"))
    bye = next(n for n in menu_flow()["nodes"] if n["id"] == "bye")
    assert t["y"] > bye["y"] + H and abs(t["x"] - bye["x"]) < 400, f"below the selected Goodbye: {t}"
    known.add(t["id"])
    # nothing selected: at the view's centre, which here is covered by the menu's edges
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add Menu", exact=True).click()
    m = assert_free(server, api_key, flow["id"], added_id(server, api_key, flow["id"], known, "menu"))
    known.add(m["id"])
    # five in a row: each below the last, none on another
    for _ in range(5):
        page.get_by_role("button", name="Add Pause", exact=True).click()
        p = assert_free(server, api_key, flow["id"], added_id(server, api_key, flow["id"], known, "pause"))
        known.add(p["id"])
    # Enter in the palette filter does the same
    page.get_by_label("Filter node types").fill("Say")
    page.get_by_label("Filter node types").press("Enter")
    s = assert_free(server, api_key, flow["id"], added_id(server, api_key, flow["id"], known, "say"))
    expect(page.locator(":focus")).to_have_attribute("aria-label", f"Say: {s['label']}")
    page.get_by_role("button", name="Fit").click()
    shot(page, "placement-free-space")


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    ctx = new_context(browser, server, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    yield ctx.new_page()
    ctx.close()


def test_the_phones_add_lands_in_free_space(phone: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, menu_flow())
    open_editor(phone, api_key, flow["id"])
    known = {n["id"] for n in menu_flow()["nodes"]}
    for _ in range(3):
        phone.get_by_role("button", name="Add", exact=True).tap()
        phone.get_by_role("button", name="Add Transfer", exact=True).tap()
        n = assert_free(server, api_key, flow["id"], added_id(server, api_key, flow["id"], known, "transfer"))
        known.add(n["id"])
    shot(phone, "phone-placement")
