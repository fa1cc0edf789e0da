from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ringflow.runtime import twiml


def canon(xml: str) -> list[tuple[str, dict[str, str], str]]:
    """Elements in document order with their attributes and text: what a provider parses."""
    return [(e.tag, dict(e.attrib), (e.text or "").strip()) for e in ET.fromstring(xml).iter()]


def test_answer_matches_what_twilios_own_builder_produces():
    actions = [
        ("say", "Hi <you> & \"them\"", "Polly.Amy", "en-GB", 2),
        ("play", "https://a/b.mp3?x=1&y=2", 1, ""),
        ("play", "", 1, "12w#"),
        ("pause", 3),
        ("gather", "both", 0, 7, "#", ("sales", "support"), ("say", "Tell me", "alice", "en-US", 1)),
    ]
    ours = twiml.render(actions, "/voice/7/step?n=3")
    ref = VoiceResponse()
    ref.say("Hi <you> & \"them\"", voice="Polly.Amy", language="en-GB", loop=2)
    ref.play("https://a/b.mp3?x=1&y=2")
    ref.play(digits="12w#")
    ref.pause(length=3)
    g = Gather(input="dtmf speech", timeout=7, finish_on_key="#", hints="sales, support", speech_timeout="auto",
               action="/voice/7/step?n=3", method="POST")
    g.say("Tell me", voice="alice", language="en-US")
    ref.append(g)
    ref.redirect("/voice/7/step?n=3&ev=timeout", method="POST")
    assert canon(ours) == canon(str(ref))


def test_dial_record_enqueue_hangup_match_twilio():
    actions = [("dial", "+15550001111", "+15559990000", 20, True), ("record", 60, False, True), ("enqueue", "sales & co", 0),
               ("dial", "sip:agent@example.com", "", 30, False), ("hangup", "")]
    ours = twiml.render(actions, "/voice/1/step?n=9")
    ref = VoiceResponse()
    d = Dial(action="/voice/1/step?n=9", method="POST", timeout=20, caller_id="+15559990000", record="record-from-answer")
    d.number("+15550001111")
    ref.append(d)
    ref.record(action="/voice/1/step?n=9", method="POST", max_length=60, play_beep=False, transcribe=True)
    ref.redirect("/voice/1/step?n=9&ev=timeout", method="POST")
    ref.enqueue("sales & co", action="/voice/1/step?n=9", method="POST")
    d2 = Dial(action="/voice/1/step?n=9", method="POST", timeout=30)
    d2.sip("sip:agent@example.com")
    ref.append(d2)
    ref.hangup()
    assert canon(ours) == canon(str(ref))


def test_fixed_answers_are_valid_twiml():
    for doc in (twiml.APOLOGY, twiml.NOT_CONFIGURED, twiml.CALL_GONE, twiml.EMPTY):
        root = ET.fromstring(doc)
        assert root.tag == "Response"
        if len(root):
            assert root[-1].tag == "Hangup"


def test_dial_nouns_follow_studio_connect_call_to():
    """connect-call-to: sip -> <Sip>, client -> <Client>, number-multi (a comma list) -> one <Number> each."""
    from ringflow.runtime.twiml import render

    def dial(to):
        return render([("dial", to, "", 30, False)], "/voice/1/step?n=1")

    assert "<Client>agent_7</Client>" in dial("client:agent_7")
    assert "<Sip>sip:desk@pbx.example.com</Sip>" in dial("sip:desk@pbx.example.com")
    assert "<Number>+15550001111</Number><Number>+15550002222</Number>" in dial("+15550001111, +15550002222")


def test_record_keeps_studio_finish_key_silence_timeout_and_trim():
    from ringflow.runtime.compile import compile_flow
    from ringflow.runtime.engine import advance, new_call
    from ringflow.runtime.twiml import render

    from .flows import doc

    cf = compile_flow(doc([("r", "record", {"finish_on_key": "*", "silence_timeout": 10, "trim": False})], []), (1, 1, 1))
    step = advance(cf, new_call(cf, ("CA" + "4" * 32, "+1", "+2", "inbound", "AC")), ("start",), 0.0)
    assert 'finishOnKey="*" timeout="10" trim="do-not-trim"/>' in render(step.actions, "/voice/1/step?n=1")
