"""Who is calling: API keys (Bearer), browser sessions (signed cookie) and the admin token.

Other routers (the runtime's too) depend on :func:`current_customer` and get a
:class:`Principal`; every store call then passes ``principal.customer_id`` so tenants
never see each other's data. Keys are only ever handled as SHA-256 hashes once they
arrive; the store never sees a clear key and a DB dump cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, Signer

from ringflow.api.errors import ApiError
from ringflow.clock import Clock, system_clock
from ringflow.config import Settings
from ringflow.store.base import ApiKey, Store
from ringflow.store.keys import hash_api_key, new_api_key

log = logging.getLogger("ringflow.api")

SESSION_COOKIE = "ringflow_session"
SESSION_SECONDS = 12 * 3600
ADMIN_SETTING = "admin_token_sha256"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def hash_key(clear: str) -> str:
    """Hash a clear API key exactly as the store's key module did when it was issued."""
    return hash_api_key(clear)


def issue_key() -> tuple[str, str, str]:
    """(clear, hash, prefix) for a new key."""
    return new_api_key()


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated customer of this request and how it proved it."""

    customer_id: int
    key_id: int
    via_cookie: bool = False


class RateLimiter:
    """Fixed one-minute windows per key: cheap, process-local, generous by default."""

    def __init__(self, per_minute: int, clock: Clock = system_clock):
        self.per_minute, self.clock = per_minute, clock
        self._windows: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: int) -> int | None:
        """None when allowed, else the seconds until the window resets."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        window = int(now // 60)
        with self._lock:
            start, count = self._windows.get(key_id, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key_id] = (start, count)
            if len(self._windows) > 100_000:  # bound memory under a flood of keys
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        if count > self.per_minute:
            return max(1, int(60 - now % 60))
        return None


class FailureLimiter:
    """Failed authentications per client address in fixed one-minute windows (``clock`` injected).

    Over the limit, the address is told to wait (429, Retry-After) before its credentials are even
    looked up: guessing keys costs the guesser time and the database nothing. Keys this process
    already knows (cached) still pass, so a customer behind the same address is not locked out."""

    def __init__(self, per_minute: int, clock: Clock = system_clock, max_addresses: int = 100_000):
        self.per_minute, self.clock, self.max_addresses = per_minute, clock, max_addresses
        self._windows: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """None while ``address`` may still try, else the seconds until its window ends."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(address, (-1, 0))
        if start != int(now // 60) or count < self.per_minute:
            return None
        return max(1, math.ceil(60 - now % 60))

    def failed(self, address: str) -> None:
        if self.per_minute <= 0:
            return
        window = int(self.clock() // 60)
        with self._lock:
            start, count = self._windows.get(address, (window, 0))
            self._windows[address] = (window, count + 1 if start == window else 1)
            if len(self._windows) > self.max_addresses:  # bound memory under a flood of addresses
                self._windows = {a: v for a, v in self._windows.items() if v[0] == window}


class Session(NamedTuple):
    """What a valid session cookie carries."""

    key_hash: str
    expires: int
    session_id: str  # random; sign-out stores it as revoked (every process checks the database)


class Auth:
    """Per-app auth state: the admin token's hash, the session signing key, a small key cache,
    the limit on failed authentications per client address."""

    def __init__(self, store: Store, admin_hash: str, session_secret: bytes, rate_limit: int, cache_ttl: float = 5.0,
                 failures_per_minute: int = 60, clock: Clock = system_clock):
        self.store = store
        self.admin_hash = admin_hash
        self.session_secret = session_secret
        self._signer = Signer(session_secret, salt="ringflow-session", digest_method=hashlib.sha256)
        self.limiter = RateLimiter(rate_limit, clock)
        self.failures = FailureLimiter(failures_per_minute, clock)
        self.clock = clock
        self.cache_ttl = cache_ttl
        self._cache: dict[str, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    # --- API keys
    def cached(self, key_hash: str) -> ApiKey | None:
        """The key if this process saw it recently (no database trip), else None."""
        with self._lock:
            hit = self._cache.get(key_hash)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def key_for_hash(self, key_hash: str) -> ApiKey | None:
        hit = self.cached(key_hash)
        if hit is not None:
            return hit
        key = self.store.find_api_key(key_hash)
        if key is None or key.revoked:
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_hash] = (key, time.monotonic() + self.cache_ttl)
        return key

    def forget_key(self, key_id: int) -> None:
        """Called on revocation so a revoked key stops working at once in this process."""
        with self._lock:
            self._cache = {h: v for h, v in self._cache.items() if v[0].id != key_id}

    # --- admin
    def is_admin(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        return hmac.compare_digest(digest, self.admin_hash)

    # --- sessions: itsdangerous-signed "<base64 payload>.<signature>", payload = key hash, expiry and a
    # random session id. The expiry is in the payload (not itsdangerous' timestamp) so it follows the
    # app's injected clock. Only sessions ended early (sign-out) are stored server-side, in the
    # database, so every process refuses them.
    def make_session(self, key_hash: str, now: float | None = None) -> str:
        expires = int((self.clock() if now is None else now) + SESSION_SECONDS)
        payload = f"{key_hash}:{expires}:{secrets.token_urlsafe(18)}".encode()
        return self._signer.sign(base64.urlsafe_b64encode(payload).rstrip(b"=")).decode()

    def read_cookie(self, value: str) -> Session | None:
        """The session in a validly signed, unexpired cookie (revocation not checked), else None."""
        try:
            body = self._signer.unsign(value.encode("utf-8", "surrogatepass"))
            payload = base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
        except (BadSignature, ValueError, TypeError):
            return None
        parts = payload.decode("ascii", "replace").split(":")
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < self.clock() or not 16 <= len(parts[2]) <= 64:
            return None  # also cookies from before server-side sign-out (no session id): sign in again
        return Session(parts[0], int(parts[1]), parts[2])

    def end_session(self, value: str) -> bool:
        """Sign-out: the cookie's session is refused from now on, by every process (stored until it expires)."""
        session = self.read_cookie(value)
        if session is None:
            return False
        self.store.revoke_session(session.session_id, session.expires)
        return True


