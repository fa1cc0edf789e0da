from __future__ import annotations

import uuid

import pytest
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

from .conftest import publish
from .flows import doc

MENU = doc([("w", "say", {"text": "Welcome {{trigger.call.From}} & co"}),
            ("m", "menu", {"prompt": "Press 1 for sales", "digits": ["1"], "retries": 1}),
            ("sales", "transfer", {"to": "+15550001111"}), ("ok", "say", {"text": "Bye"}), ("sorry", "say", {"text": "Sorry"})],
           [("w", "next", "m"), ("m", "1", "sales"), ("sales", "completed", "ok"), ("sales", "busy", "sorry")])


def sid() -> str:
    return "CA" + uuid.uuid4().hex


def first(client, flow_id, call_sid, **extra):
    form = {"CallSid": call_sid, "AccountSid": "AC" + "1" * 32, "From": "+15551112222", "To": "+15553334444",
            "CallStatus": "ringing", "Direction": "inbound", **extra}
    return client.post(f"/voice/{flow_id}", data=form)


def parse(resp):
    assert resp.headers["content-type"].startswith("text/xml"), resp.text
    root = ET.fromstring(resp.text)
    assert root.tag == "Response"
    return root


def test_first_webhook_answers_welcome_and_menu_in_one_document(client, alice):
    flow_id = publish(client, alice, MENU)
    resp = first(client, flow_id, sid())
    root = parse(resp)
    assert [c.tag for c in root] == ["Say", "Gather", "Redirect"]
    assert root[0].text == "Welcome +15551112222 & co"
    gather = root[1]
    assert gather.get("action") == f"/voice/{flow_id}/step?n=1" and gather.get("numDigits") == "1"
    assert gather[0].tag == "Say" and gather[0].text == "Press 1 for sales"
    assert root[2].text == f"/voice/{flow_id}/step?n=1&ev=timeout"


def test_digits_advance_and_a_retry_is_answered_idempotently(client, alice):
    flow_id = publish(client, alice, MENU)
    call = sid()
    first(client, flow_id, call)
    step = client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})
    dial = parse(step).find("Dial")
    assert dial is not None and dial.get("action") == f"/voice/{flow_id}/step?n=2" and dial.find("Number").text == "+15550001111"
    again = client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})
    assert again.text == step.text  # the retry got the stored answer; the call did not advance twice
    done = client.post(f"/voice/{flow_id}/step?n=2", data={"CallSid": call, "DialCallStatus": "busy"})
    root = parse(done)
    assert [c.tag for c in root] == ["Say", "Hangup"] and root[0].text == "Sorry"
    hist = client.get(f"/api/v1/calls/{call}", headers=alice.headers).json()
    assert [h["node_id"] for h in hist["history"]] == ["w", "m", "sales", "sorry"] and hist["ended"] is True


def test_invalid_digit_replays_menu_and_timeout_redirect(client, alice):
    flow_id = publish(client, alice, MENU)
    call = sid()
    first(client, flow_id, call)
    replay = parse(client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "<9>"}))
    assert replay[0].tag == "Gather" and replay[0].get("action").endswith("n=2")
    final = parse(client.post(f"/voice/{flow_id}/step?n=2&ev=timeout", data={"CallSid": call}))
    assert [c.tag for c in final] == ["Hangup"]  # timeout outlet unconnected: the call ends cleanly


