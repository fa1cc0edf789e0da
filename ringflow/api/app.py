"""``create_app(settings, store)``: the whole HTTP surface assembled from small routers.

Dependencies are explicit: the store, settings and event hub live on ``app.state`` and
routers read them from the request, so tests build an app around any store they like.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import logging
import sys
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from ringflow.api import admin, editor_data, errors, flows, ops, session, static, stream
from ringflow.api.auth import Auth, bootstrap_admin, session_secret
from ringflow.api.events import EventHub, Hub
from ringflow.api.flows import ProblemCache
from ringflow.api.metrics import Metrics
from ringflow.api.middleware import Gatekeeper
from ringflow.api.skeleton import SkeletonCache
from ringflow.api.ratelimit import SharedRateLimiter
from ringflow.api.revision_data import Precompute
from ringflow.clock import Clock, system_clock
from ringflow.config import Settings, redis_prefix
from ringflow.redisio import RedisLink
from ringflow.store.base import Store

log = logging.getLogger("ringflow.api")

DESCRIPTION = """Ringflow's REST API: flows, the editor's data, live events.

Authenticate with `Authorization: Bearer <api key>` (or the browser session cookie from
`POST /api/v1/session`). Errors are always `{"error": {"code", "message", "details"}}`."""


def _include_runtime(app: FastAPI) -> None:
    """The runtime engineer's routes plug in here without editing this file."""
    try:
        module = importlib.import_module("ringflow.runtime.routes")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("ringflow.runtime"):
            log.info("ringflow.runtime.routes not present; serving without the voice runtime")
            return
        raise
    router = getattr(module, "router", None)
    if router is None:
        log.warning("ringflow.runtime.routes has no 'router'; voice routes not mounted")
        return
    app.include_router(router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Freeze what start-up allocated (framework, catalogue, schemas: ~120,000 objects) out of the
    cyclic GC: a full collection otherwise re-scans them all, a ~200 ms pause that was the API's p99."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()  # let whatever start-up built be collected once this app is gone (tests build many)
    close = getattr(app.state.events, "aclose", None) or getattr(app.state.events, "close", None)
    if callable(close):
        done = close()
        if inspect.isawaitable(done):
            await done


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
                metrics.gauges[f'ringflow_db_pool_{stat}{{pool="{role}"}}'] = reader


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
    app.state.skeletons = SkeletonCache()
    app.state.problem_cache = ProblemCache()
    if link is not None:  # per-revision editor data computed once, served by every worker, kept across restarts
        from ringflow.api.shared_cache import SharedProblemCache, SharedSkeletonCache

        app.state.skeletons = SharedSkeletonCache(link, redis_prefix())
        app.state.problem_cache = SharedProblemCache(link, redis_prefix())
    app.state.precompute = Precompute(store, app.state.skeletons, app.state.problem_cache)  # every write fills them
    app.state.auth = Auth(store, bootstrap_admin(store, settings), session_secret(settings), settings.rate_limit_per_minute,
                          failures_per_minute=settings.auth_failures_per_minute, clock=clock)
    if link is not None:  # every worker counts against the same limit
        app.state.auth.limiter = SharedRateLimiter(settings.rate_limit_per_minute, link, redis_prefix(), clock=clock)
    metrics.gauges["ringflow_event_streams_open"] = hub.stream_count
    _pool_gauges(metrics, store)

    _enable_access_log()
    errors.install(app)
    for router in (session.router, admin.router, flows.router, editor_data.router, stream.router, ops.router):
        app.include_router(router)
    _include_runtime(app)
    static.install(app)

    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(Gatekeeper, metrics=metrics, max_body_bytes=settings.max_body_bytes, clock=clock)
    return app
