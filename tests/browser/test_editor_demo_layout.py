"""Demo flows open laid out (issue 15, item 8): layers top to bottom with few crossings, and the
edges drawn around the cards, not through them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from ringflow.model.demo import generate_flow
from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import eventually

pytestmark = pytest.mark.browser

# Every edge sampled along its drawn path; a sample inside a card other than its two ends (as the
# card is on screen, from its DOM box) means the edge runs through that card.
THROUGH = """() => {
  const e = window.ringflow.engine, st = e.state, stage = document.querySelector('#stage').getBoundingClientRect();
  const cards = [...document.querySelectorAll('.rf-card')].filter((c) => c.style.display !== 'none' && c.dataset.index)
    .map((c) => { const r = c.getBoundingClientRect(); return { i: Number(c.dataset.index), r }; });
  const bad = [];
  for (let j = 0; j < st.ecount; j++) {
    const ref = { s: st.esrc[j], o: st.eout[j], d: st.edst[j] };
    for (let t = 0.02; t < 0.99; t += 0.02) {
      const w = e.edgePoint(ref, t), p = e.worldToScreen(w.x, w.y), x = stage.left + p.x, y = stage.top + p.y;
      const c = cards.find((c) => c.i !== ref.s && c.i !== ref.d && x > c.r.left + 2 && x < c.r.right - 2 && y > c.r.top + 2 && y < c.r.bottom - 2);
      if (c) { bad.push([ref.s, ref.d, c.i]); break; }
    }
  }
  return { cards: cards.length, edges: st.ecount, bad };
}"""


def test_demo_flow_opens_laid_out_with_edges_around_cards(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, dict(generate_flow(20, name="Demo block", seed=1)))
    open_editor(page, api_key, flow["id"])
    page.get_by_role("button", name="Fit").click()
    eventually(lambda: page.locator(".rf-card:visible").count() == 20, what="all 20 cards drawn at Fit")
    page.wait_for_timeout(600)  # the glide ends and every route is drawn
    shot(page, "demo-block-fit")
    seen = page.evaluate(THROUGH)
    assert seen["cards"] == 20 and seen["edges"] == 36
    assert seen["bad"] == [], f"edges (source, target, card in the way): {seen['bad']}"
    assert page.errors == []  # type: ignore[attr-defined]
