"""Scale-out benchmark: workers behind haproxy on standalone Redis and on a Redis Cluster, and faults.

    .venv/bin/python benchmarks/scaling.py [--seconds 5] [--runs 3] [--big 500000] [--skip-cpu]

Writes benchmarks/results/scaling.md. Everything runs on loopback on this machine: the Redis
Cluster (3 primaries + 3 replicas), the `ringflow serve` workers, haproxy, PostgreSQL and the
load generator share its 2 cores with other people's work, so throughput is a floor; server CPU
per webhook (CPU time of the worker processes / webhooks answered) is the figure to size with.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from benchmarks.runtime import group_cpu_seconds, load, machine, pct, setup_flow  # noqa: E402
from tests.conftest import PgDatabases  # noqa: E402
from tests.scaleout.test_topology import LOOP, StreamReader  # noqa: E402
from tests.topology import (Processes, free_port, ringflow_env, start_cluster, start_haproxy, start_worker,  # noqa: E402
                            wait_healthy, wait_until)

STANDALONE = os.environ.get("RINGFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BASELINE = "d6117e3"  # the last commit with the hand-written RESP client (runtime/resp.py)
OLD_FILES = ["ringflow/runtime/resp.py", "ringflow/runtime/backends.py", "ringflow/runtime/history.py", "ringflow/runtime/counts.py",
             "ringflow/runtime/services.py", "ringflow/api/redis_events.py"]
ADMIN = {"Authorization": "Bearer bench-admin"}  # the token benchmarks/runtime.py's setup_flow uses


def env_for(db: str, redis_url: str, prefix: str) -> dict[str, str]:
    return {**ringflow_env(db, redis_url, prefix), "RINGFLOW_ADMIN_TOKEN": "bench-admin", "RINGFLOW_RATE_LIMIT": "0", "COLUMNS": "200"}


def procs_cpu(procs: Processes, names: list[str]) -> float:
    return sum(group_cpu_seconds(procs.procs[n].pid) for n in names)


# --- (1) server CPU per webhook: redis-py layer against the hand-written RESP client ------------

def baseline_tree(tmp: Path, name: str = "baseline", commit: str = BASELINE, files: list[str] = OLD_FILES) -> Path:
    """This checkout's package with ``files`` as they were at ``commit`` put back (git show, no checkout)."""
    tree = tmp / name
    shutil.copytree(ROOT / "ringflow", tree / "ringflow", ignore=shutil.ignore_patterns("__pycache__"))
    for f in files:
        (tree / f).write_bytes(subprocess.run(["git", "show", f"{commit}:{f}"], cwd=ROOT, capture_output=True, check=True).stdout)
    return tree


def one_server(procs: Processes, name: str, env: dict[str, str], cwd: Path) -> int:
    port = free_port()
    procs.start(name, [sys.executable, "-m", "uvicorn", "ringflow.api.serve:app_from_env", "--factory", "--host", "127.0.0.1",
                       "--port", str(port), "--no-access-log", "--log-level", "warning"], env={**env, "PYTHONPATH": str(cwd)})
    wait_healthy(port, 60)
    return port


def cpu_side_by_side(procs: Processes, db: str, seconds: float, runs: int, conc: int) -> dict[str, list[float]]:
    tree = baseline_tree(procs.workdir)
    out: dict[str, list[float]] = {"redis-py layer (redisio)": [], "hand-written RESP (resp.py)": []}
    servers = {}
    for label, cwd in (("redis-py layer (redisio)", ROOT), ("hand-written RESP (resp.py)", tree)):
        env = env_for(db, STANDALONE, f"rfs{uuid.uuid4().hex[:6]}")
        name = f"cpu-{len(servers)}"
        port = one_server(procs, name, env, cwd)
        servers[label] = (name, port, setup_flow(port))
    for _ in range(runs):  # alternate, so both see the same neighbours
        for label, (name, port, flow) in servers.items():
            asyncio.run(load(port, flow, 1.0, conc, 5000))
            c0 = procs_cpu(procs, [name])
            n, dt, lat = asyncio.run(load(port, flow, seconds, conc, 500_000))
            out[label].append((procs_cpu(procs, [name]) - c0) / n * 1e6)
    for name, _, _ in servers.values():
        procs.kill(name, signal.SIGTERM)
    return out


# --- (2) throughput through haproxy with 1, 2, 3 workers ----------------------------------------

