"""Issue 17: a REST execution's call outcome. The app runs on a real port so the provider stand-in
calls it back as Twilio does (the call's Url when answered, then its signed StatusCallback with
CallStatus completed / busy / no-answer / failed); make-outgoing-call-v2 takes answered / busy /
noAnswer / failed, the execution's status becomes ended or failed, and GET executions shows it.
Also ``flow.flow_sid`` / ``flow.sid`` / ``flow.channel.address`` rendered in a Say."""

from __future__ import annotations

import copy
import hashlib
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from ringflow.api.app import create_app
from ringflow.config import Settings
from ringflow.runtime.secrets import twilio_signature
from ringflow.store import open_store
from tests import provider_standin
from tests.api.conftest import ADMIN
from tests.api.server import serve
from tests.interop.live import ACCOUNT, OUR_NUMBER, TOKEN, configure, drop_redis_keys, publish, studio, voice_form
from tests.own_redis import own_redis
from tests.runtime.conftest import new_tenant


@pytest.fixture(scope="module")
def standin() -> Iterator[provider_standin.Standin]:
    server = provider_standin.start({ACCOUNT: TOKEN})
    yield server
    provider_standin.stop(server)


def served(standin: Any, **settings: Any) -> Iterator[tuple[httpx.Client, str]]:
    with tempfile.TemporaryDirectory(prefix="ringflow-outcomes-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'o.db'}")
        app = create_app(Settings(admin_token=ADMIN, secret_key="runtime-test-secret", rate_limit_per_minute=0,
                                  allow_private_http=True, provider_api_url=standin.url, **settings), store)
        try:
            with serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
                yield client, base
        finally:
            store.close()


@pytest.fixture(scope="module")
def live(standin):
    yield from served(standin)


@pytest.fixture(scope="module")
def tenant(live):
    client, _ = live
    t = new_tenant(client, "Outbound Co")
    configure(client, t)
    return t


@pytest.fixture(scope="module")
def flow_id(live, tenant, standin):
    return publish(live[0], tenant, studio("studio/outbound_outcomes.json", standin.url))


def execute(client: httpx.Client, tenant: Any, standin: Any, flow_id: int, outcome: str, order: str) -> tuple[str, dict[str, Any]]:
    """Start an execution whose call the stand-in ends with ``outcome``; (the number called, the settled execution)."""
    to = "+1555" + str(uuid.uuid4().int)[:7]
    standin.outcomes[to] = outcome
    r = client.post(f"/api/v1/flows/{flow_id}/executions", json={"to": to, "from": OUR_NUMBER, "parameters": {"order": order}},
                    headers=tenant.headers)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active"
    return to, settled(client, tenant, flow_id, r.json()["sid"])


