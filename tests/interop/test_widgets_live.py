"""Issue 17: Studio's widgets run through signed voice webhooks against the provider stand-in
(a real HTTP server on 127.0.0.1 speaking the Calls and Messages resources) — run-function,
send-message during a call, capture-payments (<Pay>), send-to-flex (<Enqueue workflowSid>),
add-twiml-redirect and its return, and each one's failure branch."""

from __future__ import annotations

import json

import pytest

from tests import provider_standin
from tests.interop.live import ACCOUNT, OUR_NUMBER, TOKEN, call_sid, configure, publish, signed, step_url, studio, twiml, voice_form
from tests.runtime.conftest import make_client, new_tenant


@pytest.fixture(scope="module")
def standin():
    server = provider_standin.start({ACCOUNT: TOKEN})
    yield server
    provider_standin.stop(server)


@pytest.fixture(scope="module")
def app(standin):
    yield from make_client(provider_api_url=standin.url)


@pytest.fixture(scope="module")
def client(app):
    return app[0]


@pytest.fixture(scope="module")
def flow_id(client, standin):
    alice = new_tenant(client, "Alice")
    configure(client, alice)
    return publish(client, alice, studio("studio/widgets_voice.json", standin.url))


def _says(root):
    return [el.text for el in root.iter("Say")]


def test_function_message_payment_and_flex_in_one_call(client, standin, flow_id):
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(sid, FromCity="PORTLAND")))
    # run-function: the parameters were POSTed form-encoded, the answer parsed
    assert standin.of("/functions/lookup")[-1] == {"caller": "+15551112222", "city": "PORTLAND"}
    # send-message during a call: an SMS through the provider's Messages resource, with the customer's account
    sms = standin.of("Messages")[-1]
    assert sms == {"To": "+15551112222", "From": OUR_NUMBER, "Body": "Hi! Your tier is gold."}
    pay = root.find("Pay")
    assert pay is not None and pay.get("chargeAmount") == "10.00" and pay.get("paymentConnector") == "Stripe_Connector"
    assert (pay.get("maxAttempts"), pay.get("timeout"), pay.get("postalCode"), pay.get("validCardTypes")) == ("2", "7", "false", "visa mastercard")
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "Result": "success", "PaymentConfirmationCode": "ch_123",
                                                 "PaymentCardNumber": "xxxx-xxxx-xxxx-1111"}))
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.get("workflowSid") == "WW0123456789abcdef0123456789abcdef"
    task = enqueue.find("Task")
    assert (task.get("priority"), task.get("timeout")) == ("5", "600")
    assert json.loads(task.text) == {"type": "inbound", "name": "+15551112222", "paid": "ch_123"}
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "QueueResult": "bridged"}))
    assert _says(root) == ["Thank you, goodbye."] and root.find("Hangup") is not None


@pytest.mark.parametrize("result,said", [("too-many-failed-attempts", "too-many-failed-attempts"),
                                         ("payment-connector-error", "payment-connector-error"),
                                         ("caller-interrupted-with-star", "caller-interrupted-with-star"),
                                         ("validation-error", "validation-error")])
def test_each_payment_failure_takes_its_branch(client, flow_id, result, said):
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(sid)))
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "Result": result}))
    assert _says(root) == [f"Payment failed: {said}."]


def test_a_message_the_provider_refuses_takes_the_failed_branch(client, standin, flow_id):
    before = len(standin.of("Messages"))
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(call_sid(), From=provider_standin.INVALID_NUMBER)))
    assert _says(root) == ["We could not text you."] and len(standin.of("Messages")) == before


def test_a_failing_function_takes_fail(client, standin):
    alice = new_tenant(client, "Fn")
    configure(client, alice)
    doc = studio("studio/widgets_voice.json", standin.url)
    lookup = next(s for s in doc["states"] if s["name"] == "lookup")
    lookup["properties"]["url"] = standin.url + "/functions/fail"
    flow = publish(client, alice, doc)
    root = twiml(signed(client, f"/voice/{flow}", voice_form(call_sid())))
    assert _says(root) == ["Sorry, something went wrong."]


def test_redirect_hands_the_call_over_and_the_flow_continues_on_return(client, flow_id):
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(sid, From="+15551112229")))  # the function says silver
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == "https://legacy.example.com/twiml" and redirect.get("method") == "POST"
    back = twiml(signed(client, f"/voice/{flow_id}?FlowEvent=return", voice_form(sid, CallStatus="in-progress")))
    assert _says(back) == ["Thank you, goodbye."]
    again = twiml(signed(client, f"/voice/{flow_id}?FlowEvent=return", voice_form(sid, CallStatus="in-progress")))
    assert again.find("Hangup") is not None  # the flow already went on: a second return does not run it twice


def test_unsigned_or_badly_signed_webhooks_are_refused(client, flow_id):
    assert client.post(f"/voice/{flow_id}", data=voice_form(call_sid())).status_code == 403
    assert signed(client, f"/voice/{flow_id}", voice_form(call_sid()), token="wrong-token-000000").status_code == 403