def lb_rows(procs: Processes, db: str, redis_url: str, label: str, seconds: float, conc: int) -> list[dict[str, Any]]:
    env = env_for(db, redis_url, f"rfl{uuid.uuid4().hex[:6]}")
    ports = [free_port() for _ in range(3)]
    rows = []
    for n in (1, 2, 3):
        names = [f"lb-{label}-{i}" for i in range(n)]
        for i in range(n):
            if names[i] not in procs.procs or procs.procs[names[i]].poll() is not None:
                procs.start(names[i], [sys.executable, "-m", "ringflow.cli", "serve", "--host", "127.0.0.1", "--port", str(ports[i])],
                            env=env)
        for i in range(n):
            wait_healthy(ports[i], 60)
        lb = start_haproxy(procs, ports[:n])
        flow = setup_flow(lb)
        asyncio.run(load(lb, flow, 1.0, conc, 5000))
        c0 = procs_cpu(procs, names)
        count, dt, lat = asyncio.run(load(lb, flow, seconds, conc, 500_000))
        cpu = (procs_cpu(procs, names) - c0) / count * 1e6
        rows.append({"redis": label, "workers": n, "rps": count / dt, "p50": pct(lat, 50) * 1000, "p99": pct(lat, 99) * 1000, "cpu_us": cpu})
        print(rows[-1], flush=True)
        procs.kill("haproxy", signal.SIGTERM)
    for i in range(3):
        procs.kill(f"lb-{label}-{i}", signal.SIGTERM)
    return rows


# --- (3) faults on the cluster topology ----------------------------------------------------------

def simulate(base: str, flow: int, calls: int, conc: int, seed: int) -> Any:
    from ringflow.runtime.simulate import simulate as run

    return asyncio.run(run(None, 0, flow, calls, conc, seed, "http", base))


def in_thread(fn: Any, *args: Any) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []
    t = threading.Thread(target=lambda: box.append(fn(*args)))
    t.start()
    return t, box


def faults(procs: Processes, cluster: Any, db: str) -> dict[str, Any]:
    env = env_for(db, cluster.url, f"rff{uuid.uuid4().hex[:6]}")
    ports = [free_port() for _ in range(3)]
    for i, p in enumerate(ports):
        start_worker(procs, f"fw{i}", p, env)
    for p in ports:
        wait_healthy(p, 60)
    lb = start_haproxy(procs, ports)
    base = f"http://127.0.0.1:{lb}"
    with httpx.Client(base_url=base, timeout=30) as http:
        key = http.post("/api/v1/customers", json={"name": "Faults"}, headers=ADMIN).json()["api_key"]
        auth = {"Authorization": f"Bearer {key}"}
        flow = http.post("/api/v1/flows", json=LOOP, headers=auth).json()["id"]
        http.post(f"/api/v1/flows/{flow}/publish", headers=auth).raise_for_status()
    out: dict[str, Any] = {}

    t, box = in_thread(simulate, base, flow, 400, 24, 11)
    time.sleep(2.0)
    procs.kill("fw1")
    t.join()
    r = box[0]
    out["worker"] = {"outcomes": dict(r.outcomes), "stale": r.stale, "webhooks": r.webhooks, "max_ms": max(r.latencies) * 1000}
    start_worker(procs, "fw1", ports[1], env)
    wait_healthy(ports[1], 60)

    victim = cluster.primaries()[0]
    t, box = in_thread(simulate, base, flow, 400, 24, 12)
    time.sleep(2.0)
    procs.kill(f"redis-{victim}")
    t0 = time.monotonic()
    wait_until(lambda: victim not in cluster.primaries() and len(cluster.primaries()) == 3, 60, "replica promoted")
    gap = time.monotonic() - t0
    t.join()
    r = box[0]
    out["primary"] = {"outcomes": dict(r.outcomes), "stale": r.stale, "webhooks": r.webhooks, "promoted_s": gap,
                      "max_ms": max(r.latencies) * 1000}

    # edit through one worker, editor streaming from another: time to the event
    ed = edit_latency(ports[0], ports[2], auth, flow, 100)
    out["edit"] = ed
    for i in range(3):
        procs.kill(f"fw{i}", signal.SIGTERM)
    procs.kill("haproxy", signal.SIGTERM)
    return out