def test_bad_input_never_500(client, alice):
    flow_id = publish(client, alice, MENU)
    unpublished = publish(client, alice, MENU, publish_it=False)
    gone = parse(client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": sid(), "Digits": "1"}))
    assert [c.tag for c in gone] == ["Say", "Hangup"]
    for path in ("/voice/999999", f"/voice/{unpublished}", "/voice/abc"):
        root = parse(first(client, path.split("/")[-1], sid()))
        assert [c.tag for c in root] == ["Say", "Hangup"], path
    missing = client.post(f"/voice/{flow_id}", data={"From": "+1"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "bad_request"
    big = client.post(f"/voice/{flow_id}", data={"CallSid": sid(), "From": "x" * 40000})
    assert big.status_code == 413 and parse(big)[-1].tag == "Hangup"
    junk_n = parse(client.post(f"/voice/{flow_id}/step?n=zz", data={"CallSid": sid()}))
    assert junk_n[-1].tag == "Hangup"


def test_each_webhook_refuses_a_bad_request_with_its_own_answer(client, alice):
    """Too large (over 32 KB), not a form, or without the field naming the call or sender: the
    voice webhook hangs up with an apology (a missing CallSid is JSON), the status callback and
    the messaging webhook answer an empty document. Never a 500."""
    flow_id = publish(client, alice, MENU)
    form = "application/x-www-form-urlencoded"
    big = {"CallSid": sid(), "From": "+15551112222", "Body": "x" * 40000}
    expect = {  # path -> (too large, not a form, field missing, field malformed): (status, what is said)
        f"/voice/{flow_id}": ((413, ["Say", "Hangup"]), (400, ["Say", "Hangup"]), (400, "CallSid"), (400, "CallSid")),
        f"/voice/{flow_id}/step?n=1": ((413, ["Say", "Hangup"]), (400, ["Say", "Hangup"]), (400, "CallSid"), (400, "CallSid")),
        "/voice/status": ((413, []), (400, ["Say", "Hangup"]), (400, []), (400, [])),
        f"/messaging/{flow_id}": ((413, []), (400, ["Say", "Hangup"]), (400, []), (400, [])),
    }
    for path, answers in expect.items():
        field = "From" if path.startswith("/messaging") else "CallSid"
        got = [client.post(path, data=big),
               client.post(path, content=b"CallSid=\xff\xfe", headers={"Content-Type": form}),
               client.post(path, data={k: v for k, v in {"CallSid": sid(), "From": "+15551112222"}.items() if k != field}),
               client.post(path, data={"CallSid": sid(), "From": "+15551112222", field: "CA1\n" if field == "CallSid" else "+1" * 33})]
        for r, (status, said) in zip(got, answers):
            assert r.status_code == status, (path, r.status_code, r.text)
            if isinstance(said, str):  # JSON naming the field
                assert r.json() == {"error": {"code": "bad_request", "message": f"{said} is missing or malformed",
                                              "details": {"field": said}}}, (path, r.text)
            else:
                assert [c.tag for c in parse(r)] == said, (path, r.text)


def test_status_callback_frees_the_call(client, alice):
    flow_id = publish(client, alice, MENU)
    call = sid()
    first(client, flow_id, call)
    assert client.post("/voice/status", data={"CallSid": call, "CallStatus": "in-progress"}).status_code == 200
    assert parse(client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "9"}))[0].tag == "Gather"
    assert client.post("/voice/status", data={"CallSid": call, "CallStatus": "completed"}).status_code == 200
    root = parse(client.post(f"/voice/{flow_id}/step?n=2", data={"CallSid": call, "Digits": "1"}))
    assert [c.tag for c in root] == ["Say", "Hangup"]  # freed: an unknown call now
    assert client.post("/voice/status", data={"CallSid": sid(), "CallStatus": "completed"}).status_code == 200


def test_signature_required_once_a_token_is_configured(client, bob):
    flow_id = publish(client, bob, MENU)
    token = "0123456789abcdef0123456789abcdef"
    r = client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=bob.headers)
    assert r.status_code == 200 and r.json()["configured"] is True
    assert client.get("/api/v1/telephony", headers=bob.headers).json()["configured"] is True
    params = {"CallSid": sid(), "AccountSid": "AC1", "From": "+15551112222", "To": "+15553334444", "CallStatus": "ringing"}
    url = f"http://testserver/voice/{flow_id}"
    assert client.post(f"/voice/{flow_id}", data=params).status_code == 403
    assert client.post(f"/voice/{flow_id}", data=params, headers={"X-Twilio-Signature": "AAAA"}).status_code == 403
    good = RequestValidator(token).compute_signature(url, params)
    ok = client.post(f"/voice/{flow_id}", data=params, headers={"X-Twilio-Signature": good})
    assert ok.status_code == 200 and parse(ok)[0].tag == "Say"
    step_url = f"http://testserver/voice/{flow_id}/step?n=1"
    step_params = {"CallSid": params["CallSid"], "Digits": "1"}
    signed = RequestValidator(token).compute_signature(step_url, step_params)
    assert client.post(f"/voice/{flow_id}/step?n=1", data=step_params, headers={"X-Twilio-Signature": signed}).status_code == 200
    tampered = {**step_params, "Digits": "2"}
    assert client.post(f"/voice/{flow_id}/step?n=1", data=tampered, headers={"X-Twilio-Signature": signed}).status_code == 403


