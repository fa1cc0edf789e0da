"""`ringflow serve --workers N`: N real processes sharing PostgreSQL and Redis; SQLite refused."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scaleout.test_topology import ADMIN, LOOP, finish
from tests.topology import Processes, free_port, ringflow_env, start_worker, wait_healthy, wait_until


def test_sqlite_with_several_workers_is_refused_with_the_reason(tmp_path: Path) -> None:
    env = ringflow_env(f"sqlite:///{tmp_path / 'one.db'}", "redis://127.0.0.1:6379/0", "rfw")
    r = subprocess.run([sys.executable, "-m", "ringflow.cli", "serve", "--workers", "2"], env={**env, "COLUMNS": "200"},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "needs PostgreSQL" in r.stderr and "SQLite allows one writing process" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "one.db").exists()  # refused before touching anything


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


@pytest.mark.postgres
@pytest.mark.redis
def test_two_worker_processes_share_calls(tmp_path: Path, pg_databases: Any) -> None:
    procs = Processes(tmp_path)
    env = ringflow_env(pg_databases.create(), "redis://127.0.0.1:6379/0", f"rfw{uuid.uuid4().hex[:6]}")
    port = free_port()
    try:
        start_worker(procs, "serve", port, env, workers=2)
        wait_healthy(port, 60)
        wait_until(lambda: len(_children(procs.procs["serve"].pid)) >= 2, 30, "two worker processes")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            key = http.post("/api/v1/customers", json={"name": "Two"}, headers=ADMIN).json()["api_key"]
            auth = {"Authorization": f"Bearer {key}"}
            # the simulated provider does not sign: this tenant allows unsigned webhooks (refused by default)
            assert http.patch("/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=auth).status_code == 200
            flow = http.post("/api/v1/flows", json=LOOP, headers=auth).json()
            assert http.post(f"/api/v1/flows/{flow['id']}/publish", headers=auth).status_code in (200, 201)
        sim = subprocess.Popen([sys.executable, "-m", "ringflow.cli", "simulate", str(flow["id"]), "--via", "http", "--url",
                                f"http://127.0.0.1:{port}", "--calls", "40", "--concurrency", "8"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env, "COLUMNS": "200"})
        got = finish(sim)
        assert got.pop("stale") == 0 and got.pop("resent") == 0  # no worker stops here: nothing is sent twice
        assert sum(got.values()) == 40 and set(got) <= {"caller_hung_up", "caller_gave_up", "flow_ended"}, got
        assert "with 2 processes" in procs.log("serve")
    finally:
        procs.stop()