def bootstrap_admin(store: Store, settings: Settings) -> str:
    """The admin token's hash: from RINGFLOW_ADMIN_TOKEN, else generated once, stored hashed, printed once."""
    if settings.admin_token:
        return hashlib.sha256(settings.admin_token.encode()).hexdigest()
    stored = store.get_setting(ADMIN_SETTING)
    if stored:
        return stored
    token = "rfa_" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    store.set_setting(ADMIN_SETTING, digest)
    print(f"Ringflow admin token (shown once, stored only as a hash): {token}", flush=True)
    return digest


def session_secret(settings: Settings) -> bytes:
    """Derived from RINGFLOW_SECRET_KEY so sessions survive restarts and work across processes."""
    if settings.secret_key:
        return hashlib.sha256(b"ringflow-session\0" + settings.secret_key.encode()).digest()
    log.warning("RINGFLOW_SECRET_KEY is not set: browser sessions last only as long as this process")
    return secrets.token_bytes(32)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "use 'Authorization: Bearer <api key>'")
    return token.strip()


def _check_origin(request: Request) -> None:
    """Cookie sessions ride along on cross-site requests; only same-origin pages may change things."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if not origin or origin != expected:
        raise ApiError(403, "bad_origin", "changes through a browser session must come from this site's own pages",
                       {"origin": origin})


def client_address(request: Request) -> str:
    """The peer address (uvicorn rewrites it from X-Forwarded-For only for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def check_failures(auth: Auth, request: Request) -> None:
    """429 with Retry-After while this address has failed to authenticate too often."""
    retry = auth.failures.retry_after(client_address(request))
    if retry is not None:
        raise ApiError(429, "too_many_failures", "too many failed sign-ins or unknown keys from this address; wait and try again",
                       {"retry_after": retry}, headers={"Retry-After": str(retry)})


def refuse(auth: Auth, request: Request, message: str) -> ApiError:
    """A 401 for presented but wrong credentials, counted against the client's address."""
    auth.failures.failed(client_address(request))
    return ApiError(401, "unauthorized", message)


async def _lookup(auth: Auth, request: Request, key_hash: str) -> ApiKey | None:
    """Cache hit: no thread hop and no limit. Miss: refused while the address is over its failure
    limit (no database trip), else the store is asked off the event loop."""
    key = auth.cached(key_hash)
    if key is None:
        check_failures(auth, request)
        key = await run_in_threadpool(auth.key_for_hash, key_hash)
    return key


async def current_customer(request: Request) -> Principal:
    """FastAPI dependency: the calling customer, from a Bearer key or the session cookie; 401 otherwise."""
    auth: Auth = request.app.state.auth
    token = _bearer(request)
    if token is not None:
        key = await _lookup(auth, request, hash_key(token)) if len(token) <= 256 else None
        if key is None:
            raise refuse(auth, request, "unknown or revoked API key")
        principal = Principal(key.customer_id, key.id, False)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise ApiError(401, "unauthorized", "sign in, or send 'Authorization: Bearer <api key>'")
        # only a cookie this server signed reaches the database, so a valid one is never held back by
        # the failure limit (a customer behind the same address as a guesser keeps working)
        session = auth.read_cookie(cookie)
        revoked = session is not None and await run_in_threadpool(auth.store.session_revoked, session.session_id)
        key = None
        if session is not None and not revoked:
            key = auth.cached(session.key_hash) or await run_in_threadpool(auth.key_for_hash, session.key_hash)
        if key is None:
            raise refuse(auth, request, "your session has ended or is not valid; sign in again")
        principal = Principal(key.customer_id, key.id, True)
        _check_origin(request)
    retry = auth.limiter.hit(principal.key_id)
    if retry is not None:
        raise ApiError(429, "rate_limited", "too many requests for this key; slow down",
                       {"retry_after": retry}, headers={"Retry-After": str(retry)})
    request.state.customer_id = principal.customer_id
    return principal


async def require_admin(request: Request) -> None:
    """FastAPI dependency for operator-only routes (creating customers and keys)."""
    auth: Auth = request.app.state.auth
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "this needs the admin token: 'Authorization: Bearer <admin token>'")
    check_failures(auth, request)
    if not auth.is_admin(token.strip()):
        raise refuse(auth, request, "this needs the admin token: 'Authorization: Bearer <admin token>'")
