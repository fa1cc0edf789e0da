"""API benchmark against a real uvicorn server process, on SQLite and PostgreSQL.

Measures: viewport p50/p99 and peak req/s on a big flow (p99 measured at 50% of peak, paced);
skeleton size and time to first byte, cold (first request after start) and cached; one list
page for a customer among 10,000. Writes benchmarks/results/api.md.

    .venv/bin/python benchmarks/api.py [--nodes 500000] [--customers 10000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringflow.model.demo import generate_flow  # noqa: E402
from ringflow.store import open_store  # noqa: E402
from ringflow.store.keys import new_api_key  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SERVE = """
import sys, uvicorn
from ringflow.api.app import create_app
from ringflow.config import Settings
from ringflow.store import open_store
url, port = sys.argv[1], int(sys.argv[2])
app = create_app(Settings(database_url=url, admin_token="bench", secret_key="bench", rate_limit_per_minute=0), open_store(url))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str):
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # the access log goes to stderr: a file, never an unread pipe (a full pipe would stall the server)
        self.log = tempfile.NamedTemporaryFile(prefix="ringflow-bench-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, url, str(self.port)], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start: " + Path(self.log.name).read_text()[-2000:])

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, float, float, bytes]:
    """(status, seconds to first byte (headers), seconds to last byte, body)."""
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    first = time.perf_counter() - t0
    body = resp.read()
    return resp.status, first, time.perf_counter() - t0, body


def seed(url: str, nodes: int, customers: int) -> dict:
    store = open_store(url)
    out: dict = {}
    t0 = time.perf_counter()
    owner = store.create_customer("bench owner")
    clear, h, prefix = new_api_key()
    store.create_api_key(owner.id, h, prefix)
    out["key"] = clear
    for n in sorted({50_000, nodes}):
        doc = generate_flow(n, name=f"Bench {n}")
        t = time.perf_counter()
        meta = store.create_flow(owner.id, doc)
        out[n] = {"id": meta.id, "nodes": meta.node_count, "edges": meta.edge_count, "import_s": time.perf_counter() - t}
        xs = [nd["x"] for nd in doc["nodes"]]
        ys = [nd["y"] for nd in doc["nodes"]]
        out[n]["bounds"] = (min(xs), min(ys), max(xs), max(ys))
        del doc
    small = {"name": "tiny", "nodes": [{"id": "a", "type": "hangup"}], "edges": []}
    lister = None
    for i in range(customers):
        c = store.create_customer(f"customer {i}")
        store.create_flow(c.id, small | {"name": f"flow of {i}"})
        if i == customers // 2:
            lister = c
            for j in range(120):
                store.create_flow(c.id, small | {"name": f"flow {j:03d}"})
    if lister is not None:
        clear, h, prefix = new_api_key()
        store.create_api_key(lister.id, h, prefix)
        out["list_key"] = clear
    out["seed_s"] = time.perf_counter() - t0
    store.close()
    return out


def server_histogram(server: Server, route: str) -> dict[float, int]:
    """Cumulative bucket counts of one route from /metrics (server-side latency, no client noise)."""
    conn = server.conn()
    _, _, _, body = get(conn, "/metrics", {})
    out: dict[float, int] = {}
    marker = f'route="{route}"'
    for line in body.decode().splitlines():
        if line.startswith("ringflow_http_request_duration_seconds_bucket") and marker in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]  # labels in any order (prometheus_client puts le first)
            out[float("inf") if le == "+Inf" else float(le)] = int(float(line.rsplit(" ", 1)[1]))
    return out


def histogram_pct(before: dict[float, int], after: dict[float, int], p: float) -> float:
    """Upper bound (ms) of the bucket holding the p-th percentile of the requests between two scrapes."""
    deltas = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    total = deltas[-1][1] if deltas else 0
    for le, count in deltas:
        if total and count >= p / 100 * total:
            return le * 1000
    return float("nan")


def viewport_load(server: Server, auth: dict[str, str], flow: dict, seconds: float, threads: int, rate: float | None) -> dict:
    """Closed loop (rate None) for peak throughput, or paced at ``rate`` req/s total for latency."""
    x0, y0, x1, y1 = flow["bounds"]
    lat: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    counts = [0]

    def worker(idx: int) -> None:
        rng = random.Random(idx)
        conn = server.conn()
        interval = threads / rate if rate else 0.0
        nxt = time.perf_counter() + rng.random() * interval
        mine: list[float] = []
        while True:
            if rate:
                now = time.perf_counter()
                if nxt > now:
                    time.sleep(nxt - now)
                nxt += interval
            if time.perf_counter() > stop:
                break
            vx = rng.uniform(x0, max(x0, x1 - 1600))
            vy = rng.uniform(y0, max(y0, y1 - 900))
            path = f"/api/v1/flows/{flow['id']}/viewport?x0={vx:.0f}&y0={vy:.0f}&x1={vx + 1600:.0f}&y1={vy + 900:.0f}"
            status, _, total, _ = get(conn, path, auth)
            assert status == 200, status
            mine.append(total)
        with lock:
            lat.extend(mine)
            counts[0] += len(mine)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"rps": counts[0] / elapsed, "p50": pct(lat, 50) * 1000, "p99": pct(lat, 99) * 1000, "n": counts[0]}