def edit_latency(writer: int, reader_port: int, auth: dict[str, str], flow: int, edits: int) -> dict[str, float]:
    reader = StreamReader(f"http://127.0.0.1:{reader_port}/api/v1/flows/{flow}/events", auth)
    wait_until(lambda: reader.last_id is not None, 15, "stream")
    lat: list[float] = []
    after: list[float] = []  # from the PATCH's answer to the event on the other worker's stream
    with httpx.Client(base_url=f"http://127.0.0.1:{writer}", timeout=30) as http:
        rev = http.get(f"/api/v1/flows/{flow}", headers=auth).json()["revision"]
        for i in range(edits):
            seen = len(reader.events)
            t0 = time.perf_counter()
            r = http.patch(f"/api/v1/flows/{flow}", json={"ops": [{"op": "move_node", "id": "s2", "x": i, "y": 1}]},
                           headers=auth | {"If-Match": str(rev)})
            rev = r.json()["revision"]
            t_answered = time.perf_counter()
            while not any(e.get("revision") == rev for e in reader.events[seen:]):
                if time.perf_counter() - t0 > 5:
                    raise RuntimeError("edit never reached the other worker's stream")
                time.sleep(0.002)
            lat.append(time.perf_counter() - t0)
            after.append(time.perf_counter() - t_answered)
            time.sleep(0.05)
    reader.stop()
    return {"p50": pct(lat, 50) * 1000, "p99": pct(lat, 99) * 1000, "max": max(lat) * 1000, "n": len(lat),
            "after_answer_p50": pct(after, 50) * 1000, "after_answer_p99": pct(after, 99) * 1000}


EDIT_FILES = ["ringflow/api/stream.py", "ringflow/api/redis_events.py"]
EDIT_BASELINE = "5eae6f3"  # before the stream's window ran from the last message sent and events left in one script


def edit_only(procs: Processes, cluster: Any, db: str, edits: int = 200, rounds: int = 3) -> dict[str, list[dict[str, float]]]:
    """Old and new event path side by side (alternating rounds, same cluster and database), each a pair of
    workers: edits through one, the editor's stream on the other."""
    trees = {"before": baseline_tree(procs.workdir, "edit-baseline", EDIT_BASELINE, EDIT_FILES), "now": ROOT}
    auth, flow = None, 0
    out: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    env = env_for(db, cluster.url, f"rfe{uuid.uuid4().hex[:6]}")
    for r in range(rounds):
        for label, tree in trees.items():
            ports = [free_port() for _ in range(2)]
            for i, p in enumerate(ports):
                start_worker(procs, f"ew-{label}-{i}", p, {**env, "PYTHONPATH": str(tree)})
            for p in ports:
                wait_healthy(p, 60)
            if auth is None:
                with httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", timeout=30) as http:
                    key = http.post("/api/v1/customers", json={"name": "Edits"}, headers=ADMIN).json()["api_key"]
                    auth = {"Authorization": f"Bearer {key}"}
                    flow = http.post("/api/v1/flows", json=LOOP, headers=auth).json()["id"]
            out[label].append(edit_latency(ports[0], ports[1], auth, flow, edits))
            print(label, out[label][-1], flush=True)
            for i in range(2):
                procs.kill(f"ew-{label}-{i}", signal.SIGTERM)
    return out


# --- (4) opening a 500,000-node flow on a fresh worker -----------------------------------------

