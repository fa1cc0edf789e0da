"""kill -9 in the middle of work, then restart: nothing half-written, nothing acknowledged lost.

A server in a child process is killed (SIGKILL: no shutdown hooks) while it imports a 50,000-node
flow, and again under patch load; ``ringflow import`` is killed mid-import too. Afterwards the
flow is whole or absent, every write that got 200/201 is there, and on SQLite
``PRAGMA integrity_check`` says ok. The benchmark runs the same with 500,000 nodes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ringflow.model.demo import generate_flow
from ringflow.store import open_store
from tests.reliability.conftest import BACKENDS, ROOT, ChildServer, database, flow_doc, record, tenant

BIG = int(os.environ.get("RINGFLOW_CRASH_NODES", "50000"))
# when to kill, as fractions of an uncut run's time (the benchmark kills at several points)
KILL_AT = [float(f) for f in os.environ.get("RINGFLOW_CRASH_POINTS", "0.5").split(",")]


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Straight through the driver, not the store: the check must not trust the code under test."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute(sql).fetchall()  # type: ignore[return-value]


def check_consistent(url: str) -> None:
    """Every flow's counts match its rows, no rows without a flow, and SQLite's own integrity check."""
    if url.startswith("sqlite"):
        assert _query(url, "PRAGMA integrity_check") == [("ok",)]
    flows = {r[0]: (r[1], r[2]) for r in _query(url, "SELECT id, node_count, edge_count FROM flows")}
    nodes = dict(_query(url, "SELECT flow_id, count(*) FROM flow_nodes GROUP BY flow_id"))
    edges = dict(_query(url, "SELECT flow_id, count(*) FROM flow_edges GROUP BY flow_id"))
    assert set(nodes) <= set(flows) and set(edges) <= set(flows), "rows of a flow that does not exist"
    for fid, (nc, ec) in flows.items():
        assert nodes.get(fid, 0) == nc and edges.get(fid, 0) == ec, f"flow {fid} is half-written"


def _post_until_killed(base: str, headers: dict[str, str], body: bytes, result: dict[str, Any]) -> None:
    try:
        r = httpx.post(f"{base}/api/v1/flows", content=body, headers={**headers, "Content-Type": "application/json"},
                       timeout=300)
        result["status"] = r.status_code
        result["id"] = r.json().get("id") if r.status_code == 201 else None
    except httpx.HTTPError as exc:
        result["error"] = type(exc).__name__


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_during_a_big_import_leaves_it_whole_or_absent(backend: str) -> None:
    body = orjson.dumps(generate_flow(BIG, name="Big import"))
    with database(backend) as url:
        server = ChildServer(url, {"RINGFLOW_MAX_BODY_BYTES": str(max(64 << 20, 2 * len(body)))})  # 500k nodes is ~140 MB
        base = server.start()
        t = tenant(base, "Importer")
        started = time.perf_counter()  # one uncut import tells how long the server needs
        done: dict[str, Any] = {}
        _post_until_killed(base, t.headers, body, done)
        full = time.perf_counter() - started
        assert done.get("status") == 201, done
        outcomes = []
        for fraction in KILL_AT:
            result: dict[str, Any] = {}
            th = threading.Thread(target=_post_until_killed, args=(base, t.headers, body, result))
            th.start()
            time.sleep(full * fraction)
            server.kill()
            th.join(timeout=60)
            outcomes.append(result)
            check_consistent(url)
            base = server.start()
        server.stop()
        assert any("error" in o for o in outcomes), f"no kill landed mid-request: {outcomes}"

        server.start()
        try:
            flows = httpx.get(f"{server.base}/api/v1/flows?limit=500", headers=t.headers).json()["flows"]
            acked = {done["id"]} | {o["id"] for o in outcomes if o.get("status") == 201}
            assert acked <= {f["id"] for f in flows}
            for f in flows:  # whole: every flow that exists has every node
                assert (f["node_count"], f["edge_count"]) == (BIG, len(orjson.loads(body)["edges"]))
            meta = httpx.get(f"{server.base}/api/v1/flows/{done['id']}", headers=t.headers)
            assert meta.status_code == 200
            record(test="kill_import", backend=backend, nodes=BIG, uncut_import_s=round(full, 2), kills=len(outcomes),
                   killed_mid_request=sum("error" in o for o in outcomes), acknowledged=len(acked), flows_after=len(flows))
        finally:
            server.stop()
        check_consistent(url)


def test_kill_9_of_ringflow_import_writes_nothing_half(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps(generate_flow(BIG, name="CLI import")))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(url)
    customer = store.create_customer("CLI").id
    store.close()
    cmd = [str(ROOT / ".venv" / "bin" / "ringflow"), "import", str(path), "--customer", str(customer), "--db", url]
    started = time.perf_counter()
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    full = time.perf_counter() - started
    killed = 0
    for fraction in KILL_AT + [0.85]:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * fraction)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        check_consistent(url)
    assert killed >= 1
    store = open_store(url)
    try:
        metas = store.list_flows(customer, limit=50).items
        assert metas and all(m.node_count == BIG for m in metas)
        record(test="kill_cli_import", nodes=BIG, uncut_import_s=round(full, 2), killed=killed, flows_after=len(metas))
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_under_patch_load_loses_no_acknowledged_write(backend: str) -> None:
    with database(backend) as url:
        server = ChildServer(url)
        base = server.start()
        t = tenant(base, "Patcher")
        flow = httpx.post(f"{base}/api/v1/flows", json=flow_doc("under fire", 3), headers=t.headers).json()
        acked: dict[str, int] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def writer(i: int) -> None:
            rev = flow["revision"]
            n = 0
            with httpx.Client(base_url=base, headers=t.headers, timeout=10) as http:
                while not stop.is_set():
                    nid = f"k{i}_{n}"
                    n += 1
                    ops = [{"op": "add_node", "node": {"id": nid, "type": "say", "x": i * 300, "y": n * 150, "config": {"text": nid}}}]
                    try:
                        r = http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": ops}, headers={"If-Match": str(rev)})
                    except httpx.HTTPError:
                        return  # the server died under us: this write was never acknowledged
                    if r.status_code == 200:
                        with lock:
                            acked[nid] = r.json()["revision"]
                        rev = r.json()["revision"]
                    elif r.status_code == 412:
                        rev = r.json()["error"]["details"]["current_revision"]
                    else:
                        raise AssertionError(r.text)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 20
        while len(acked) < 30 and time.monotonic() < deadline:  # kill only once real work was acknowledged
            time.sleep(0.05)
        time.sleep(0.3)
        server.kill()
        stop.set()
        for th in threads:
            th.join(timeout=30)
        assert len(acked) > 10
        check_consistent(url)
        base = server.start()
        try:
            doc = httpx.get(f"{base}/api/v1/flows/{flow['id']}/document", headers=t.headers).json()
            meta = httpx.get(f"{base}/api/v1/flows/{flow['id']}", headers=t.headers).json()
            assert set(acked) <= {n["id"] for n in doc["nodes"]}
            assert meta["revision"] >= max(acked.values())
            assert meta["node_count"] == len(doc["nodes"])
            again = httpx.patch(f"{base}/api/v1/flows/{flow['id']}", json={"ops": [{"op": "rename", "name": "after"}]},
                                headers={**t.headers, "If-Match": str(meta["revision"])})
            assert again.status_code == 200  # and it keeps working
            record(test="kill_patch_load", backend=backend, acknowledged=len(acked), present=len(set(acked) & {n["id"] for n in doc["nodes"]}))
        finally:
            server.stop()