def test_redis_unreachable_answers_apology_and_server_stays_up():
    from .conftest import make_client, new_tenant

    for client, _ in make_client(redis_url="redis://127.0.0.1:1/0"):
        t = new_tenant(client, "Dead Redis")
        flow_id = publish(client, t, MENU)
        for _ in range(2):
            root = parse(first(client, flow_id, sid()))
            assert [c.tag for c in root] == ["Say", "Hangup"] and "sorry" in root[0].text.lower()
        assert parse(client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": sid(), "Digits": "1"}))[-1].tag == "Hangup"
        assert client.get("/api/v1/flows", headers=t.headers).status_code == 200


@pytest.mark.redis
def test_whole_call_through_redis_backend(monkeypatch):
    from .conftest import make_client, new_tenant

    prefix = f"rft{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    for client, app in make_client(redis_url="redis://127.0.0.1:6379/0"):
        t = new_tenant(client, "Redis Co")
        flow_id = publish(client, t, MENU)
        call = sid()
        try:
            assert parse(first(client, flow_id, call))[1].tag == "Gather"
            step = client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})
            assert parse(step).find("Dial") is not None
            assert client.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"}).text == step.text
            import time as _time

            for _ in range(50):  # history is written just after the answer goes out
                hist = client.get(f"/api/v1/calls/{call}", headers=t.headers).json()
                if hist.get("node_id") == "sales":
                    break
                _time.sleep(0.05)
            assert [h["node_id"] for h in hist["history"]] == ["w", "m"] and hist["node_id"] == "sales"
            assert client.post("/voice/status", data={"CallSid": call, "CallStatus": "completed"}).status_code == 200
            assert parse(client.post(f"/voice/{flow_id}/step?n=2", data={"CallSid": call, "DialCallStatus": "busy"}))[0].text.startswith("Sorry, this call")
        finally:
            import redis

            import time

            time.sleep(1.2)  # let the last counts flush land, then remove every key this test made
            r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
            for key in r.scan_iter(match=f"{prefix}:*"):
                r.delete(key)


def test_fast_path_answers_webhooks_and_passes_everything_else_through(rt, alice):
    from ringflow.api.voice import VoiceFastPath

    client, app = rt
    assert app.user_middleware[0].cls is VoiceFastPath  # the one factory installs it outermost
    flow_id = publish(client, alice, MENU)
    fast = client
    call = sid()
    root = parse(fast.post(f"/voice/{flow_id}", data={"CallSid": call, "From": "+15551112222", "To": "+1"}))
    assert [c.tag for c in root] == ["Say", "Gather", "Redirect"]
    assert parse(fast.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})).find("Dial") is not None
    assert fast.post("/voice/status", data={"CallSid": call, "CallStatus": "completed"}).status_code == 200
    assert fast.get("/api/v1/flows", headers=alice.headers).status_code == 200
    assert fast.get(f"/voice/{flow_id}").status_code == 405  # only POST takes the fast path; the rest is the app's answer