def skeleton_runs(server: Server, auth: dict[str, str], flow: dict, repeats: int) -> dict:
    conn = server.conn()
    path = f"/api/v1/flows/{flow['id']}/skeleton"
    h = auth | {"Accept-Encoding": "gzip"}
    status, cold_first, cold_total, body = get(conn, path, h)
    assert status == 200
    firsts, totals = [], []
    for _ in range(repeats):
        _, f, t, body = get(conn, path, h)
        firsts.append(f)
        totals.append(t)
    _, _, _, raw = get(conn, path, auth | {"Accept-Encoding": "identity"})
    items = flow["nodes"] + flow["edges"]
    return {"cold_ttfb": cold_first * 1000, "cold_total": cold_total * 1000, "ttfb": statistics.median(firsts) * 1000,
            "total": statistics.median(totals) * 1000, "gz": len(body), "raw": len(raw),
            "gz_per": len(body) / items, "raw_per": len(raw) / items}


def list_runs(server: Server, key: str, repeats: int) -> dict:
    conn = server.conn()
    auth = {"Authorization": f"Bearer {key}"}
    firsts, seconds = [], []
    for _ in range(repeats):
        status, _, t, body = get(conn, "/api/v1/flows?limit=50", auth)
        assert status == 200
        firsts.append(t)
        import json
        cursor = json.loads(body)["next_cursor"]
        _, _, t2, _ = get(conn, f"/api/v1/flows?limit=50&cursor={cursor}", auth)
        seconds.append(t2)
    return {"p50": pct(firsts, 50) * 1000, "p99": pct(firsts, 99) * 1000, "page2_p50": pct(seconds, 50) * 1000}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream_memory(server: Server, key: str, flow_id: int, count: int) -> dict:
    """Server RSS growth per open event stream: ``count`` raw sockets each holding one SSE stream."""
    import gc
    import socket

    gc.collect()
    time.sleep(0.5)
    before = rss_kib(server.proc.pid)
    socks = []
    request = (f"GET /api/v1/flows/{flow_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n").encode()
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(request)
        socks.append(sock)
    for sock in socks:  # wait until every stream said hello (fully set up server-side)
        sock.settimeout(30)
        data = b""
        while b"event: hello" not in data:
            data += sock.recv(4096)
    time.sleep(1.0)
    after = rss_kib(server.proc.pid)
    _, _, _, metrics = get(server.conn(), "/metrics", {})
    open_streams = [line for line in metrics.decode().splitlines() if line.startswith("ringflow_event_streams_open ")]
    for sock in socks:
        sock.close()
    return {"count": count, "kib_per_stream": (after - before) / count, "open_reported": open_streams[0].split()[-1] if open_streams else "?"}


