"""The one app factory: ``ringflow serve`` (one process or ``--workers N``) and every worker use it.

``uvicorn ringflow.runtime.serve:app_from_env --factory --http ringflow.api.httpserver:LimitedHttpTools``
is the same app (with the request-head limits of ``ringflow serve``): each worker opens its own
store connection and runtime; with RINGFLOW_REDIS_URL set they share calls, history, live
counts and event streams, and with PostgreSQL the flows.
"""

from __future__ import annotations

from typing import Any

from ringflow.api.app import create_app
from ringflow.config import Settings, load_settings
from ringflow.runtime.routes import fast_path
from ringflow.store import open_store

FACTORY = "ringflow.runtime.serve:app_from_env"


def build_app(settings: Settings, store: Any = None) -> Any:
    """The full app, with provider webhooks answered before the API's router and middleware
    (a third of the CPU)."""
    return fast_path(create_app(settings, store if store is not None else open_store(settings.database_url)))


def app_from_env() -> Any:
    return build_app(load_settings())


def multi_process_problem(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot share this configuration, or None."""
    if workers <= 1:
        return None
    if settings.database_url.startswith("sqlite"):
        return (f"--workers {workers} needs PostgreSQL (RINGFLOW_DATABASE_URL=postgresql://...): SQLite allows one writing "
                "process, so serve SQLite with --workers 1")
    if not settings.redis_url:
        return (f"--workers {workers} needs RINGFLOW_REDIS_URL: without Redis each process keeps its own calls and live "
                "events, and a call's next webhook may reach a process that never saw it")
    return None
