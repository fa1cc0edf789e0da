"""An app factory that reads everything from the environment, for multi-process serving.

``uvicorn ringflow.runtime.serve:app_from_env --factory --workers 2 --http
ringflow.api.httpserver:LimitedHttpTools`` gives each worker its own store connection and
runtime (and the request-head limits of ``ringflow serve``); with RINGFLOW_REDIS_URL set they share calls.
"""

from __future__ import annotations

from typing import Any

from ringflow.api.app import create_app
from ringflow.config import load_settings
from ringflow.runtime.routes import fast_path
from ringflow.store import open_store


def app_from_env() -> Any:
    """The full app, with provider webhooks answered before the API's router and middleware."""
    settings = load_settings()
    return fast_path(create_app(settings, open_store(settings.database_url)))