def test_the_editor_test_panel_walks_the_new_widgets_without_texting_anyone(client, standin, flow_id):
    owner = new_tenant(client, "Panel")
    configure(client, owner)
    flow = publish(client, owner, studio("studio/widgets_voice.json", standin.url))
    before = len(standin.of("Messages"))
    r = client.post(f"/api/v1/flows/{flow}/test-calls", json={"from": "+15551112222"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    call = r.json()
    assert call["waiting_for"] == "payment" and call["path"][-1] == "take_payment"
    assert len(standin.of("Messages")) == before  # a test call never sends a real SMS
    nxt = client.post(f"/api/v1/test-calls/{call['call_sid']}/steps", json={"event": "pay", "result": "validation-error"},
                      headers=owner.headers).json()
    assert nxt["said"] == ["Payment failed: validation-error."] and nxt["ended"] is True


def test_flex_refusal_redirect_failure_and_a_caller_hanging_up_during_payment(client, flow_id):
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(sid)))
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "Result": "success"}))
    refused = twiml(signed(client, step_url(root), {"CallSid": sid, "QueueResult": "system-error"}))
    assert _says(refused) == ["Sorry, something went wrong."]  # failedToEnqueue
    sid = call_sid()
    twiml(signed(client, f"/voice/{flow_id}", voice_form(sid, From="+15551112229")))
    failed = twiml(signed(client, f"/voice/{flow_id}?FlowEvent=fail", voice_form(sid)))
    assert _says(failed) == ["Sorry, something went wrong."]
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow_id}", voice_form(sid)))
    gone = twiml(signed(client, step_url(root), {"CallSid": sid, "Result": "caller-hung-up"}))
    assert [el.tag for el in gone] == ["Hangup"]  # the hangup event is not connected in the flow: the call ends


def test_studio_connect_call_to_record_voicemail_through_webhooks(client):
    """connect-call-to fires callCompleted whatever the dial outcome; record-voicemail's three events."""
    owner = new_tenant(client, "Ivr")
    configure(client, owner)
    flow = publish(client, owner, studio("studio/ivr_basic.json", ""))
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow}", voice_form(sid)))
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "Digits": "1"}))
    dial = root.find("Dial")
    assert dial.get("callerId") == OUR_NUMBER and dial.get("timeout") == "25" and dial.findtext("Number") == "+15005550006"
    assert _says(twiml(signed(client, step_url(root), {"CallSid": sid, "DialCallStatus": "busy"}))) == ["Goodbye."]
    sid = call_sid()
    root = twiml(signed(client, f"/voice/{flow}", voice_form(sid)))
    root = twiml(signed(client, step_url(root), {"CallSid": sid, "Digits": "2"}))
    rec = root.find("Record")
    assert (rec.get("maxLength"), rec.get("transcribe")) == ("120", "true")
    done = twiml(signed(client, step_url(root), {"CallSid": sid, "RecordingUrl": "https://api.example/rec/1", "RecordingDuration": "9"}))
    assert _says(done) == ["Goodbye."]


def test_send_and_wait_during_a_call_texts_then_times_out_or_reports_the_failure(client, standin):
    owner = new_tenant(client, "Reply")
    configure(client, owner)
    doc = {"name": "reply in a call", "start": "ask", "nodes": [
        {"id": "ask", "type": "message_reply", "x": 0, "y": 0, "config": {"body": "Rate us 1-5", "timeout": 60}},
        {"id": "later", "type": "say", "x": 0, "y": 100, "config": {"text": "We will read your answer later."}},
        {"id": "bad", "type": "say", "x": 0, "y": 200, "config": {"text": "Your number cannot take texts."}}],
        "edges": [{"source": "ask", "outlet": "timeout", "target": "later"}, {"source": "ask", "outlet": "delivery_failure", "target": "bad"}]}
    flow = publish(client, owner, doc)
    assert _says(twiml(signed(client, f"/voice/{flow}", voice_form(call_sid())))) == ["We will read your answer later."]
    assert standin.of("Messages")[-1]["Body"] == "Rate us 1-5"
    refused = twiml(signed(client, f"/voice/{flow}", voice_form(call_sid(), From=provider_standin.INVALID_NUMBER)))
    assert _says(refused) == ["Your number cannot take texts."]


def test_a_protected_function_gets_the_request_signed_with_the_customers_token(client, standin):
    owner = new_tenant(client, "Protected")
    configure(client, owner)
    doc = studio("studio/widgets_voice.json", standin.url)
    lookup = next(s for s in doc["states"] if s["name"] == "lookup")
    lookup["properties"]["url"] = standin.url + "/functions/protected"
    flow = publish(client, owner, doc)
    root = twiml(signed(client, f"/voice/{flow}", voice_form(call_sid())))
    assert root.find("Pay") is not None  # success: the function accepted the signature and answered gold
    assert standin.requests[-2]["signature"]  # (the last request is the SMS the gold branch sent)
    unsigned = new_tenant(client, "Unsigned")  # no provider token: nothing to sign with, the function refuses
    flow = publish(client, unsigned, doc)
    assert _says(twiml(client.post(f"/voice/{flow}", data=voice_form(call_sid())))) == ["Sorry, something went wrong."]
