"""Voices and languages are open text with suggestions: any voice Twilio takes (issue 17, D3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, open_editor, shot
from tests.browser.helpers import card, document, eventually, node

pytestmark = pytest.mark.browser


def test_say_voice_takes_any_twilio_voice_and_offers_the_common_ones(page: Page, server: Server, api_key: str) -> None:
    flow = server.flow(api_key, {"name": "Voices", "start": "hi", "nodes": [
        {"id": "hi", "type": "say", "x": 0, "y": 0, "label": "Aussie hello",
         "config": {"text": "G'day", "voice": "Polly.Nicole", "language": "en-AU"}}], "edges": []})
    open_editor(page, api_key, flow["id"])
    card(page, "Aussie hello").click()
    voice = page.get_by_role("combobox", name="voice")
    expect(voice).to_have_value("Polly.Nicole")
    expect(page.locator(f"datalist#{voice.get_attribute('list')} option[value='Polly.Joanna-Neural']")).to_have_count(1)
    voice.fill("Google.en-AU-Neural2-B")
    voice.press("Tab")
    eventually(lambda: node(document(server, api_key, flow["id"]), "hi")["config"]["voice"] == "Google.en-AU-Neural2-B",
               what="voice saved")
    shot(page, "editor-say-voice")