def database(backend: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    if backend == "sqlite":
        import shutil

        tmp = tempfile.mkdtemp(prefix="ringflow-bench-")
        return f"sqlite:///{tmp}/bench.db", lambda: shutil.rmtree(tmp, ignore_errors=True)
    import psycopg
    name = f"ringflow_t_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def run_backend(backend: str, args: argparse.Namespace) -> dict:
    url, drop = database(backend)
    try:
        print(f"[{backend}] seeding {args.nodes:,}-node flow, a 50,000-node flow and {args.customers:,} customers ...", flush=True)
        data = seed(url, args.nodes, args.customers)
        server = Server(url)
        try:
            auth = {"Authorization": f"Bearer {data['key']}"}
            res: dict = {"seed": data}
            for n in sorted({50_000, args.nodes}):
                res[f"skeleton_{n}"] = skeleton_runs(server, auth, data[n], args.repeats)
                print(f"[{backend}] skeleton {n:,}: {res[f'skeleton_{n}']}", flush=True)
            big = data[args.nodes]
            viewport_load(server, auth, big, 1.0, 2, None)  # warm-up
            peaks = [viewport_load(server, auth, big, args.seconds, args.threads, None) for _ in range(args.repeats_load)]
            peak = statistics.median(p["rps"] for p in peaks)
            route = "/api/v1/flows/{flow_id}/viewport"
            before = server_histogram(server, route)
            paced = [viewport_load(server, auth, big, args.seconds, args.threads, peak / 2) for _ in range(args.repeats_load)]
            after = server_histogram(server, route)
            res["viewport_peak"] = {"rps": peak, "p50": statistics.median(p["p50"] for p in peaks),
                                    "p99": statistics.median(p["p99"] for p in peaks)}
            res["viewport_half"] = {"rps": statistics.median(p["rps"] for p in paced), "p50": statistics.median(p["p50"] for p in paced),
                                    "p99": statistics.median(p["p99"] for p in paced),
                                    "server_p50": histogram_pct(before, after, 50), "server_p99": histogram_pct(before, after, 99)}
            print(f"[{backend}] viewport peak {res['viewport_peak']} half {res['viewport_half']}", flush=True)
            if backend == args.backends.split(",")[0]:
                res["streams"] = stream_memory(server, data["key"], data[50_000]["id"], args.streams)
                print(f"[{backend}] streams {res['streams']}", flush=True)
            if "list_key" in data:
                res["list"] = list_runs(server, data["list_key"], 100)
                print(f"[{backend}] list {res['list']}", flush=True)
            return res
        finally:
            server.stop()
    finally:
        drop()


def write_report(results: dict[str, dict], args: argparse.Namespace, command: str) -> str:
    lines = ["# API benchmark", "",
             f"- Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' work, Python {platform.python_version()}, {platform.system()} {platform.release()}",
             f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; load average at the end "
             f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) on {os.cpu_count()} cores: other engineers' "
             "benchmarks and browsers ran at the same time, so wall-clock tails include CPU starvation",
             f"- Command: `{command}`",
             f"- One uvicorn process (1 worker), rate limit off; load generated by {args.threads} keep-alive client threads on the same machine.",
             f"- Viewport: random 1600x900 screens over the flow; peak = closed loop, then paced at 50% of peak; median of {args.repeats_load} runs of {args.seconds:g} s.",
             f"- Skeleton: cold = first request after server start (store read + pack + gzip), cached = median of {args.repeats} repeats; gzip on the wire.",
             "", "## Viewport", "",
             "| backend | flow nodes | peak req/s | p50 @peak ms | p99 @peak ms | req/s @50% | p50 @50% ms | p99 @50% ms | server-side p50 / p99 @50% ms (bucket bound) | target p99 ≤ 15 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for b, r in results.items():
        p, h = r["viewport_peak"], r["viewport_half"]
        lines.append(f"| {b} | {args.nodes:,} | {p['rps']:.0f} | {p['p50']:.2f} | {p['p99']:.2f} | {h['rps']:.0f} | {h['p50']:.2f} | {h['p99']:.2f} "
                     f"| ≤ {h['server_p50']:g} / ≤ {h['server_p99']:g} | {'met' if h['p99'] <= 15 else 'MISSED'} |")
    lines += ["", "## Skeleton", "",
              "| backend | nodes | edges | raw bytes | gzip bytes | bytes/(node+edge) wire | cold TTFB ms | cold total ms | cached TTFB ms | cached total ms | targets (≤ 24 B, ≤ 50 ms) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for b, r in results.items():
        for n in sorted({50_000, args.nodes}):
            s = r[f"skeleton_{n}"]
            f = r["seed"][n]
            ok = s["gz_per"] <= 24 and s["ttfb"] <= 50
            lines.append(f"| {b} | {f['nodes']:,} | {f['edges']:,} | {s['raw']:,} | {s['gz']:,} | {s['gz_per']:.2f} | {s['cold_ttfb']:.0f} | {s['cold_total']:.0f} | {s['ttfb']:.2f} | {s['total']:.1f} | {'met' if ok else 'MISSED'} |")
    lines += ["", "## Flow list", "", f"One customer (121 flows) among {args.customers:,} customers with a flow each; `GET /api/v1/flows?limit=50`, 100 runs.", "",
              "| backend | page 1 p50 ms | page 1 p99 ms | page 2 (cursor) p50 ms |", "|---|---|---|---|"]
    for b, r in results.items():
        if "list" in r:
            li = r["list"]
            lines.append(f"| {b} | {li['p50']:.2f} | {li['p99']:.2f} | {li['page2_p50']:.2f} |")
    for b, r in results.items():
        if "streams" in r:
            st = r["streams"]
            lines += ["", "## Live event streams", "",
                      f"{st['count']} SSE connections held open on one server ({b}); `/metrics` reported "
                      f"{st['open_reported']} open. Server RSS growth: **{st['kib_per_stream']:.1f} KiB per stream** "
                      "(connection, task, generator and subscription together)."]
    lines += ["", "## Seeding (for context, through the store API)", "", "| backend | flow | import s |", "|---|---|---|"]
    for b, r in results.items():
        for n in sorted({50_000, args.nodes}):
            lines.append(f"| {b} | {n:,} nodes | {r['seed'][n]['import_s']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=500_000)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--repeats-load", type=int, default=3)
    ap.add_argument("--streams", type=int, default=500)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "api.md"))
    args = ap.parse_args()
    command = "python benchmarks/api.py " + " ".join(sys.argv[1:])
    results = {b: run_backend(b, args) for b in args.backends.split(",") if b}
    report = write_report(results, args, command.strip())
    Path(args.out).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
