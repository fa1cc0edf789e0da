"""Auth as users meet it: admin-issued keys, revocation, browser sessions, origin checks, rate limits."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from ringflow.api.auth import ADMIN_SETTING, SESSION_COOKIE
from ringflow.config import Settings
from tests.api.conftest import ADMIN, Tenant, make_settings, new_tenant

ORIGIN = {"Origin": "http://testserver"}


def test_admin_creates_customer_with_a_working_key(client: TestClient) -> None:
    t = new_tenant(client, "Zed")
    assert t.key.startswith("rf_") and len(t.key) > 30
    assert client.get("/api/v1/flows", headers=t.headers).status_code == 200


def test_customer_routes_refuse_non_admins(client: TestClient, alice: Tenant) -> None:
    for headers in ({}, alice.headers, {"Authorization": "Bearer wrong"}):
        r = client.post("/api/v1/customers", json={"name": "x"}, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_admin_bodies_are_checked(client: TestClient) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    r = client.post("/api/v1/customers", json={"name": "x", "evil": 1}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["details"]["errors"][0]["field"] == "evil"
    r = client.post("/api/v1/customers", json={"name": ""}, headers=admin)
    assert r.status_code == 422 and "name" in r.json()["error"]["message"]
    assert client.post("/api/v1/customers/999999/keys", headers=admin).status_code == 404


def test_second_key_and_revocation_take_effect_at_once(client: TestClient) -> None:
    t = new_tenant(client, "Keys Co")
    admin = {"Authorization": f"Bearer {ADMIN}"}
    r = client.post(f"/api/v1/customers/{t.id}/keys", headers=admin)
    assert r.status_code == 201
    second = r.json()
    assert second["api_key"] != t.key
    h2 = {"Authorization": f"Bearer {second['api_key']}"}
    assert client.get("/api/v1/flows", headers=h2).status_code == 200  # now cached
    assert client.delete(f"/api/v1/keys/{second['id']}", headers=admin).status_code == 204
    r = client.get("/api/v1/flows", headers=h2)
    assert r.status_code == 401
    assert client.get("/api/v1/flows", headers=t.headers).status_code == 200
    assert client.delete("/api/v1/keys/99999999", headers=admin).status_code == 404


def test_keys_are_stored_only_hashed(store: object, client: TestClient) -> None:
    t = new_tenant(client, "Hash Co")
    found = store.find_api_key(hashlib.sha256(t.key.encode()).hexdigest())  # type: ignore[attr-defined]
    assert found is not None and found.customer_id == t.id
    assert t.key not in repr(found)


def test_malformed_authorization_is_401(client: TestClient) -> None:
    for value in ("Basic abc", "Bearer ", "Bearer " + "x" * 5000, "token"):
        r = client.get("/api/v1/flows", headers={"Authorization": value})
        assert r.status_code == 401, value


def test_session_cookie_sign_in_use_and_sign_out(app, alice: Tenant) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as browser:
        r = browser.post("/api/v1/session", json={"api_key": alice.key})
        assert r.status_code == 200 and r.json()["customer_id"] == alice.id
        cookie = r.headers["set-cookie"]
        assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie  # plain http test server
        assert alice.key not in cookie
        assert browser.get("/api/v1/flows").status_code == 200
        # unsafe methods need a same-origin Origin header
        r = browser.post("/api/v1/flows", json={"name": "x", "nodes": [], "edges": []})
        assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin"
        r = browser.post("/api/v1/flows", json={"name": "x", "nodes": [], "edges": []}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        r = browser.post("/api/v1/flows", json={"name": "x", "nodes": [], "edges": []}, headers=ORIGIN)
        assert r.status_code == 201
        assert browser.delete("/api/v1/session").status_code == 204
        assert browser.get("/api/v1/flows").status_code == 401


def test_session_cookie_over_https_is_secure(app, alice: Tenant) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as browser:
        r = browser.post("/api/v1/session", json={"api_key": alice.key})
        assert "Secure" in r.headers["set-cookie"]


def test_session_with_bad_key_or_forged_cookie_is_401(app, alice: Tenant) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as browser:
        assert browser.post("/api/v1/session", json={"api_key": "rf_nope"}).status_code == 401
        r = browser.post("/api/v1/session", json={"api_key": alice.key}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "set-cookie" not in r.headers
        browser.cookies.set(SESSION_COOKIE, "ZmFrZTo5OTk5OTk5OTk5.bogus")
        assert browser.get("/api/v1/flows").status_code == 401


def test_revoking_a_key_ends_its_sessions(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    t = new_tenant(client, "Session Co")
    with TestClient(app) as browser:
        assert browser.post("/api/v1/session", json={"api_key": t.key}).status_code == 200
        assert client.delete(f"/api/v1/keys/{t.key_id}", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 204
        assert browser.get("/api/v1/flows").status_code == 401


def test_rate_limit_answers_429_with_retry_after(store: object, alice: Tenant) -> None:
    now = [1_900_000_030.0]  # 10 s into a one-minute window, whatever today is
    app = create_app(make_settings(rate_limit_per_minute=3), store, clock=lambda: now[0])  # type: ignore[arg-type]
    with TestClient(app) as c:
        codes = [c.get("/api/v1/flows", headers=alice.headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/api/v1/flows", headers=alice.headers)
        assert r.json()["error"]["code"] == "rate_limited" and r.headers["retry-after"] == "50"
        now[0] += 50  # the next window: allowed again
        assert c.get("/api/v1/flows", headers=alice.headers).status_code == 200


def test_generated_admin_token_is_printed_once_and_stored_hashed(store: object, capsys) -> None:  # type: ignore[no-untyped-def]
    assert store.get_setting(ADMIN_SETTING) is None  # type: ignore[attr-defined]
    create_app(Settings(secret_key="s"), store)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    token = out.strip().rsplit(" ", 1)[-1]
    assert token.startswith("rfa_")
    assert store.get_setting(ADMIN_SETTING) == hashlib.sha256(token.encode()).hexdigest()  # type: ignore[attr-defined]
    app2 = create_app(Settings(secret_key="s"), store)  # type: ignore[arg-type]
    assert token not in capsys.readouterr().out  # printed once only
    with TestClient(app2) as c:
        r = c.post("/api/v1/customers", json={"name": "via generated"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201


def test_a_session_ends_when_the_apps_clock_says_so(store: object, alice: Tenant) -> None:
    """Sessions run on the app's injected clock, not the machine's: 12 hours later by that clock, out."""
    from ringflow.api.auth import SESSION_SECONDS

    now = [1_900_000_000.0]
    app = create_app(make_settings(), store, clock=lambda: now[0])  # type: ignore[arg-type]
    with TestClient(app) as browser:
        assert browser.post("/api/v1/session", json={"api_key": alice.key}).status_code == 200
        now[0] += SESSION_SECONDS - 5
        assert browser.get("/api/v1/flows").status_code == 200
        now[0] += 10
        assert browser.get("/api/v1/flows").status_code == 401


def test_sign_out_ends_the_session_on_the_server_for_every_process(store: object, alice: Tenant) -> None:
    """Issue 14, L3: a copied cookie kept working for 12 hours after sign-out. Two apps over one
    database stand for two worker processes: each has its own memory, only the database is shared."""
    one, two = create_app(make_settings(), store), create_app(make_settings(), store)  # type: ignore[arg-type]
    with TestClient(one) as browser, TestClient(two) as other_worker:
        assert browser.post("/api/v1/session", json={"api_key": alice.key}).status_code == 200
        copied = browser.cookies[SESSION_COOKIE]
        other_worker.cookies.set(SESSION_COOKIE, copied)
        assert other_worker.get("/api/v1/flows").status_code == 200
        assert browser.delete("/api/v1/session").status_code == 204
        for c in (other_worker, TestClient(one)):
            c.cookies.set(SESSION_COOKIE, copied)
            r = c.get("/api/v1/flows")
            assert r.status_code == 401 and "sign in again" in r.json()["error"]["message"]
        assert browser.post("/api/v1/session", json={"api_key": alice.key}).status_code == 200  # signing in again works
        assert browser.get("/api/v1/flows").status_code == 200


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_failed_authentication_is_limited_per_address_with_retry_after(store: object, alice: Tenant) -> None:
    """Issue 14, L4: unlimited guessing, each unknown key a database lookup. Over the limit an
    address waits (429, Retry-After) and its guesses cost no lookup; known keys keep working."""
    app = create_app(make_settings(auth_failures_per_minute=5), store)  # type: ignore[arg-type]
    clock = _Clock(1_000_039.5)  # 19.5 s into a minute: 40.5 s left, said as 41
    app.state.auth.failures.clock = clock
    app.state.auth.clock = clock
    lookups = []
    real_find = store.find_api_key  # type: ignore[attr-defined]

    class CountingStore:  # the real store, counting one method's calls
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(store, name)

        def find_api_key(self, key_hash: str):  # type: ignore[no-untyped-def]
            lookups.append(key_hash)
            return real_find(key_hash)

    app.state.auth.store = CountingStore()
    with TestClient(app) as c, TestClient(app) as browser:
        assert browser.post("/api/v1/session", json={"api_key": alice.key}).status_code == 200
        assert c.get("/api/v1/flows", headers=alice.headers).status_code == 200  # known (and now cached)
        codes = [c.get("/api/v1/flows", headers={"Authorization": f"Bearer rf_guess{i}"}).status_code for i in range(5)]
        assert codes == [401] * 5 and len(lookups) == 6  # the sign-in's lookup, then one per guess
        for i in range(100):
            r = c.get("/api/v1/flows", headers={"Authorization": f"Bearer rf_more{i}"})
            assert r.status_code == 429
        assert len(lookups) == 6  # no lookup beyond the limit
        assert r.json()["error"]["code"] == "too_many_failures" and r.headers["retry-after"] == "41"
        assert c.post("/api/v1/session", json={"api_key": "rf_nope"}).status_code == 429
        assert c.post("/api/v1/customers", json={"name": "X"}, headers={"Authorization": "Bearer not-admin"}).status_code == 429
        assert c.get("/api/v1/flows", headers=alice.headers).status_code == 200  # a known key still passes
        assert browser.get("/api/v1/flows").status_code == 200  # and so does a session this server signed
        clock.now += 60  # the next window
        assert c.get("/api/v1/flows", headers={"Authorization": "Bearer rf_again"}).status_code == 401
