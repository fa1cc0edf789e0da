"""HTML and script in flow names, labels and config are shown as text, never run or parsed, in Chromium.

Reuses the browser suite's real server and Chromium. The payloads would also be stopped by the
CSP, so the check is stronger than "nothing ran": no element of theirs exists in the DOM at all,
and the text shows literally on the list page, on the cards, in the properties panel and in search.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, page, server, sign_in  # noqa: F401 - fixtures (browser comes from tests/conftest.py)
from tests.browser.helpers import card

pytestmark = pytest.mark.browser

IMG = '<img src="x-img" onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"
SVG = '"><svg onload="window.__pwned=3"></svg>'
INJECTED = 'img[src="x-img"], svg[onload], script:not([src]), [onerror], [onload]'


@pytest.fixture
def context(browser, server):  # type: ignore[no-untyped-def]  # noqa: F811 - same as the browser suite's
    from tests.browser.conftest import new_context

    ctx = new_context(browser, server)
    yield ctx
    ctx.close()


def _hostile_flow() -> dict[str, Any]:
    return {"name": f"Evil {IMG}", "start": "a", "nodes": [
        {"id": "a", "type": "say", "x": 0, "y": 0, "label": f"Hello {IMG}", "config": {"text": f"Say {SCRIPT} {SVG}"}},
        {"id": "b", "type": "menu", "x": 0, "y": 180, "label": f"Menu {SCRIPT}",
         "config": {"prompt": f"Press {IMG}", "digits": ["1"]}},
        {"id": "c", "type": "hangup", "x": 0, "y": 360, "label": f"Bye {SVG}", "config": {}}],
        "edges": [{"source": "a", "outlet": "next", "target": "b"}, {"source": "b", "outlet": "1", "target": "c"}]}


def _assert_inert(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate(f"document.querySelectorAll({INJECTED!r}).length") == 0
    assert dialogs == []


def test_markup_in_names_labels_and_config_is_inert_text(page: Page, server: Server) -> None:  # noqa: F811
    key = server.customer("XSS Co")
    flow = server.flow(key, _hostile_flow())
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    sign_in(page, key)
    expect(page.get_by_text(f"Evil {IMG}")).to_be_visible()  # the list shows the name literally
    _assert_inert(page, dialogs)

    page.goto(f"/flows/{flow['id']}")  # already signed in: open the editor straight away
    page.locator("html[data-ready='1']").wait_for(state="attached", timeout=15_000)
    expect(page.locator("#flow-name")).to_have_value(f"Evil {IMG}")
    expect(card(page, "Hello <img")).to_contain_text(f"Hello {IMG}")
    expect(card(page, "Menu <script>")).to_be_visible()
    card(page, "Hello <img").click()
    expect(page.locator("#prop-label")).to_have_value(f"Hello {IMG}")
    _assert_inert(page, dialogs)
    card(page, "Menu <script>").click()
    expect(page.locator("#prop-label")).to_have_value(f"Menu {SCRIPT}")
    _assert_inert(page, dialogs)
    assert page.errors == []  # type: ignore[attr-defined]
