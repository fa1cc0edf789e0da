"""What the runtime's routes share per app: flows, state backends, history, counts, tokens.

Built once per app on first use (the API's ``create_app`` knows nothing about it), from
``app.state.settings``, ``app.state.store`` and ``app.state.events``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from fastapi import Request

from ringflow.config import redis_prefix, redis_wait
from ringflow.runtime.backends import MemoryBackend, RedisBackend
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.flows import StoreFlows
from ringflow.runtime.history import MemoryHistory, RedisHistory
from ringflow.runtime.httpclient import GuardedHttp
from ringflow.runtime.secrets import SECRET_NAME, decrypt
from ringflow.runtime.service import Runtime, run_forever

MAX_FORM = 32 * 1024
SID_RE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
TOKEN_TTL = 10.0


class Services:
    """Everything the routes share, built once per app on first use."""

    def __init__(self, app: Any):
        settings, store = app.state.settings, app.state.store
        self.settings, self.store = settings, store
        events = getattr(app.state, "events", None)
        publish = events.publish if events is not None else None
        http = GuardedHttp(allow_private=settings.allow_private_http)
        self.flows = StoreFlows(store)
        redis_client = None
        prefix = redis_prefix()
        if settings.redis_url:
            link = getattr(app.state, "redis", None)  # the app's one link, shared with events and rate limits
            backend = RedisBackend(link, prefix=prefix) if link is not None else RedisBackend.from_url(settings.redis_url, prefix=prefix)
            backend.wait_replicas, backend.wait_ms = redis_wait()
            redis_client = backend.link  # one link (one pipeline per loop turn) for state, history and counts
            history: Any = RedisHistory(redis_client, prefix=prefix)
        else:
            backend = MemoryBackend(on_expire=self._expired)  # type: ignore[assignment]
            history = MemoryHistory()
        self.counts = LiveCounts(publish, redis_client, prefix=prefix)
        self.runtime = Runtime(self.flows, backend, history, http, self.counts, background_history=redis_client is not None)
        # test calls live where calls live, so any process can take the panel's next step
        self.test_backend: Any = RedisBackend(redis_client, prefix=prefix + "t", ttl=1800) if redis_client else MemoryBackend()
        self.tests = Runtime(self.flows, self.test_backend, history, http, None, ttl=1800)
        self._tokens: dict[int, tuple[float, str | None]] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        loop = asyncio.get_running_loop()
        if isinstance(backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(backend.sweep, 1.0)))
        if isinstance(self.test_backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(self.test_backend.sweep, 5.0)))
        self._tasks.append(loop.create_task(run_forever(self.counts.flush, 1.0)))

    def _expired(self, st: Any) -> None:
        """An abandoned call dropped by the timing wheel leaves the live counts too."""
        cf = self.flows.cached(st.flow)
        if cf is not None and st.node >= 0:
            self.counts.record(cf.key[1], cf.ids[st.node], None, [])

    async def auth_token(self, customer_id: int) -> str | None:
        hit = self._tokens.get(customer_id)
        now = time.monotonic()
        if hit and now - hit[0] < TOKEN_TTL:
            return hit[1]
        cipher = await asyncio.to_thread(self.store.get_secret, customer_id, SECRET_NAME)
        token = decrypt(self.settings.secret_key, cipher) if cipher else None
        if cipher and token is None:
            token = "\x00unusable"  # stored but undecryptable: refuse every webhook rather than skip the check
        self._tokens[customer_id] = (now, token)
        return token

    def forget_token(self, customer_id: int) -> None:
        self._tokens.pop(customer_id, None)


def services(request: Request) -> Services:
    app = request.app
    svc = getattr(app.state, "runtime_services", None)
    if svc is None:
        svc = app.state.runtime_services = Services(app)
    return svc
