"""Per-revision editor data through Redis: a worker that never built a flow's skeleton or problems
(another worker did, or this one before a restart) serves them from Redis, byte for byte."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from ringflow.api.app import create_app
from ringflow.store.seed import sized_flow
from tests.api.conftest import make_settings
from tests.api.server import serve

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_a_fresh_worker_serves_what_another_built(monkeypatch: pytest.MonkeyPatch, store: Any) -> None:
    import dataclasses

    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", f"rfe{uuid.uuid4().hex[:8]}")
    settings = dataclasses.replace(make_settings(), redis_url="redis://127.0.0.1:6379/0")
    first, fresh = create_app(settings, store), create_app(settings, store)  # two workers
    with serve(first) as a, serve(fresh) as b, httpx.Client(timeout=60) as http:
        body = http.post(f"{a}/api/v1/customers", json={"name": "Shared"}, headers={"Authorization": "Bearer test-admin-token"}).json()
        key = {"Authorization": f"Bearer {body['api_key']}"}
        flow = http.post(f"{a}/api/v1/flows", json=sized_flow(300, "Shared"), headers=key).json()
        built = http.get(f"{a}/api/v1/flows/{flow['id']}/skeleton", headers=key)
        assert built.status_code == 200
        calls: list[Any] = []
        monkeypatch.setattr("ringflow.api.editor_data.build_skeleton", lambda *a: calls.append(a))  # the fresh worker must not build
        got = http.get(f"{b}/api/v1/flows/{flow['id']}/skeleton", headers=key)
        assert got.status_code == 200 and got.content == built.content and calls == []
        assert got.headers["etag"] == built.headers["etag"] == f'"{flow["revision"]}"'
        again = http.get(f"{b}/api/v1/flows/{flow['id']}/skeleton", headers=key | {"Accept-Encoding": "gzip"})
        assert again.content == built.content  # the stored gzip form, decoded by the client
        meta = http.get(f"{b}/api/v1/flows/{flow['id']}", headers=key).json()
        assert meta["problems"] == flow["problems"] and meta["problems_pending"] is False