def settled(client: httpx.Client, tenant: Any, flow_id: int, ex_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        got = client.get(f"/api/v1/flows/{flow_id}/executions/{ex_id}", headers=tenant.headers)
        assert got.status_code == 200, got.text
        if got.json()["status"] != "active" or time.monotonic() > deadline:
            return got.json()
        time.sleep(0.05)


def callbacks_for(standin: Any, call_sid: str) -> list[dict[str, Any]]:
    """The stand-in's record of the status callbacks it sent for a call. It is written when the
    callback's answer is back, which may be just after the app settled the execution."""
    deadline = time.monotonic() + 10
    while True:
        got = [c for c in standin.callbacks if c["sid"] == call_sid]
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def texts(standin: Any, to: str) -> list[str]:
    return [m["Body"] for m in standin.of("Messages") if m["To"] == to]


@pytest.mark.parametrize("outcome, status, text", [
    ("busy", "ended", "Your line was busy: about order B-1 ({sid})."),
    ("no-answer", "ended", "We missed you: about order B-1."),
    ("failed", "failed", "We could not call you about order B-1."),
])
def test_a_call_that_never_connects_takes_its_branch(live, tenant, standin, flow_id, outcome, status, text):
    client, _ = live
    to, ex = execute(client, tenant, standin, flow_id, outcome, "B-1")
    assert (ex["status"], ex["call_status"]) == (status, outcome)
    assert ex["call_sid"].startswith("CA") and ex["parameters"] == {"order": "B-1"}
    assert texts(standin, to) == [text.format(sid=ex["sid"])]  # sent through the provider's Messages API
    sms = [r for r in standin.requests if r["resource"] == "Messages" and r["form"]["To"] == to][0]
    assert sms["account"] == ACCOUNT and sms["form"]["From"] == OUR_NUMBER
    assert [c["status"] for c in callbacks_for(standin, ex["call_sid"])] == [200]


def test_an_answered_call_runs_the_flow_and_ends_the_execution(live, tenant, standin, flow_id):
    client, _ = live
    to, ex = execute(client, tenant, standin, flow_id, "completed", "C-4")
    assert (ex["status"], ex["call_status"]) == ("ended", "completed")
    said = [s.text for s in ET.fromstring(standin.answers[ex["call_sid"]]).iter("Say")]
    assert said == [f"Flow {flow_id}, execution {ex['sid']}, order C-4, from {OUR_NUMBER}."]
    assert texts(standin, to) == []
    placed = [r["form"] for r in standin.requests if r["resource"] == "Calls" and r["form"]["To"] == to][0]
    assert (placed["Timeout"], placed["StatusCallback"].split("?")[1]) == ("25", f"execution={ex['sid']}")  # the widget's timeout


def test_a_retried_callback_changes_nothing_and_a_forged_one_is_refused(live, tenant, standin, flow_id):
    client, base = live
    to, ex = execute(client, tenant, standin, flow_id, "busy", "R-5")
    first = callbacks_for(standin, ex["call_sid"])[0]
    again = provider_standin._post_signed(TOKEN, first["url"], first["form"])
    assert again[0] == 200 and len(texts(standin, to)) == 1
    # a pending execution; a status callback signed with another token is refused and settles nothing
    to2 = "+15559990001"
    r = client.post(f"/api/v1/flows/{flow_id}/executions", json={"to": to2, "from": OUR_NUMBER}, headers=tenant.headers)
    ex2 = r.json()
    url = f"{base}/voice/status?execution={ex2['sid']}"
    form = voice_form(ex2["call_sid"], From=OUR_NUMBER, To=to2, Direction="outbound-api", CallStatus="busy")
    assert provider_standin._post_signed("not-the-token", url, form)[0] == 403
    assert client.get(f"/api/v1/flows/{flow_id}/executions/{ex2['sid']}", headers=tenant.headers).json()["status"] == "active"
    assert texts(standin, to2) == []


def test_without_an_outgoing_call_node_the_flow_starts_only_on_answer(live, tenant, standin):
    client, _ = live
    doc = copy.deepcopy(studio("studio/outbound_outcomes.json", standin.url))
    doc["states"][0]["transitions"][3]["next"] = "greet"  # incomingRequest -> a Say
    fid = publish(client, tenant, doc)
    to, ex = execute(client, tenant, standin, fid, "no-answer", "N-6")
    assert (ex["status"], ex["call_status"]) == ("ended", "no-answer") and texts(standin, to) == []


def test_get_executions_lists_newest_first_and_only_ones_own(live, tenant, standin, flow_id):
    client, _ = live
    _, ex = execute(client, tenant, standin, flow_id, "busy", "L-7")
    listed = client.get(f"/api/v1/flows/{flow_id}/executions", headers=tenant.headers).json()["executions"]
    assert listed[0]["sid"] == ex["sid"] and listed[0]["status"] == "ended" and len(listed) >= 2
    other = new_tenant(client, "Nosy Co")
    assert client.get(f"/api/v1/flows/{flow_id}/executions/{ex['sid']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/flows/{flow_id}/executions", headers=other.headers).status_code == 404
    missing = client.get(f"/api/v1/flows/{flow_id}/executions/FN{'0' * 32}", headers=tenant.headers)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "execution not found"


def test_flow_variables_in_a_say_of_an_incoming_call(live, flow_id):
    client, base = live
    sid = "CA" + uuid.uuid4().hex
    form = voice_form(sid)
    url = f"{base}/voice/{flow_id}"
    r = client.post(url, data=form, headers={"X-Twilio-Signature": twilio_signature(TOKEN, url, list(form.items()))})
    execution = "FN" + hashlib.sha256(sid.encode()).hexdigest()[:32]
    assert [s.text for s in ET.fromstring(r.text).iter("Say")] == [f"Flow {flow_id}, execution {execution}, order , from {OUR_NUMBER}."]


def test_with_redis_the_execution_is_settled_in_redis(standin, monkeypatch):
    import redis

    prefix = f"rfo{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    try:
        for client, _ in served(standin, redis_url="redis://127.0.0.1:6379/0"):
            t = new_tenant(client, "Redis Outbound")
            configure(client, t)
            fid = publish(client, t, studio("studio/outbound_outcomes.json", standin.url))
            to, ex = execute(client, t, standin, fid, "busy", "X-8")
            assert (ex["status"], ex["call_status"]) == ("ended", "busy")
            assert texts(standin, to) == [f"Your line was busy: about order X-8 ({ex['sid']})."]
            r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
            assert r.hget(f"{prefix}:exr:{{{ex['sid']}}}", "status") == b"ended"
            r.close()
    finally:
        drop_redis_keys(prefix)


NOT_STARTED = "the runtime's state store is unreachable, so no call was placed; try again shortly"
STATE_DOWN = "the runtime's state store is unreachable; try again shortly"


def test_with_redis_down_an_execution_is_refused_with_503_and_no_call_is_placed(standin, tmp_path, caplog):
    """Redis (the runtime's state store) goes away after the app has used it: starting an
    execution answers 503 in the API's error shape, the provider is never asked to call (the
    execution could not be recorded, so its outcome could not be either), and reading
    executions is a 503 too, never a 500."""
    with own_redis(tmp_path) as rds:
        for client, _ in served(standin, redis_url=rds.url):
            t = new_tenant(client, "Outage Outbound")
            configure(client, t)
            fid = publish(client, t, studio("studio/outbound_outcomes.json", standin.url))
            _, ex = execute(client, t, standin, fid, "busy", "U-1")  # Redis up: executions work
            assert ex["status"] == "ended"
            rds.stop()
            to = "+1555" + str(uuid.uuid4().int)[:7]
            calls_before = len(standin.of("Calls"))
            r = client.post(f"/api/v1/flows/{fid}/executions", json={"to": to, "from": OUR_NUMBER, "parameters": {"order": "U-2"}},
                            headers=t.headers)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/json"
            assert r.json() == {"error": {"code": "unavailable", "message": NOT_STARTED, "details": {}}}
            assert len(standin.of("Calls")) == calls_before and not [c for c in standin.of("Calls") if c["To"] == to]
            assert any("not started" in m and f"flow {fid}" in m for m in caplog.messages), caplog.messages
            for path in (f"/api/v1/flows/{fid}/executions", f"/api/v1/flows/{fid}/executions/{ex['sid']}"):
                got = client.get(path, headers=t.headers)
                assert got.status_code == 503, (path, got.text)
                assert got.json() == {"error": {"code": "unavailable", "message": STATE_DOWN, "details": {}}}
