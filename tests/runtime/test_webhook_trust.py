"""Issue 14: who may move a call. High 3 (a step webhook on one flow's URL moved another flow's
call) and M1 (webhooks of a customer without a provider token were accepted unsigned)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

from .conftest import new_tenant, publish
from .flows import doc
from .test_routes import first, sid

MENU2 = doc([("m", "menu", {"prompt": "Press 1 for sales, 2 for support", "digits": ["1", "2"], "retries": 1}),
             ("sales", "transfer", {"to": "+15550001111"}), ("support", "say", {"text": "Support here"})],
            [("m", "1", "sales"), ("m", "2", "support")])


def _signed(client, token: str, path: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_a_step_webhook_on_another_flows_url_neither_moves_nor_answers_the_call(client) -> None:  # type: ignore[no-untyped-def]
    """The issue's repro: C's unsigned step URL carrying A's CallSid must not press 1 on A's menu."""
    a, c = new_tenant(client, "A signed", unsigned=False), new_tenant(client, "C open", unsigned=False)
    client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=c.headers)  # C: no token, opted in
    token = "a-token-0123456789"
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=a.headers).status_code == 200
    a_flow, c_flow = publish(client, a, MENU2), publish(client, c, MENU2)
    call = sid()
    start = {"CallSid": call, "AccountSid": "AC" + "1" * 32, "From": "+15551112222", "To": "+15553334444",
             "CallStatus": "ringing", "Direction": "inbound"}
    assert "<Gather" in _signed(client, token, f"/voice/{a_flow}", start).text
    injected = client.post(f"/voice/{c_flow}/step?n=1", data={"CallSid": call, "Digits": "1"})
    assert "<Dial" not in injected.text and "Sales" not in injected.text
    genuine = _signed(client, token, f"/voice/{a_flow}/step?n=1", {"CallSid": call, "Digits": "2"})
    root = ET.fromstring(genuine.text)
    assert [el.tag for el in root] == ["Say", "Hangup"] and root[0].text == "Support here", genuine.text
    history = client.get(f"/api/v1/calls/{call}", headers=a.headers).json()
    assert "sales" not in str(history)


def test_the_same_customers_other_flow_cannot_move_a_call_either(client) -> None:  # type: ignore[no-untyped-def]
    t = new_tenant(client, "Two flows", unsigned=False)
    client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=t.headers)
    one, two = publish(client, t, MENU2), publish(client, t, MENU2)
    call = sid()
    assert "<Gather" in first(client, one, call).text
    assert "<Dial" not in client.post(f"/voice/{two}/step?n=1", data={"CallSid": call, "Digits": "1"}).text
    assert "<Dial" in client.post(f"/voice/{one}/step?n=1", data={"CallSid": call, "Digits": "1"}).text


def test_unsigned_webhooks_are_refused_unless_the_customer_allows_them(client) -> None:  # type: ignore[no-untyped-def]
    t = new_tenant(client, "No token", unsigned=False)
    flow = publish(client, t, MENU2)
    assert client.get("/api/v1/telephony", headers=t.headers).json() == {
        "provider": "twilio", "configured": False, "allow_unsigned_webhooks": False}
    refused = first(client, flow, sid())
    assert refused.status_code == 403 and "<Reject/>" in refused.text
    for bad in ({"allow_unsigned_webhooks": "yes"}, {"allow_unsigned_webhooks": 1}, {}, {"allow": True}):
        r = client.patch("/api/v1/telephony", json=bad, headers=t.headers)
        assert r.status_code == 422 and r.json()["error"]["message"], bad
    assert client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}).status_code == 401
    on = client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=t.headers)
    assert on.status_code == 200 and on.json()["allow_unsigned_webhooks"] is True
    call = sid()
    assert "<Gather" in first(client, flow, call).text
    assert "Support here" in client.post(f"/voice/{flow}/step?n=1", data={"CallSid": call, "Digits": "2"}).text
    off = client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": False}, headers=t.headers)
    assert off.json()["allow_unsigned_webhooks"] is False
    assert first(client, flow, sid()).status_code == 403


def test_the_setting_is_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/telephony"]["patch"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    field = spec["components"]["schemas"][ref]["properties"]["allow_unsigned_webhooks"]
    assert field["type"] == "boolean" and "local development" in field["description"]


def test_a_call_sid_with_a_trailing_newline_is_malformed(client) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, L5: ``^...$`` with re.match let "CA...\\n" through as a CallSid."""
    t = new_tenant(client, "Newline")
    flow = publish(client, t, MENU2)
    r = client.post(f"/voice/{flow}", data={"CallSid": sid() + "\n", "From": "+1555"})
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "CallSid"
