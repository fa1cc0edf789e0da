"""Issue 17, D1 and D3: template limits in split conditions, and every voice and language
Twilio accepts kept from import to the TwiML the caller hears."""

from __future__ import annotations

from ringflow.interop import to_ringflow, to_studio
from ringflow.model import validate
from ringflow.runtime.compile import compile_flow
from ringflow.runtime.engine import advance, new_call
from ringflow.runtime.twiml import render
from tests.interop.corpus import load

CALL = ("CA" + "2" * 32, "+15551230000", "+15559990000", "inbound", "AC1")


def _doc():
    return to_ringflow(load("studio/voices_languages.json"))


def _run(doc, *events):
    cf = compile_flow(doc, ("voices", 1))
    step = advance(cf, new_call(cf, CALL), ("start",), 0.0)
    for ev in events:
        step = advance(cf, step.state, ev, 0.0)
    return step


def test_imported_flow_validates_with_only_the_rejected_voice_kept_aside():
    problems = validate(_doc())
    assert [p for p in problems if p.severity == "error"] == []


def test_polly_google_and_neural_voices_reach_the_twiml():
    xml = render(_run(_doc()).actions, "/voice/1/step?n=1")
    assert '<Say voice="Polly.Nicole" language="en-AU">G&apos;day.</Say>' in xml or "<Say voice=\"Polly.Nicole\" language=\"en-AU\">G'day.</Say>" in xml
    assert '<Say voice="Polly.Brian" language="en-GB">Hello.</Say>' in xml
    assert '<Say voice="Polly.Salli-Neural" language="en-US">Hi there.</Say>' in xml
    # the Spanish caller is listened to in Spanish, with the flow's model and speech timeout
    assert 'speechTimeout="3" language="es-US" speechModel="phone_call"' in xml
    assert '<Say voice="Polly.Penelope" language="es-US">Diga su número de cuenta.</Say></Gather>' in xml
    done = _run(_doc(), ("speech", "doce", 0.9))
    assert ("say", "Adiós.", "Google.es-US-Neural2-A", "es-US", 1) in done.actions


def test_split_limit_from_a_template():
    assert [a[1] for a in _run(_doc(), ("digits", "3")).actions if a[0] == "say"] == ["Pocos."]
    many = [a for a in _run(_doc(), ("digits", "12")).actions if a[0] == "say"]
    assert [a[1] for a in many] == ["Muchos."]
    assert many[0][2:4] == ("alice", "en-US")  # Twilio would reject Robot.Bender / klingon: the defaults speak


def test_rejected_voice_fails_validation_of_a_native_node():
    doc = _doc()
    node = next(n for n in doc["nodes"] if n["id"] == "hello_au")
    node["config"]["voice"] = "Robot.Bender"
    node["config"]["language"] = "en-US\n"
    found = {(p.code, p.field) for p in validate(doc) if p.severity == "error" and p.node_id == "hello_au"}
    assert found == {("bad_config", "config.voice"), ("bad_config", "config.language")}


def test_export_writes_voice_and_recognition_back():
    original = load("studio/voices_languages.json")
    assert to_studio(_doc()) == original
    doc = _doc()
    gather = next(n for n in doc["nodes"] if n["id"] == "ask_es")
    gather["config"]["speech_language"] = "es-MX"
    state = next(s for s in to_studio(doc)["states"] if s["name"] == "ask_es")
    assert state["properties"]["gather_language"] == "es-MX" and state["properties"]["voice"] == "Polly.Penelope"


def test_import_warns_about_rejected_voices_and_variables_it_cannot_provide():
    from ringflow.interop.notes import import_warnings

    studio = load("studio/voices_languages.json")
    state = next(s for s in studio["states"] if s["name"] == "few")
    state["properties"]["say"] = "Pocos, {{trigger.conversation.Author}} {{contact.channel.address}} {{trigger.call.FromCity}}"
    notes = {(n["state"], n["property"], n["message"]) for n in import_warnings(to_ringflow(studio))}
    assert notes == {
        ("too_many", "voice", "'Robot.Bender' is not a voice Twilio accepts; Ringflow's default is used"),
        ("too_many", "language", "'klingon' is not a language Twilio accepts; Ringflow's default is used"),
        ("few", "text", "{{trigger.conversation.Author}} is not a variable Ringflow provides; it renders empty"),
    }
