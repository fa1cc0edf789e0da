"""Shared fixtures for driving imported flows through the real app: signed webhooks, the
executions endpoint, and the provider stand-in (tests/provider_standin.py) on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from typing import Any

import xml.etree.ElementTree as ET

from ringflow.runtime.secrets import twilio_signature
from tests.interop.corpus import load

ACCOUNT = "AC" + "ab" * 16
TOKEN = "test-auth-token-0123456789"
OUR_NUMBER = "+15553334444"


def studio(name: str, functions_url: str) -> dict[str, Any]:
    """A corpus flow with its function URLs pointed at the stand-in."""
    return json.loads(json.dumps(load(name)).replace("FUNCTIONS/", functions_url + "/"))


def configure(client: Any, tenant: Any) -> None:
    r = client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": TOKEN, "account_sid": ACCOUNT}, headers=tenant.headers)
    assert r.status_code == 200, r.text


def publish(client: Any, tenant: Any, doc: dict[str, Any]) -> int:
    r = client.post("/api/v1/flows", json=doc, headers=tenant.headers)
    assert r.status_code == 201, r.text
    assert not [p for p in r.json()["problems"] if p["severity"] == "error"], r.json()["problems"]
    flow_id = r.json()["id"]
    p = client.post(f"/api/v1/flows/{flow_id}/publish", headers=tenant.headers)
    assert p.status_code in (200, 201), p.text
    return flow_id


def signed(client: Any, path: str, form: dict[str, str], token: str = TOKEN) -> Any:
    """POST a form as the provider does, with X-Twilio-Signature over the full URL and the fields."""
    url = "http://testserver" + path
    sig = twilio_signature(token, url, list(form.items()))
    return client.post(path, data=form, headers={"X-Twilio-Signature": sig})


def call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def voice_form(sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT, "From": "+15551112222", "To": OUR_NUMBER, "CallStatus": "ringing",
            "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def twiml(resp: Any) -> ET.Element:
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/xml"), resp.text
    root = ET.fromstring(resp.text)
    assert root.tag == "Response"
    return root


def step_url(root: ET.Element) -> str:
    """The action URL of the verb the call waits on."""
    for el in root.iter():
        if el.get("action"):
            return el.get("action")  # type: ignore[return-value]
    raise AssertionError(ET.tostring(root))


def drop_redis_keys(prefix: str, url: str = "redis://127.0.0.1:6379/0") -> None:
    """Remove a test's Redis keys (its own RINGFLOW_REDIS_PREFIX), so runs sharing one Redis stay apart."""
    import redis

    r = redis.Redis.from_url(url)
    try:
        for key in r.scan_iter(match=f"{prefix}*"):
            r.delete(key)
    finally:
        r.close()
