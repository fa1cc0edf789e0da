"""Security claims of issue 7, checked the way an attacker would probe them (real app, real database).

Keys hashed at rest, admin token on admin routes, cookie flags and Origin checks, security
headers, per-key 429, body 413, webhook signatures, the http node refusing our own network
(directly, by name, through redirects) and Liquid sandboxing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from ringflow.api.app import create_app
from ringflow.api.auth import SESSION_COOKIE
from ringflow.runtime import httpclient
from ringflow.runtime.limits import LimitError
from ringflow.runtime.templates import Template, TemplateError
from ringflow.store import open_store
from tests.api.conftest import ADMIN, Tenant, make_settings, new_tenant
from tests.reliability.conftest import ADMIN_HEADERS, flow_doc, live_app


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    path = tmp_path_factory.mktemp("sec") / "sec.db"
    store = open_store(f"sqlite:///{path}")
    app = create_app(make_settings(), store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, path
    store.close()


@pytest.fixture(scope="module")
def client(sec: tuple[TestClient, Path]) -> TestClient:
    return sec[0]


@pytest.fixture(scope="module")
def alice(client: TestClient) -> Tenant:
    return new_tenant(client, "Alice Sec")


# --- secrets at rest ------------------------------------------------------------------------

def _every_stored_text(path: Path) -> str:
    """Every value of every row of every table, plus the raw file bytes (WAL included)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        parts = [repr(row) for t in tables for row in con.execute(f'SELECT * FROM "{t}"')]
    finally:
        con.close()
    for f in path.parent.glob(path.name + "*"):
        parts.append(f.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def test_no_clear_key_admin_token_or_provider_token_anywhere_in_the_database(sec: tuple[TestClient, Path]) -> None:
    client, path = sec
    t = new_tenant(client, "Secrets Co")
    second = client.post(f"/api/v1/customers/{t.id}/keys", headers=ADMIN_HEADERS).json()["api_key"]
    provider_token = "tok_" + uuid.uuid4().hex
    r = client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": provider_token}, headers=t.headers)
    assert r.status_code == 200
    client.post("/api/v1/session", json={"api_key": t.key})
    dump = _every_stored_text(path)
    assert "Secrets Co" in dump  # the dump does see the data
    for secret in (t.key, t.key[10:], second, second[10:], ADMIN, provider_token):
        assert secret not in dump


# --- admin routes ---------------------------------------------------------------------------

def test_every_admin_route_refuses_anything_but_the_admin_token(client: TestClient, alice: Tenant) -> None:
    spec = client.get("/openapi.json").json()
    admin_routes = [(m, p) for p, ops in spec["paths"].items() for m, op in ops.items() if "admin" in op.get("tags", [])]
    assert len(admin_routes) >= 3
    for method, path in admin_routes:
        url = path.replace("{customer_id}", str(alice.id)).replace("{key_id}", str(alice.key_id))
        for headers in ({}, alice.headers, {"Authorization": "Bearer " + ADMIN + "x"}, {"Authorization": ADMIN}):
            r = client.request(method.upper(), url, json={"name": "x"}, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/flows", headers=alice.headers).status_code == 200  # alice's key survived


# --- browser sessions -----------------------------------------------------------------------

def test_session_cookie_is_httponly_samesite_strict_and_origin_checked(client: TestClient, alice: Tenant) -> None:
    r = client.post("/api/v1/session", json={"api_key": alice.key}, headers={"Origin": "http://testserver"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert f"{SESSION_COOKIE}=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    jar = {SESSION_COOKIE: r.cookies[SESSION_COOKIE]}
    fresh = TestClient(client.app, raise_server_exceptions=False, cookies=jar)
    assert fresh.get("/api/v1/flows").status_code == 200  # reads need no Origin
    for origin in (None, "http://evil.example", "null", "http://testserver.evil.example"):
        headers = {"Origin": origin} if origin else {}
        r = fresh.post("/api/v1/flows", json=flow_doc("csrf"), headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin", origin
    assert not any(f["name"] == "csrf" for f in fresh.get("/api/v1/flows").json()["flows"])
    ok = fresh.post("/api/v1/flows", json=flow_doc("same-site"), headers={"Origin": "http://testserver"})
    assert ok.status_code == 201
    login_csrf = client.post("/api/v1/session", json={"api_key": alice.key}, headers={"Origin": "http://evil.example"})
    assert login_csrf.status_code == 403 and "set-cookie" not in login_csrf.headers
    forged = TestClient(client.app, raise_server_exceptions=False, cookies={SESSION_COOKIE: jar[SESSION_COOKIE][:-2] + "AA"})
    assert forged.get("/api/v1/flows").status_code == 401


# --- headers on the editor --------------------------------------------------------------------

@pytest.mark.parametrize("page", ["/", "/flows/1"])
def test_editor_pages_carry_csp_and_security_headers(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'self'"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert "referrer-policy" in r.headers


# --- rate limit, body limit -----------------------------------------------------------------

def test_rate_limit_is_per_key_and_answers_429(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'rl.db'}")
    try:
        app = create_app(make_settings(rate_limit_per_minute=5), store, clock=lambda: 1_900_000_025.0)  # 5 s into one window
        with TestClient(app, raise_server_exceptions=False) as c:
            a, b = new_tenant(c, "A"), new_tenant(c, "B")
            codes = [c.get("/api/v1/flows", headers=a.headers).status_code for _ in range(8)]
            assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
            r = c.get("/api/v1/flows", headers=a.headers)
            assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
            assert c.get("/api/v1/flows", headers=b.headers).status_code == 200  # B is not punished for A
    finally:
        store.close()


def test_body_over_the_limit_is_413_with_or_without_content_length(tmp_path: Path) -> None:
    with live_app(f"sqlite:///{tmp_path / 'big.db'}", max_body_bytes=4096) as (base, _store):
        r = httpx.post(f"{base}/api/v1/customers", json={"name": "Big"}, headers=ADMIN_HEADERS)
        key = {"Authorization": f"Bearer {r.json()['api_key']}"}
        big = flow_doc("big", 200)
        r = httpx.post(f"{base}/api/v1/flows", json=big, headers=key)
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
            import orjson
            raw = orjson.dumps(big)
            for i in range(0, len(raw), 1000):
                yield raw[i:i + 1000]

        r = httpx.post(f"{base}/api/v1/flows", content=chunks(), headers={**key, "Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        assert httpx.get(f"{base}/api/v1/flows", headers=key).json()["flows"] == []
        small = httpx.post(f"{base}/api/v1/flows", json=flow_doc("small"), headers=key)
        assert small.status_code == 201


# --- webhook signatures -----------------------------------------------------------------------

def test_webhooks_need_a_valid_twilio_signature_once_configured(client: TestClient) -> None:
    t = new_tenant(client, "Signed Co")
    flow_id = client.post("/api/v1/flows", json=flow_doc("signed", 3), headers=t.headers).json()["id"]
    assert client.post(f"/api/v1/flows/{flow_id}/publish", headers=t.headers).status_code == 201
    params = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": "AC1", "From": "+1555", "To": "+1666", "CallStatus": "ringing"}
    refused = client.post(f"/voice/{flow_id}", data=params)  # no token, no opt-in: refused (issue 14, M1)
    assert refused.status_code == 403 and "<Say" not in refused.text
    opt_in = client.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=t.headers)
    assert opt_in.status_code == 200 and opt_in.json()["allow_unsigned_webhooks"] is True
    assert client.post(f"/voice/{flow_id}", data=params).status_code == 200  # explicitly allowed (local development)
    token = "secret-" + uuid.uuid4().hex
    assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=t.headers).status_code == 200
    params["CallSid"] = "CA" + uuid.uuid4().hex
    url = f"http://testserver/voice/{flow_id}"
    good = RequestValidator(token).compute_signature(url, params)
    wrong = RequestValidator("other-token-123").compute_signature(url, params)
    for headers in ({}, {"X-Twilio-Signature": ""}, {"X-Twilio-Signature": wrong}, {"X-Twilio-Signature": good + "x"}):
        r = client.post(f"/voice/{flow_id}", data=params, headers=headers)
        assert r.status_code == 403 and "<Say" not in r.text
    tampered = {**params, "From": "+1999"}
    assert client.post(f"/voice/{flow_id}", data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403
    ok = client.post(f"/voice/{flow_id}", data=params, headers={"X-Twilio-Signature": good})
    assert ok.status_code == 200 and "<Say" in ok.text


# --- the http node and our own network ----------------------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]
    redirect_to: str | None

    def do_GET(self) -> None:  # noqa: N802
        self.hits.append(self.path)
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"secret": "internal"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _server(host: str, redirect_to: str | None = None) -> tuple[ThreadingHTTPServer, list[str]]:
    hits: list[str] = []
    handler = type("H", (_Recorder,), {"hits": hits, "redirect_to": redirect_to})
    srv = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, hits


def _http_flow(url: str) -> dict[str, Any]:
    return {"name": "fetch", "start": "get", "nodes": [
        {"id": "get", "type": "http", "x": 0, "y": 0, "config": {"url": url, "timeout": 2}},
        {"id": "ok", "type": "say", "x": 0, "y": 200, "config": {"text": "fetched {{nodes.get.parsed.secret}}"}},
        {"id": "no", "type": "say", "x": 300, "y": 200, "config": {"text": "refused"}},
        {"id": "bye", "type": "hangup", "x": 0, "y": 400, "config": {}}],
        "edges": [{"source": "get", "outlet": "success", "target": "ok"}, {"source": "get", "outlet": "failed", "target": "no"},
                  {"source": "ok", "outlet": "next", "target": "bye"}, {"source": "no", "outlet": "next", "target": "bye"}]}


def _test_call(client: TestClient, t: Tenant, url: str) -> list[str]:
    flow_id = client.post("/api/v1/flows", json=_http_flow(url), headers=t.headers).json()["id"]
    r = client.post(f"/api/v1/flows/{flow_id}/test-calls?draft=1", json={}, headers=t.headers)
    assert r.status_code == 201, r.text
    return r.json()["said"]


def test_http_node_refuses_loopback_private_and_link_local_targets(client: TestClient, alice: Tenant) -> None:
    srv, hits = _server("127.0.0.1")
    port = srv.server_address[1]
    try:
        for url in (f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/b", f"http://[::ffff:127.0.0.1]:{port}/c",
                    f"http://0.0.0.0:{port}/d", f"http://2130706433:{port}/e", f"http://0x7f000001:{port}/f",
                    "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://192.168.1.1/", "http://[::1]/",
                    "http://[fe80::1]/", f"http://user@127.0.0.1:{port}/g"):
            said = _test_call(client, alice, url)
            assert said == ["refused"], (url, said)
        assert hits == []  # nothing ever reached the internal server
    finally:
        srv.shutdown()


def test_http_node_refuses_redirects_into_our_network(client: TestClient, alice: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 'public' server (127.0.0.2, which this test alone treats as public) redirects to internal ones."""
    internal, internal_hits = _server("127.0.0.1")
    port = internal.server_address[1]
    original = httpclient._blocked
    monkeypatch.setattr(httpclient, "_blocked", lambda ip: str(ip) != "127.0.0.2" and original(ip))
    public, public_hits = _server("127.0.0.2", redirect_to=f"http://127.0.0.1:{port}/secret")
    public_by_name, _ = _server("127.0.0.2", redirect_to=f"http://localhost:{port}/secret")
    public_ok, _ = _server("127.0.0.2")
    try:
        assert _test_call(client, alice, f"http://127.0.0.2:{public_ok.server_address[1]}/") == ["fetched internal"]  # the setup works
        assert _test_call(client, alice, f"http://127.0.0.2:{public.server_address[1]}/go") == ["refused"]
        assert _test_call(client, alice, f"http://127.0.0.2:{public_by_name.server_address[1]}/go") == ["refused"]
        assert public_hits == ["/go"] and internal_hits == []
    finally:
        for s in (internal, public, public_by_name, public_ok):
            s.shutdown()


# --- Liquid sandbox -------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["{% include '/etc/passwd' %}", "{% render '/etc/passwd' %}",
                                    "{% include 'pyproject.toml' %}", "{{ '/etc/passwd' | read_file }}"])
def test_liquid_cannot_read_files(source: str) -> None:
    try:
        out = Template(source).render({})
    except TemplateError:
        return  # refused when the flow is compiled: fine
    assert "root:" not in out and "[project]" not in out


def test_liquid_loops_and_output_are_bounded() -> None:
    loops = ["{% for i in (1..100000000) %}x{% endfor %}",
             "{% for i in (1..100000) %}{% for j in (1..100000) %}y{% endfor %}{% endfor %}",
             "{% assign s = 'aaaaaaaaaa' %}{% for i in (1..1000) %}{% assign s = s | append: s %}{% endfor %}{{ s }}"]
    for source in loops:
        started = time.perf_counter()
        try:
            out = Template(source).render({})
        except (TemplateError, LimitError):  # refused when compiled, or stopped at a limit with a message
            out = ""
        assert time.perf_counter() - started < 2.0, source
        assert len(out) <= 64 * 1024, source


def test_unbounded_template_in_a_flow_ends_in_a_clean_call(client: TestClient, alice: Tenant) -> None:
    doc = {"name": "loop", "start": "s", "nodes": [
        {"id": "s", "type": "say", "x": 0, "y": 0, "config": {"text": "{% for i in (1..100000000) %}x{% endfor %}"}},
        {"id": "bye", "type": "hangup", "x": 0, "y": 200, "config": {}}],
        "edges": [{"source": "s", "outlet": "next", "target": "bye"}]}
    flow_id = client.post("/api/v1/flows", json=doc, headers=alice.headers).json()["id"]
    started = time.perf_counter()
    r = client.post(f"/api/v1/flows/{flow_id}/test-calls?draft=1", json={}, headers=alice.headers)
    assert time.perf_counter() - started < 3.0
    assert r.status_code == 201 and r.json()["ended"] is True
    assert all(len(s) <= 64 * 1024 for s in r.json()["said"])
