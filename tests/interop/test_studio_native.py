"""The per-widget property mapping and the helpers the export's merge relies on."""

from __future__ import annotations

import pytest

from ringflow.interop import InteropError
from ringflow.interop.studio_export import merge_properties
from ringflow.interop.studio_native import check_properties, export_native, form_encoded, import_native, to_studio_text


def test_merge_keeps_untouched_originals_and_applies_edits_and_removals():
    original = {"say": "Hi", "voice": "Polly.Joanna-Neural", "speech_model": "phone_call", "loop": "2"}
    base = {"say": "Hi", "loop": 2}
    current = {"say": "Hello", "loop": 2, "language": "en-GB"}
    assert merge_properties(original, base, current) == {"say": "Hello", "voice": "Polly.Joanna-Neural", "speech_model": "phone_call",
                                                         "loop": "2", "language": "en-GB"}
    assert merge_properties(original, base, {"say": "Hi"}) == {"say": "Hi", "voice": "Polly.Joanna-Neural", "speech_model": "phone_call"}


@pytest.mark.parametrize("wtype, props", [
    ("say-play", {"say": "Hi", "voice": "man", "language": "en-US", "loop": 3}),
    ("say-play", {"play": "https://x/a.mp3", "loop": 1}),
    ("say-play", {"digits": "12w#"}),
    ("gather-input-on-call", {"say": "Press", "number_of_digits": 4, "timeout": 9, "stop_gather": True, "finish_on_key": "*", "hints": "a, b"}),
    ("set-variables", {"variables": [{"key": "a", "value": "1"}]}),
    ("connect-call-to", {"noun": "sip", "sip_endpoint": "sip:a@b", "timeout": 20, "record": True}),
    ("record-voicemail", {"max_length": 60, "play_beep": "false", "transcribe": False}),
    ("make-http-request", {"method": "POST", "url": "https://x", "content_type": "application/json", "body": "{}"}),
    ("enqueue-call", {"queue_name": "q", "priority": 3}),
])
def test_native_widgets_survive_import_then_export(wtype, props):
    ntype, config = import_native(wtype, props)
    assert export_native(ntype, config) == (wtype, props)


def test_templates_switch_to_studio_names_only_inside_liquid():
    assert to_studio_text("nodes.a {{ nodes.menu.digits }} {{nodes.ask.speech}} {{nodes.h.parsed.x}}") == \
        "nodes.a {{ widgets.menu.Digits }} {{widgets.ask.SpeechResult}} {{widgets.h.parsed.x}}"


def test_form_encoding_quotes_text_now_and_values_at_run_time():
    assert form_encoded("a b&c") == "a+b%26c"
    assert form_encoded("+{{ flow.variables.phone }}!") == "%2B{{ flow.variables.phone | url_encode}}%21"


def test_property_types_are_checked_with_studio_leniency():
    check_properties("gather-input-on-call", {"timeout": "5", "stop_gather": "true", "hints": ["a"]}, "g")
    with pytest.raises(InteropError) as info:
        check_properties("connect-call-to", {"record": "sometimes"}, "dial")
    assert (info.value.state, info.value.property) == ("dial", "record")
    assert "true or false" in str(info.value)
