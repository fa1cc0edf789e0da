"""Issue 17: the messaging webhook (incoming-message trigger, send-message, send-and-wait-for-reply)
and REST-triggered executions (Studio's Executions resource) against the provider stand-in."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from tests import provider_standin
from tests.interop.live import (ACCOUNT, OUR_NUMBER, TOKEN, configure, drop_redis_keys, publish, signed, step_url, studio, twiml,
                                 voice_form)
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
def alice(client):
    tenant = new_tenant(client, "Alice")
    configure(client, tenant)
    return tenant


@pytest.fixture(scope="module")
def flow_id(client, standin, alice):
    return publish(client, alice, studio("studio/widgets_voice.json", standin.url))


def sms(sender: str, body: str) -> dict[str, str]:
    return {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT, "From": sender, "To": OUR_NUMBER, "Body": body,
            "NumMedia": "0", "FromCity": "PORTLAND"}


def bodies(root):
    return [(m.findtext("Body"), m.get("to")) for m in root.iter("Message")]


def test_a_conversation_starts_waits_for_the_reply_and_continues(client, flow_id):
    sender = "+15557770001"
    first = twiml(signed(client, f"/messaging/{flow_id}", sms(sender, "42")))
    assert bodies(first) == [(f"Hi {sender}! Reply YES to confirm order 42.", sender)]
    reply = twiml(signed(client, f"/messaging/{flow_id}", sms(sender, " Yes ")))
    assert bodies(reply) == [("Confirmed, thanks!", sender)]
    again = twiml(signed(client, f"/messaging/{flow_id}", sms(sender, "43")))  # the conversation ended: a new one
    assert bodies(again) == [(f"Hi {sender}! Reply YES to confirm order 43.", sender)]
    other = twiml(signed(client, f"/messaging/{flow_id}", sms("+15557770002", "7")))  # keyed by sender: its own conversation
    assert bodies(other) == [("Hi +15557770002! Reply YES to confirm order 7.", "+15557770002")]
    no = twiml(signed(client, f"/messaging/{flow_id}", sms(sender, "no thanks")))
    assert bodies(no) == [("Not confirmed: you said no thanks.", sender)]


def test_a_reply_after_the_timeout_runs_the_timeout_branch_and_starts_over(app, client, flow_id):
    runtime = app[1].state.runtime_services.runtime
    sender = "+15557770003"
    real = runtime.clock
    now = [1_900_000_000.0]
    runtime.clock = lambda: now[0]
    try:
        twiml(signed(client, f"/messaging/{flow_id}", sms(sender, "9")))
        now[0] += 601  # the widget waits 600 s
        late = twiml(signed(client, f"/messaging/{flow_id}", sms(sender, "yes")))
    finally:
        runtime.clock = real
    assert bodies(late) == [(f"Hi {sender}! Reply YES to confirm order yes.", sender)]  # timeout ends it; the message starts anew


def test_messaging_webhooks_are_signed_like_voice(client, flow_id):
    assert client.post(f"/messaging/{flow_id}", data=sms("+15557770004", "x")).status_code == 403
    assert signed(client, "/messaging/99999999", sms("+15557770004", "x")).status_code == 404


def test_an_execution_places_the_call_and_runs_with_flow_data(client, standin, alice, flow_id):
    r = client.post(f"/api/v1/flows/{flow_id}/executions", json={"to": "+15558880001", "from": OUR_NUMBER,
                                                                 "parameters": {"order": "A-42"}}, headers=alice.headers)
    assert r.status_code == 201, r.text
    ex = r.json()
    assert ex["sid"].startswith("FN") and ex["contact_channel_address"] == "+15558880001"
    placed = standin.of("Calls")[-1]
    assert (placed["To"], placed["From"], placed["Method"]) == ("+15558880001", OUR_NUMBER, "POST")
    url = urlsplit(placed["Url"])
    assert url.path == f"/voice/{flow_id}" and url.query == f"execution={ex['sid']}"
    assert placed["StatusCallback"].endswith(f"/voice/status?execution={ex['sid']}")  # how the call ends settles the execution
    # the called party answers: the provider requests the flow's webhook
    sid = ex["call_sid"]
    form = voice_form(sid, From=OUR_NUMBER, To="+15558880001", Direction="outbound-api", CallStatus="in-progress")
    root = twiml(signed(client, f"{url.path}?{url.query}", form))
    assert [s.text for s in root.iter("Say")][0] == "This is a reminder about order A-42."
    text = standin.of("Messages")[-1]
    assert (text["To"], text["From"]) == ("+15558880001", OUR_NUMBER)  # contact.channel.address is the called party
    assert root.find("Pay") is not None and step_url(root).startswith(f"/voice/{flow_id}/step")


def test_execution_errors_say_what_is_wrong(client, standin, alice, flow_id):
    post = lambda body, fid=flow_id, who=alice: client.post(f"/api/v1/flows/{fid}/executions", json=body, headers=who.headers)  # noqa: E731
    assert post({"to": "555", "from": OUR_NUMBER}).json()["error"]["details"] == {"field": "to"}
    assert post({"to": "+15558880001", "from": OUR_NUMBER, "parameters": [1]}).status_code == 400
    assert post({"to": "+15558880001", "from": OUR_NUMBER, "extra": 1}).status_code == 400
    refused = post({"to": provider_standin.INVALID_NUMBER, "from": OUR_NUMBER})
    assert refused.status_code == 502 and "not a valid phone number" in refused.json()["error"]["message"]
    assert post({"to": "+15558880001", "from": OUR_NUMBER}, fid=99999999).status_code == 404
    bob = new_tenant(client, "Bob")
    assert post({"to": "+15558880001", "from": OUR_NUMBER}, who=bob).status_code == 404  # another tenant's flow
    bobs = publish(client, bob, studio("studio/widgets_voice.json", standin.url))
    unset = post({"to": "+15558880001", "from": OUR_NUMBER}, fid=bobs, who=bob)
    assert unset.status_code == 409 and unset.json()["error"]["code"] == "provider_not_configured"


def test_a_used_or_unknown_execution_gives_no_flow_data(client, standin, alice, flow_id):
    form = voice_form("CA" + uuid.uuid4().hex, Direction="outbound-api")
    root = twiml(signed(client, f"/voice/{flow_id}?execution=FN{'0' * 32}", form))
    assert [s.text for s in root.iter("Say")] == []  # an unknown execution: an ordinary call from the start (lookup -> pay)
    assert root.find("Pay") is not None


def test_with_redis_an_execution_and_a_conversation_live_in_redis(standin, monkeypatch):
    """Several processes share Redis: the execution's parameters and the conversation are kept there."""
    prefix = f"rfi{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    try:
        for client, _ in make_client(provider_api_url=standin.url, redis_url="redis://127.0.0.1:6379/0"):
            tenant = new_tenant(client, "Redis Co")
            configure(client, tenant)
            fid = publish(client, tenant, studio("studio/widgets_voice.json", standin.url))
            ex = client.post(f"/api/v1/flows/{fid}/executions", json={"to": "+15558880002", "from": OUR_NUMBER,
                                                                      "parameters": {"order": "R-7"}}, headers=tenant.headers).json()
            url = urlsplit(standin.of("Calls")[-1]["Url"])
            form = voice_form(ex["call_sid"], From=OUR_NUMBER, To="+15558880002", Direction="outbound-api")
            root = twiml(signed(client, f"{url.path}?{url.query}", form))
            assert [s.text for s in root.iter("Say")][0] == "This is a reminder about order R-7."
            sender = "+15557770009"
            assert bodies(twiml(signed(client, f"/messaging/{fid}", sms(sender, "5"))))[0][0].endswith("order 5.")
            assert bodies(twiml(signed(client, f"/messaging/{fid}", sms(sender, "yes")))) == [("Confirmed, thanks!", sender)]
    finally:
        drop_redis_keys(prefix)


