from __future__ import annotations

from .conftest import publish
from .test_routes import MENU, first, sid


def test_telephony_settings_validation(client, alice):
    assert client.put("/api/v1/telephony", json={"provider": "nexmo", "auth_token": "x" * 20}, headers=alice.headers).status_code == 400
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": 5}, headers=alice.headers).status_code == 400
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": "x" * 20}).status_code == 401


def test_token_is_stored_encrypted(rt, bob):
    client, app = rt
    token = "0123456789abcdef0123456789abcdef"
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=bob.headers).status_code == 200
    stored = app.state.store.get_secret(bob.id, "telephony.twilio")
    assert stored and "0123456789abcdef" not in stored


def test_secret_key_unset_refuses_clearly():
    from .conftest import make_client, new_tenant

    for client, _ in make_client(secret_key=None):
        t = new_tenant(client, "NoKey")
        r = client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": "x" * 20}, headers=t.headers)
        assert r.status_code == 503 and "RINGFLOW_SECRET_KEY" in r.json()["error"]["message"]


def test_test_calls_drive_a_flow_and_are_tenant_scoped(client, alice, bob):
    flow_id = publish(client, alice, MENU)
    r = client.post(f"/api/v1/flows/{flow_id}/test-calls", json={"from": "+15550009999"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["said"] == ["Welcome +15550009999 & co", "Press 1 for sales"]
    assert body["waiting_for"] == "digits" and body["node_id"] == "m" and body["path"] == ["w", "m"] and body["ended"] is False
    tc = body["call_sid"]
    assert client.post(f"/api/v1/test-calls/{tc}/steps", json={"digits": "1"}, headers=bob.headers).status_code == 404
    s1 = client.post(f"/api/v1/test-calls/{tc}/steps", json={"digits": "1"}, headers=alice.headers).json()
    assert s1["waiting_for"] == "dial" and s1["node_id"] == "sales" and s1["actions"][0]["verb"] == "dial"
    s2 = client.post(f"/api/v1/test-calls/{tc}/steps", json={"event": "dial", "status": "completed"}, headers=alice.headers).json()
    assert s2["said"] == ["Bye"] and s2["ended"] is True and s2["waiting_for"] is None
    late = client.post(f"/api/v1/test-calls/{tc}/steps", json={"digits": "1"}, headers=alice.headers)
    assert late.status_code == 409 and late.json()["error"]["code"] == "call_ended"
    assert client.post(f"/api/v1/flows/{flow_id}/test-calls", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/calls/{tc}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/calls/{tc}", headers=alice.headers).json()["test"] is True


def test_test_call_shortcut_digits_draft_and_errors(client, alice):
    draft_only = publish(client, alice, MENU, publish_it=False)
    r = client.post(f"/api/v1/flows/{draft_only}/test-calls", json={}, headers=alice.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_published"
    d = client.post(f"/api/v1/flows/{draft_only}/test-calls?draft=1", json={"digits": "1"}, headers=alice.headers).json()
    assert d["node_id"] == "sales" and d["path"] == ["w", "m", "sales"] and d["said"][0].startswith("Welcome")
    tc = d["call_sid"]
    for bad in ({}, {"digits": "1", "speech": "x"}, {"event": "explode"}, {"digits": 5}):
        resp = client.post(f"/api/v1/test-calls/{tc}/steps", json=bad, headers=alice.headers)
        assert resp.status_code == 400 and resp.json()["error"]["message"], bad
    assert client.post(f"/api/v1/test-calls/{tc}/steps", content=b"{nope", headers=alice.headers).status_code == 400
    assert client.post(f"/api/v1/flows/{draft_only}/test-calls", json={"zzz": 1}, headers=alice.headers).status_code == 400
    hang = client.post(f"/api/v1/test-calls/{tc}/steps", json={"event": "hangup"}, headers=alice.headers).json()
    assert hang["ended"] is True


def test_flow_call_listing_pages_newest_first(client, alice, bob):
    flow_id = publish(client, alice, MENU)
    sids = [sid() for _ in range(5)]
    for s in sids:
        first(client, flow_id, s)
    page1 = client.get(f"/api/v1/flows/{flow_id}/calls?limit=3", headers=alice.headers).json()
    assert [i["call_sid"] for i in page1["items"]] == sids[::-1][:3] and page1["next_cursor"]
    page2 = client.get(f"/api/v1/flows/{flow_id}/calls?limit=3&cursor={page1['next_cursor']}", headers=alice.headers).json()
    assert [i["call_sid"] for i in page2["items"]] == sids[::-1][3:] and page2["next_cursor"] is None
    assert client.get(f"/api/v1/flows/{flow_id}/calls", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/flows/{flow_id}/calls?cursor=junk", headers=alice.headers).status_code == 400
    assert client.get(f"/api/v1/flows/{flow_id}/calls?limit=0", headers=alice.headers).status_code == 400
    huge = 10**30
    assert client.get(f"/api/v1/flows/{huge}/calls", headers=alice.headers).status_code == 404
    assert client.post(f"/api/v1/flows/{huge}/test-calls", headers=alice.headers).status_code == 404
    assert client.post(f"/api/v1/flows/-5/test-calls", headers=alice.headers).status_code == 404


def test_http_node_and_subflow_in_a_test_call(client, alice):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from .flows import doc

    class Crm(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps({"tier": "gold", "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        child = publish(client, alice, doc([("c", "say", {"text": "Child sees {{nodes.h.parsed.tier}}"})], []))
        parent = doc([("g", "gather", {"prompt": "Account?", "num_digits": 0}),
                      ("h", "http", {"url": f"http://127.0.0.1:{srv.server_address[1]}/acct/{{{{nodes.g.digits}}}}"}),
                      ("sf", "subflow", {"flow_id": str(child)}), ("done", "say", {"text": "Back, {{nodes.h.parsed.path}}"}),
                      ("fail", "say", {"text": "lookup failed"})],
                     [("g", "keypress", "h"), ("h", "success", "sf"), ("h", "failed", "fail"), ("sf", "completed", "done")])
        flow_id = publish(client, alice, parent)
        tc = client.post(f"/api/v1/flows/{flow_id}/test-calls", json={}, headers=alice.headers).json()
        assert tc["waiting_for"] == "digits" and tc["said"] == ["Account?"]
        step = client.post(f"/api/v1/test-calls/{tc['call_sid']}/steps", json={"digits": "42"}, headers=alice.headers).json()
        assert step["said"] == ["Child sees gold", "Back, /acct/42"] and step["ended"] is True
        assert step["path"] == ["g", "h", "sf", "c", "sf", "done"]
    finally:
        srv.shutdown()


def test_live_counts_reach_the_event_hub():
    import time

    from .conftest import make_client, new_tenant

    class Recorder:
        def __init__(self):
            self.events = []

        def publish(self, key, event):
            self.events.append((key, event))
            return "1"

        def stream_count(self):
            return 0

    for client, app in make_client():
        app.state.events = Recorder()
        t = new_tenant(client, "Counts Co")
        flow_id = publish(client, t, MENU)
        for _ in range(3):
            first(client, flow_id, sid())
        deadline = time.monotonic() + 5
        counts = []
        while time.monotonic() < deadline and not counts:
            client.get("/api/v1/flows", headers=t.headers)  # keeps the app's event loop turning
            time.sleep(0.2)
            counts = [(k, e) for k, e in app.state.events.events if e.get("type") == "counts"]
        key, event = counts[-1]
        assert key == flow_id and event["type"] == "counts"
        assert event["nodes"] == {"m": 3} and event["outlets"] == {"w.next": 3}


def test_a_test_call_and_its_history_run_on_the_apps_clock():
    """Business hours are decided, and history stamped, by the app's injected clock, not the machine's."""
    from .conftest import make_client, new_tenant

    hours = {"timezone": "America/New_York", "schedule": {"mon": [["09:00", "17:00"]]}, "holidays": []}
    doc = {"name": "Hours", "start": "b",
           "nodes": [{"id": "b", "type": "business_hours", "config": hours},
                     {"id": "o", "type": "say", "config": {"text": "We are open"}},
                     {"id": "c", "type": "say", "config": {"text": "We are closed"}}],
           "edges": [{"source": "b", "outlet": "open", "target": "o"}, {"source": "b", "outlet": "closed", "target": "c"}]}
    now = [1796058000.0]  # Monday 2026-11-30 12:00 in New York
    for client, _ in make_client(clock=lambda: now[0]):
        t = new_tenant(client, "Hours Co")
        flow_id = publish(client, t, doc)
        opened = client.post(f"/api/v1/flows/{flow_id}/test-calls", json={}, headers=t.headers).json()
        assert opened["said"] == ["We are open"]
        call = client.get(f"/api/v1/calls/{opened['call_sid']}", headers=t.headers).json()
        assert call["started_at"] == now[0]
        now[0] += 6 * 3600  # 18:00 in New York
        assert client.post(f"/api/v1/flows/{flow_id}/test-calls", json={}, headers=t.headers).json()["said"] == ["We are closed"]
        listed = client.get("/api/v1/flows", headers=t.headers).json()["flows"]
        assert listed[0]["created_at"].startswith("2026-11-30T17:00:00")  # the store's stamps come from the same clock
