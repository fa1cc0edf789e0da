"""The app's lifespan owns what the app starts: after shutdown no task of ours runs and no Redis
connection of this process stays open."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringflow.api.app import create_app
from ringflow.store import open_store

from tests.api.conftest import ADMIN, make_settings

REDIS = "redis://127.0.0.1:6379/0"


def redis_sockets() -> set[str]:
    """This process's open TCP connections to port 6379, by socket inode (from /proc: whatever opened them)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            remote_port, state, inode = int(cols[2].rsplit(":", 1)[1], 16), cols[3], cols[9]
            if remote_port == 6379 and state == "01" and inode in inodes:  # 01: ESTABLISHED
                found.add(inode)
    return found


def our_tasks() -> list[str]:
    mine = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if task is not asyncio.current_task() and not task.done() and code is not None and "ringflow" in code.co_filename:
            mine.append(f"{task.get_name()}: {code.co_qualname}")
    return mine


@pytest.mark.redis
async def test_shutdown_stops_every_task_and_closes_redis(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", f"rfl{uuid.uuid4().hex[:10]}")
    before = redis_sockets()
    store = open_store(f"sqlite:///{tmp_path / 'life.db'}")
    app = create_app(make_settings(redis_url=REDIS, rate_limit_per_minute=1000), store)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                made = await client.post("/api/v1/customers", json={"name": "Life"}, headers={"Authorization": f"Bearer {ADMIN}"})
                assert made.status_code == 201, made.text
                key = made.json()["api_key"]
                assert (await client.get("/api/v1/flows", headers={"Authorization": f"Bearer {key}"})).status_code == 200
                assert (await client.post("/voice/999999", data={"CallSid": "CA1", "From": "+1"})).status_code == 200
                await asyncio.sleep(1.2)  # a tick of every ticker (counts flush, rate-limit sync)
            running = our_tasks()
            assert running, "the app should run background tasks while it serves"
            assert redis_sockets() - before, "the app should hold Redis connections while it serves"
        assert our_tasks() == []
        assert redis_sockets() - before == set()  # every connection this app opened is closed
    finally:
        store.close()