def test_a_messaging_only_studio_flow_publishes_and_runs(client, standin, alice):
    doc = studio("studio/sms_survey.json", standin.url)
    set_threshold = {"name": "set_threshold", "type": "set-variables", "transitions": [{"event": "next", "next": "ask_score"}],
                     "properties": {"variables": [{"key": "threshold", "value": "5"}], "offset": {"x": 0, "y": 100}}}
    doc["states"].insert(1, set_threshold)
    doc["states"][0]["transitions"][0]["next"] = "set_threshold"
    fid = publish(client, alice, doc)
    sender = "+15557770020"
    first = twiml(signed(client, f"/messaging/{fid}", {**sms(sender, "hi"), "ToCity": "SALEM"}))
    assert bodies(first) == [("Thanks for visiting SALEM! Rate us 1-10.", sender)]
    low = twiml(signed(client, f"/messaging/{fid}", sms(sender, "3")))
    assert bodies(low) == [("Sorry to hear that; a manager will call you.", sender)]
    twiml(signed(client, f"/messaging/{fid}", sms(sender, "again")))
    high = twiml(signed(client, f"/messaging/{fid}", sms(sender, "9")))
    assert bodies(high) == [("Glad you liked it!", sender)] and high.find("Message").findtext("Media") == "https://example.com/smile.png"