@pytest.mark.redis
def test_two_server_processes_share_calls_and_test_calls_through_redis(monkeypatch, tmp_path):
    """Two apps on one store and one Redis play two processes behind a load balancer."""
    from fastapi.testclient import TestClient

    from ringflow.api.app import create_app
    from ringflow.config import Settings
    from ringflow.store import open_store

    from .conftest import ADMIN, new_tenant

    prefix = f"rft{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    store = open_store(f"sqlite:///{tmp_path / 'two.db'}")
    settings = Settings(admin_token=ADMIN, secret_key="k", rate_limit_per_minute=0, redis_url="redis://127.0.0.1:6379/0")
    try:
        with TestClient(create_app(settings, store)) as one, TestClient(create_app(settings, store)) as two:
            t = new_tenant(one, "Two Procs")
            flow_id = publish(one, t, MENU)
            call = sid()
            assert parse(first(one, flow_id, call))[1].tag == "Gather"
            assert parse(two.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})).find("Dial") is not None
            # a retry of step 1 reaching the first process is answered, not advanced again
            assert parse(one.post(f"/voice/{flow_id}/step?n=1", data={"CallSid": call, "Digits": "1"})).find("Dial") is not None
            done = parse(one.post(f"/voice/{flow_id}/step?n=2", data={"CallSid": call, "DialCallStatus": "completed"}))
            assert [c.tag for c in done] == ["Say", "Hangup"] and done[0].text == "Bye"
            draft = publish(one, t, MENU, publish_it=False)
            tc = one.post(f"/api/v1/flows/{draft}/test-calls?draft=1", json={}, headers=t.headers).json()
            step = two.post(f"/api/v1/test-calls/{tc['call_sid']}/steps", json={"digits": "1"}, headers=t.headers)
            assert step.status_code == 200 and step.json()["node_id"] == "sales"
    finally:
        store.close()
        import time

        import redis

        time.sleep(1.2)
        r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for p in (prefix, prefix + "t"):
            for key in r.scan_iter(match=f"{p}:*"):
                r.delete(key)


def test_non_utf8_body_and_unexpected_errors_never_500(rt, alice, monkeypatch):
    client, app = rt
    flow_id = publish(client, alice, MENU)
    bad = client.post(f"/voice/{flow_id}", content=b"CallSid=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 400 and parse(bad)[-1].tag == "Hangup"
    from ringflow.api.services import services as _services  # noqa: F401

    svc = app.state.runtime_services

    async def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(svc.runtime, "start_call", boom)
    resp = client.post(f"/voice/{flow_id}", data={"CallSid": sid(), "From": "+1"})
    assert resp.status_code == 200 and [c.tag for c in parse(resp)] == ["Say", "Hangup"]


def test_signature_checked_against_the_public_url_behind_a_proxy(client):
    from .conftest import new_tenant

    t = new_tenant(client, "Proxied")
    flow_id = publish(client, t, MENU)
    token = "proxy-token-0123456789"
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=t.headers).status_code == 200
    params = {"CallSid": sid(), "From": "+15551112222", "To": "+1"}
    public = f"https://calls.example.com/voice/{flow_id}"
    signed = RequestValidator(token).compute_signature(public, params)
    ok = client.post(f"/voice/{flow_id}", data=params, headers={"X-Twilio-Signature": signed, "X-Forwarded-Proto": "https",
                                                                  "X-Forwarded-Host": "calls.example.com"})
    assert ok.status_code == 200 and parse(ok)[0].tag == "Say"
    other = RequestValidator(token).compute_signature("https://evil.example.com/voice/1", params)
    assert client.post(f"/voice/{flow_id}", data=params, headers={"X-Twilio-Signature": other}).status_code == 403


def test_a_database_outage_is_an_apology_and_an_error_in_the_log(caplog, monkeypatch):
    """The store failing must not tell callers "this number is not set up", nor stay silent."""
    import logging

    from sqlalchemy.exc import OperationalError

    from .conftest import make_client, new_tenant

    for client, app in make_client():
        t = new_tenant(client, "Outage Co")
        flow_id = publish(client, t, MENU)
        store = app.state.store

        def down(*args, **kwargs):
            raise OperationalError("SELECT customer_id FROM flows", {}, ConnectionRefusedError("connection refused"))

        monkeypatch.setattr(store, "flow_owner", down)
        monkeypatch.setattr(store, "get_flow", down)
        with caplog.at_level(logging.ERROR, logger="ringflow.runtime"):
            resp = first(client, flow_id, sid())
        assert resp.status_code == 200
        said = parse(resp)[0].text
        assert "not set up" not in said and said == "We are sorry, this call cannot be completed right now. Goodbye."
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "ringflow.runtime"]
        assert errors and str(flow_id) in errors[0].getMessage() and "store unavailable" in errors[0].getMessage()
