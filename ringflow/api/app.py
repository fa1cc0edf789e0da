"""``create_app(settings, store)``: the whole HTTP surface assembled from small routers.

Dependencies are explicit: the store, settings and event hub live on ``app.state`` and
routers read them from the request, so tests build an app around any store they like.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import sys
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from ringflow.api import admin, editor_data, errors, flows, layout, ops, session, static, stream, voice
from ringflow.api.auth import Auth, bootstrap_admin, session_secret
from ringflow.api.background import Background
from ringflow.api.events import EventHub, Hub
from ringflow.api.flows import ProblemCache
from ringflow.api.metrics import Metrics
from ringflow.api.middleware import Gatekeeper
from ringflow.api.ratelimit import SharedRateLimiter
from ringflow.api.revision_data import Precompute
from ringflow.api.services import services_of
from ringflow.api.skeleton import SkeletonCache
from ringflow.clock import Clock, system_clock
from ringflow.config import Settings
from ringflow.redisio import RedisLink
from ringflow.store.base import Store

log = logging.getLogger("ringflow.api")

DESCRIPTION = """Ringflow's REST API: flows, the editor's data, live events.

Authenticate with `Authorization: Bearer <api key>` (or the browser session cookie from
`POST /api/v1/session`). Errors are always `{"error": {"code", "message", "details"}}`."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the runtime's background tasks; at shutdown stop every task this app started and
    close its clients (HTTP, Redis). Also freeze what start-up allocated (framework, catalogue,
    schemas: ~120,000 objects) out of the cyclic GC: a full collection otherwise re-scans them
    all, a ~200 ms pause that was the API's p99."""
    services_of(app)
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # let whatever start-up built be collected once this app is gone (tests build many)
        await shutdown(app)


async def shutdown(app: FastAPI) -> None:
    """Stop and close what the app started: runtime tasks and clients, the shared rate limiter's
    sync, the event hub, background validations, and last the app's one Redis link."""
    svc = getattr(app.state, "runtime_services", None)
    if svc is not None:
        await svc.aclose()
        app.state.runtime_services = None
    limiter = getattr(app.state.auth, "limiter", None)
    if isinstance(limiter, SharedRateLimiter):
        await limiter.aclose()
    close = getattr(app.state.events, "aclose", None) or getattr(app.state.events, "close", None)
    if callable(close):
        done = close()
        if inspect.isawaitable(done):
            await done
    app.state.background.shutdown()
    link = app.state.redis
    if link is not None:
        await link.aclose()
    await asyncio.sleep(0)  # let cancelled tasks run their last step before the loop goes


def _default_hub(settings: Settings, link: RedisLink | None) -> Hub:
    """Redis when configured (several processes share live events), else in-process."""
    if settings.redis_url:
        from ringflow.api.redis_events import RedisHub

        return RedisHub(settings.redis_url, link=link)
    return EventHub()


def _enable_access_log() -> None:
    """JSON access lines on stderr by default; a host that configured logging keeps its own handlers."""
    access = logging.getLogger("ringflow.access")
    if access.level == logging.NOTSET:
        access.setLevel(logging.INFO)
    if not access.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.propagate = False


def _pool_gauges(metrics: Metrics, store: Store) -> None:
    """Database pool gauges when the store runs on SQLAlchemy engines (read and write pools)."""
    engines = getattr(store, "engines", None)
    for role in ("read", "write"):
        pool = getattr(getattr(engines, role, None), "pool", None)
        for stat in ("checkedout", "size"):
            reader = getattr(pool, stat, None)
            if callable(reader):
                metrics.gauge(f"ringflow_db_pool_{stat}", reader, f"Database pool connections ({stat}), by pool.", ("pool", role))


def create_app(settings: Settings, store: Store, events: Hub | None = None, clock: Clock = system_clock) -> FastAPI:
    """The one app factory. ``clock`` is "now" for everything the app runs: sessions, rate limits,
    calls, their state, history and live counts (the store keeps the clock it was opened with)."""
    app = FastAPI(title="Ringflow", version="1.0", description=DESCRIPTION, openapi_url="/openapi.json", docs_url="/docs",
                  redoc_url=None, lifespan=_lifespan)
    metrics = Metrics()
    # one Redis link per app (process): events, rate limits, calls, history and counts share its pipelines
    link = RedisLink.from_url(settings.redis_url) if settings.redis_url else None
    app.state.redis = link
    hub = events or _default_hub(settings, link)
    app.state.settings = settings
    app.state.clock = clock
    app.state.store = store
    app.state.events = hub
    app.state.stream_max_seconds = float(settings.stream_max_seconds)
    app.state.metrics = metrics
    background = app.state.background = Background()  # validations and skeleton builds off the request path
    app.state.skeletons = SkeletonCache()
    app.state.problem_cache = ProblemCache(background=background)
    if link is not None:  # per-revision editor data computed once, served by every worker, kept across restarts
        from ringflow.api.shared_cache import SharedProblemCache, SharedSkeletonCache

        app.state.skeletons = SharedSkeletonCache(link, settings.redis_prefix)
        app.state.problem_cache = SharedProblemCache(link, settings.redis_prefix, background=background)
    app.state.precompute = Precompute(store, app.state.skeletons, app.state.problem_cache, background)  # every write fills them
    app.state.auth = Auth(store, bootstrap_admin(store, settings), session_secret(settings), settings.rate_limit_per_minute,
                          failures_per_minute=settings.auth_failures_per_minute, clock=clock)
    if link is not None:  # every worker counts against the same limit
        app.state.auth.limiter = SharedRateLimiter(settings.rate_limit_per_minute, link, settings.redis_prefix, clock=clock)
    metrics.gauge("ringflow_event_streams_open", hub.stream_count, "Editors' event streams open in this process.")
    _pool_gauges(metrics, store)

    _enable_access_log()
    errors.install(app)
    for router in (session.router, admin.router, flows.router, editor_data.router, layout.router, stream.router, ops.router):
        app.include_router(router)
    app.include_router(voice.router)  # provider webhooks, test calls, executions, messaging
    static.install(app)

    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(Gatekeeper, metrics=metrics, max_body_bytes=settings.max_body_bytes, clock=clock)
    app.add_middleware(voice.VoiceFastPath)  # outermost: provider webhooks skip the router walk and the middleware above
    return app
