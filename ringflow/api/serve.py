"""How ``ringflow serve`` (one process or ``--workers N``) and every worker build the one app:
``create_app`` (ringflow/api/app.py) around a store opened from the settings.

``uvicorn ringflow.api.serve:app_from_env --factory --http ringflow.api.httpserver:LimitedHttpTools``
is the same app (with the request-head limits of ``ringflow serve``): each worker opens its own
store connection and runtime; with RINGFLOW_REDIS_URL set they share calls, history, live
counts and event streams, and with PostgreSQL the flows.
"""

from __future__ import annotations

from typing import Any

from ringflow.api.app import create_app
from ringflow.config import Settings, load_settings
from ringflow.store import open_store

FACTORY = "ringflow.api.serve:app_from_env"


def app_from_env() -> Any:
    """What each worker process runs: the settings from the environment, its own store connection."""
    settings = load_settings()
    return create_app(settings, open_store(settings.database_url))


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
