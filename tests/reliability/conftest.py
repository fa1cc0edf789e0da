"""Reliability fixtures: real servers (in-thread uvicorn, or a child process we can kill -9), real databases.

Reuses the API suite's helpers (settings, tenants, the in-thread uvicorn) and the session
PostgreSQL database factory; adds only what crash tests need: a server in its own process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from ringflow.api.app import create_app
from ringflow.store import open_store
from tests.api.conftest import ADMIN, Tenant, make_settings, postgres_database, sqlite_database
from tests.api.server import free_port, serve

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database URL on ``backend`` (a uniquely named PostgreSQL database, dropped afterwards)."""
    with (postgres_database() if backend == "postgresql" else sqlite_database()) as url:
        yield url


@contextmanager
def live_app(url: str, **settings: Any) -> Iterator[tuple[str, Any]]:
    """The real app on a real uvicorn (in this process) over a store at ``url``: (base URL, store)."""
    store = open_store(url)
    try:
        app = create_app(make_settings(**settings), store)
        with serve(app) as base:
            yield base, store
    finally:
        store.close()


def tenant(base: str, name: str) -> Tenant:
    r = httpx.post(f"{base}/api/v1/customers", json={"name": name}, headers=ADMIN_HEADERS, timeout=10)
    assert r.status_code == 201, r.text
    body = r.json()
    return Tenant(body["id"], body["api_key"], body["key_id"])


class ChildServer:
    """``uvicorn ringflow.api.serve:app_from_env`` in a child process: what kill -9 tests kill."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None):
        self.database_url = database_url
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""
        # a file, never a pipe: nobody reads a pipe, and a full one (access logs) would freeze the server
        self.log = tempfile.NamedTemporaryFile(prefix="ringflow-child-", suffix=".log", delete=False)

    def log_tail(self, size: int = 4000) -> str:
        return Path(self.log.name).read_bytes()[-size:].decode(errors="replace")

    def start(self, timeout: float = 30.0) -> str:
        port = free_port()
        env = {**os.environ, "RINGFLOW_DATABASE_URL": self.database_url, "RINGFLOW_ADMIN_TOKEN": ADMIN,
               "RINGFLOW_SECRET_KEY": "reliability-secret", "RINGFLOW_RATE_LIMIT": "0", **self.extra_env}
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "ringflow.api.serve:app_from_env", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log", "--backlog", "4096",
             "--http", "ringflow.api.httpserver:LimitedHttpTools"],  # as production runs it (header limits)
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self.base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("server did not come up")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; the database must cope."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def child_server(database_url: str, env: dict[str, str] | None = None) -> Iterator[ChildServer]:
    server = ChildServer(database_url, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def flow_doc(name: str = "Flow", n: int = 2) -> dict[str, Any]:
    """A valid chain: say -> say -> ... -> hangup."""
    nodes = [{"id": f"n{i}", "type": "say", "x": (i % 50) * 300, "y": (i // 50) * 200, "label": f"Step {i}",
              "config": {"text": f"step {i}"}} for i in range(n - 1)]
    nodes.append({"id": "end", "type": "hangup", "x": 0, "y": -300, "label": "Bye", "config": {}})
    ids = [nd["id"] for nd in nodes]
    edges = [{"source": ids[i], "outlet": "next", "target": ids[i + 1]} for i in range(n - 1)]
    return {"name": name, "start": ids[0], "nodes": nodes, "edges": edges}


def record(**facts: Any) -> None:
    """Append what a test saw (counts, timings) to $RINGFLOW_RELIABILITY_RECORD, for the report.

    A no-op in plain CI runs; benchmarks/reliability.py sets the variable and turns the lines
    into the figures of docs/reliability.md.
    """
    path = os.environ.get("RINGFLOW_RELIABILITY_RECORD")
    if path:
        import json

        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(facts, default=str) + "\n")
