"""What the runtime's routes share per app: flows, state backends, history, counts, tokens.

Built by the app's lifespan at start-up (or on first use by an app driven without one), from
``app.state.settings``, ``app.state.store`` and ``app.state.events``; ``aclose`` stops its
background tasks and closes its clients when the app shuts down.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, cast

from fastapi import Request

from ringflow.clock import system_clock
from ringflow.runtime import timers
from ringflow.runtime.backends import MemoryBackend, RedisBackend
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.fairness import LoopShare
from ringflow.runtime.flows import StoreFlows
from ringflow.runtime.history import MemoryHistory, RedisHistory
from ringflow.runtime.httpclient import GuardedHttp
from ringflow.runtime.provider import Credentials, ProviderApi
from ringflow.runtime.secrets import ACCOUNT_NAME, SECRET_NAME, decrypt
from ringflow.runtime.service import Runtime, run_forever

log = logging.getLogger("ringflow.runtime")
MAX_FORM = 32 * 1024
SID_RE = re.compile(r"^[A-Za-z0-9_-]{2,64}\Z")  # \Z: "CA1\n" is not a CallSid
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
TOKEN_TTL = 10.0


class Services:
    """Everything the routes share, built once per app on first use."""

    def __init__(self, app: Any):
        settings, store = app.state.settings, app.state.store
        self.settings, self.store = settings, store
        clock = getattr(app.state, "clock", system_clock)  # one "now" for calls, their state, history and counts
        publish = None
        if getattr(app.state, "events", None) is not None:
            def publish(key: Any, event: Any) -> Any:  # the hub on app.state when the counts go out
                return app.state.events.publish(key, event)
        http = self.http = GuardedHttp(allow_private=settings.allow_private_http)
        self.flows = StoreFlows(store)
        redis_client = None
        self._own_link = False
        prefix = settings.redis_prefix
        if settings.redis_url:
            link = getattr(app.state, "redis", None)  # the app's one link, shared with events and rate limits
            self._own_link = link is None  # a link of our own is ours to close; the app closes its shared one
            backend = RedisBackend(link, prefix=prefix) if link is not None else RedisBackend.from_url(settings.redis_url, prefix=prefix)
            backend.wait_replicas, backend.wait_ms = settings.redis_wait_replicas, settings.redis_wait_ms
            redis_client = backend.link  # one link (one pipeline per loop turn) for state, history and counts
            history: Any = RedisHistory(redis_client, prefix=prefix)
        else:
            backend = MemoryBackend(clock=clock, on_expire=self._expired)  # type: ignore[assignment]
            history = MemoryHistory()
        self.counts = LiveCounts(publish, redis_client, prefix=prefix, clock=clock)
        self.provider = ProviderApi(settings.provider_api_url)
        self.messenger = ProviderMessenger(self)
        share = LoopShare()  # one share of the loop per customer, for its calls and its test calls together
        self.runtime = Runtime(self.flows, backend, history, http, self.counts, clock=clock,
                               background_history=redis_client is not None, share=share, messenger=self.messenger,
                               signer=self._signing_token)
        # test calls live where calls live, so any process can take the panel's next step
        self.test_backend: Any = RedisBackend(redis_client, prefix=prefix + "t", ttl=1800) if redis_client else MemoryBackend(clock=clock)
        self.tests = Runtime(self.flows, self.test_backend, history, http, None, clock=clock, ttl=1800, share=share,
                             messenger=QuietMessenger(), signer=self._signing_token)
        self._tokens: dict[int, tuple[float, str | None, bool]] = {}
        self._accounts: dict[int, str | None] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        loop = self.loop = asyncio.get_running_loop()
        if isinstance(backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(backend.sweep, 1.0, "call state sweep"), name="ringflow-sweep"))
        if isinstance(self.test_backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(self.test_backend.sweep, 5.0, "test call sweep"), name="ringflow-test-sweep"))
        self._tasks.append(loop.create_task(run_forever(self.counts.flush, 1.0, "live counts flush"), name="ringflow-counts"))
        # send-and-wait-for-reply's timeouts fire by themselves
        self.due_timers = loop.create_task(timers.run(self), name="ringflow-due-timers")
        self._tasks.append(self.due_timers)
        self.backend = backend

    async def aclose(self) -> None:
        """Stop the tickers, let accepted history writes and the last counts land, close the clients."""
        if asyncio.get_running_loop() is not self.loop:
            # built by a request on a loop that has since ended (an app driven without its lifespan,
            # as some tests do): its tasks and clients went with that loop
            log.debug("runtime services built on another event loop; nothing left to stop")
            self._tasks.clear()
            return
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.runtime.drain()
        await self.tests.drain()
        try:
            await self.counts.flush()
        except Exception:  # noqa: BLE001 - shutting down: say what is lost and keep closing
            log.warning("live counts not flushed at shutdown", exc_info=True)
        await self.http.close()
        await self.provider.close()
        if self._own_link:
            await self.backend.close()

    def _expired(self, st: Any) -> None:
        """An abandoned call dropped by the timing wheel leaves the live counts too."""
        cf = self.flows.cached(st.flow)
        if cf is not None and st.node >= 0:
            self.counts.record(cast(tuple[int, int, int], cf.key)[1], cf.ids[st.node], None, [])

    async def auth_token(self, customer_id: int) -> str | None:
        return (await self.webhook_policy(customer_id))[0]

    async def webhook_policy(self, customer_id: int) -> tuple[str | None, bool]:
        """(provider token, unsigned webhooks allowed) for a customer, re-read every TOKEN_TTL seconds."""
        hit = self._tokens.get(customer_id)
        now = time.monotonic()
        if hit and now - hit[0] < TOKEN_TTL:
            return hit[1], hit[2]
        cipher = await asyncio.to_thread(self.store.get_secret, customer_id, SECRET_NAME)
        token = decrypt(self.settings.secret_key, cipher) if cipher else None
        if cipher and token is None:
            token = "\x00unusable"  # stored but undecryptable: refuse every webhook rather than skip the check
        unsigned = False
        if token is None:
            customer = await asyncio.to_thread(self.store.get_customer, customer_id)
            unsigned = bool(customer is not None and customer.allow_unsigned_webhooks)
        if len(self._tokens) > 100_000:
            self._tokens.clear()
        self._tokens[customer_id] = (now, token, unsigned)
        return token, unsigned

    async def _signing_token(self, customer_id: int) -> str | None:
        token = await self.auth_token(customer_id)
        return None if token is None or token.startswith("\x00") else token

    def forget_token(self, customer_id: int) -> None:
        self._tokens.pop(customer_id, None)
        self._accounts.pop(customer_id, None)

    async def credentials(self, customer_id: int, call_account: str = "") -> Credentials | None:
        """The customer's account SID (stored, else the one the provider's webhook named) and auth
        token, for the provider's REST API; None when the customer has not configured them."""
        token = await self.auth_token(customer_id)
        if token is None or token.startswith("\x00"):
            return None
        if customer_id not in self._accounts:
            cipher = await asyncio.to_thread(self.store.get_secret, customer_id, ACCOUNT_NAME)
            self._accounts[customer_id] = decrypt(self.settings.secret_key, cipher) if cipher else None
        account = self._accounts[customer_id] or call_account
        return Credentials(account, token) if account else None


class QuietMessenger:
    """Test calls (the editor's panel) take a message's sent branch without texting anyone."""

    async def send(self, customer_id: int, call: tuple[str, ...], to: str, sender: str, body: str, media_url: str) -> tuple[bool, str]:
        return True, "SMtest"


class ProviderMessenger:
    """Sends a flow's SMS during a call through the provider's Messages resource."""

    def __init__(self, svc: Services):
        self.svc = svc

    async def send(self, customer_id: int, call: tuple[str, ...], to: str, sender: str, body: str, media_url: str) -> tuple[bool, str]:
        creds = await self.svc.credentials(customer_id, call[4] if len(call) > 4 else "")
        if creds is None:
            log.warning("customer %s has no provider account configured: a flow's message was not sent", customer_id)
            return False, ""
        res = await self.svc.provider.send_message(creds, to, sender, body, media_url)
        return res.ok, res.sid


def services(request: Request) -> Services:
    return services_of(request.app)


def services_of(app: Any) -> Services:
    """The app's runtime services (built here when the app runs without its lifespan)."""
    svc: Services | None = getattr(app.state, "runtime_services", None)
    if svc is None:
        svc = app.state.runtime_services = Services(app)
    return svc