def _open_timed(port: int, auth: dict[str, str], flow: int) -> dict[str, float]:
    """Skeleton, then metadata until its problems are there, then the first screen (critical region)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300, headers=auth) as http:
        t0 = time.perf_counter()
        assert http.get(f"/api/v1/flows/{flow}/skeleton", headers={"Accept-Encoding": "gzip"}).status_code == 200
        skeleton = time.perf_counter() - t0
        t1 = time.perf_counter()
        while http.get(f"/api/v1/flows/{flow}").json().get("problems_pending"):  # validated behind the answer when not stored
            time.sleep(0.05)
        problems = time.perf_counter() - t1
        assert http.get(f"/api/v1/flows/{flow}/critical").status_code == 200
        return {"skeleton": skeleton, "problems": problems, "total": time.perf_counter() - t0}


def big_open(procs: Processes, db: str, nodes: int) -> dict[str, dict[str, float]]:
    """A big flow opened on freshly started workers: as `ringflow demo --big` wrote it, after a PATCH made
    on another worker, and (side by side, as before) a revision whose stored editor data was deleted."""
    import redis

    prefix = f"rfo{uuid.uuid4().hex[:6]}"
    env = env_for(db, STANDALONE, prefix)
    made = subprocess.run([sys.executable, "-m", "ringflow.cli", "demo", "--big", str(nodes)], env=env, capture_output=True,
                          text=True, timeout=1800, check=True).stdout
    customer = int(made.split("API key for customer", 1)[1].split(":", 1)[0].strip())
    key = made.split("API key for customer", 1)[1].split(":", 1)[1].strip().split()[0]
    flow = int(made.split("(ids ", 1)[1].split(")", 1)[0].split(",")[-1].split()[-1])
    auth = {"Authorization": f"Bearer {key}"}
    r = redis.Redis.from_url(STANDALONE)
    out: dict[str, dict[str, float]] = {}

    def fresh(stage: str) -> int:
        port = free_port()
        start_worker(procs, stage, port, env)
        wait_healthy(port, 60)
        out[stage] = {f"cold_{k}": v for k, v in _open_timed(port, auth, flow).items()}
        out[stage] |= {f"warm_{k}": v for k, v in _open_timed(port, auth, flow).items()}
        return port

    port = fresh("imported")  # a restart after `ringflow demo --big` / `ringflow import`
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300, headers=auth) as http:
        rev = http.get(f"/api/v1/flows/{flow}").json()["revision"]
        t0 = time.perf_counter()
        rev = http.patch(f"/api/v1/flows/{flow}", json={"ops": [{"op": "move_node", "id": "b0_hours", "x": 1, "y": 1}]},
                         headers={"If-Match": str(rev)}).json()["revision"]
        names = [f"{prefix}:ed:{kind}:{customer}:{flow}:{rev}" for kind in ("skel", "problems")]
        wait_until(lambda: r.exists(*names) == 2, 600, "the patched revision's editor data")
        stored_after = time.perf_counter() - t0
    procs.kill("imported", signal.SIGTERM)
    fresh("patched")  # another worker, started after the PATCH: the revision's data was stored when it was written
    out["patched"]["stored_after_patch"] = stored_after
    procs.kill("patched", signal.SIGTERM)
    r.delete(*names)  # as before this change: nobody stored the revision, the first open builds it
    fresh("not-stored")
    procs.kill("not-stored", signal.SIGTERM)
    r.close()
    return out


# --- report ---------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--big", type=int, default=500_000, help="nodes of the flow opened cold and warm (0: skip)")
    ap.add_argument("--skip-cpu", action="store_true")
    ap.add_argument("--only-big", action="store_true", help="only the big-flow open, printed (no results file)")
    ap.add_argument("--only-edit", action="store_true", help="only the edit-to-other-worker latency on the cluster, printed")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling.md"))
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    dbs = PgDatabases()
    procs = Processes(Path(tempfile.mkdtemp(prefix="ringflow-scaling-")))
    if args.only_edit:
        try:
            print(edit_only(procs, start_cluster(procs), dbs.create()))
        finally:
            procs.stop()
            dbs.drop_all()
        return
    if args.only_big:
        try:
            print(big_open(procs, dbs.create(), args.big))
        finally:
            procs.stop()
            dbs.drop_all()
        return
    try:
        cpu = {} if args.skip_cpu else cpu_side_by_side(procs, dbs.create(), args.seconds, args.runs, 16)
        print(cpu, flush=True)
        cluster = start_cluster(procs)
        rows = lb_rows(procs, dbs.create(), STANDALONE, "standalone", args.seconds, args.concurrency)
        rows += lb_rows(procs, dbs.create(), cluster.url, "cluster", args.seconds, args.concurrency)
        fault = faults(procs, cluster, dbs.create())
        print(fault, flush=True)
        big = big_open(procs, dbs.create(), args.big) if args.big else {}
        print(big, flush=True)
    finally:
        procs.stop()
        shutil.rmtree(procs.workdir, ignore_errors=True)
        dbs.drop_all()
    write(args, started, load_before, cpu, rows, fault, big)


def write(args: Any, started: str, load_before: float, cpu: dict[str, list[float]], rows: list[dict[str, Any]],
          fault: dict[str, Any], big: dict[str, dict[str, float]]) -> None:
    lines = ["# Scale-out benchmark", "",
             f"- Machine: {machine()}; **shared with other helpers' work** (builds, test suites) during the run.",
             f"- Date: {started}; command `python benchmarks/scaling.py {' '.join(sys.argv[1:])}`.",
             f"- Load average (1 min) at start {load_before:.1f}, at end {os.getloadavg()[0]:.1f} on 2 cores.",
             "- Everything on loopback on these 2 cores: Redis (standalone, or a cluster of 3 primaries + 3 replicas with",
             "  `cluster-node-timeout 1000`), the `ringflow serve` workers, haproxy (round robin, retries on connection",
             "  failure), PostgreSQL, and the load generator. Throughput cannot grow past 2 cores whatever the worker count:",
             "  **server CPU per webhook** is the figure to size a deployment with.", ""]
    if cpu:
        a, b = (statistics.median(v) for v in cpu.values())
        lines += ["## Server CPU per webhook, standalone Redis, one process (side by side, alternating runs)", "",
                  "| Redis client | CPU µs per webhook (runs) | median |", "|---|---|---|",
                  *[f"| {k} | {', '.join(f'{x:.0f}' for x in v)} | {statistics.median(v):.0f} |" for k, v in cpu.items()], "",
                  f"The redis-py layer costs {100 * (a - b) / b:+.0f} % server CPU per webhook against the hand-written client "
                  f"(budget: within 15 %). Load: benchmarks/runtime.py's generator, {16} keep-alive connections, whole calls "
                  "(first webhook, digit, dial result, status callback).", ""]
    lines += ["## Through haproxy: 1, 2, 3 workers", "",
              f"{args.concurrency} keep-alive connections to haproxy, {args.seconds:.0f} s per row, whole calls as above.", "",
              "| Redis | workers | webhooks/s | p50 ms | p99 ms | worker CPU µs per webhook |", "|---|---|---|---|---|---|",
              *[f"| {r['redis']} | {r['workers']} | {r['rps']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['cpu_us']:.0f} |" for r in rows],
              ""]
    w, p, e = fault["worker"], fault["primary"], fault["edit"]

    def failed(o: dict[str, int]) -> int:
        return sum(v for k, v in o.items() if k not in ("caller_hung_up", "caller_gave_up", "flow_ended"))

    lines += ["## Faults under load (cluster, 3 workers, haproxy; `ringflow simulate --via http`, 400 calls, 24 at a time)", "",
              "| fault | calls failed | of which state lost | stale answers (acknowledged step lost) | longest webhook | notes |",
              "|---|---|---|---|---|---|",
              f"| kill -9 one worker | {failed(w['outcomes'])} | {w['outcomes'].get('lost', 0)} | {w['stale']} | {w['max_ms']:.0f} ms | "
              f"{w['webhooks']:,} webhooks; outcomes {w['outcomes']} |",
              f"| kill -9 one Redis primary | {failed(p['outcomes'])} | {p['outcomes'].get('lost', 0)} | {p['stale']} | {p['max_ms']:.0f} ms | "
              f"replica promoted after {p['promoted_s']:.1f} s; {p['webhooks']:,} webhooks; outcomes {p['outcomes']} |", "",
              "A call fails at its first failed webhook (the caller hears the apology); 'state lost' would be a later webhook",
              "finding no call; 'stale' an answer that took a call back to an earlier step (a write Redis acknowledged but had",
              "not yet replicated when its primary died).", "",
              "## An edit through one worker, seen by an editor streaming from another", "",
              f"{e['n']} edits (PATCH on worker A, SSE stream on worker C, Redis Cluster): p50 {e['p50']:.0f} ms, "
              f"p99 {e['p99']:.0f} ms, max {e['max']:.0f} ms (target p99 <= 200 ms). News after a quiet spell is sent at once; "
              "within 100 ms of a stream's last message it waits out the 100 ms (at most 10 messages a second per editor).", ""]
    if big:
        lines += [f"## Opening a {args.big:,}-node flow on a freshly started worker (standalone Redis)", "",
                  "Each revision's skeleton and problems are computed when it is written (`ringflow demo --big` / `ringflow",
                  "import`, or the PATCH's worker right after answering) and stored in Redis; a worker started afterwards",
                  "reads them. 'Not stored' deletes them first: the first open builds, as every first open of a PATCHed or",
                  "imported revision did before. Open = skeleton (gzip), metadata until `problems_pending` is false, first",
                  "screen (critical region).", "",
                  "| revision | open | skeleton | problems | total |", "|---|---|---|---|---|",
                  *[f"| {s} | {w} | {v[f'{w}_skeleton']:.2f} s | {v[f'{w}_problems']:.2f} s | {v[f'{w}_total']:.2f} s |"
                    for s, v in big.items() for w in ("cold", "warm")], ""]
        if "stored_after_patch" in big.get("patched", {}):
            lines += [f"After the PATCH, its worker had stored the new revision's data {big['patched']['stored_after_patch']:.1f} s later.", ""]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
