"""The long reliability runs behind docs/reliability.md, written to benchmarks/results/reliability.md.

Sections (``--only``, comma-separated):

- ``sse``: one server process, ``--clients`` (10,000) concurrent event-stream clients, one per
  customer, each on its own flow; a driver patches random flows for ``--seconds`` per round.
  Reports server memory per open stream (RSS difference), delivery latency p50/p99 (patch sent
  -> event read by the client), events lost, and the viewport p99 on a 50,000-node flow with
  no streams open and under that load, side by side. Median of ``--rounds`` rounds.
- ``suite``: the reliability tests with long settings: schemathesis with ``--fuzz-examples`` per
  route, the CLI fuzz, kill -9 during a ``--crash-nodes`` (500,000) import and under patch load,
  races, isolation, Redis outage. Each test records its figures (tests/reliability/conftest.py).

Loopback only; bounded in count and time. Usage:
    .venv/bin/python benchmarks/reliability.py                  # everything
    .venv/bin/python benchmarks/reliability.py --only sse --clients 2000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from ringflow.model.demo import generate_flow  # noqa: E402
from ringflow.store import open_store  # noqa: E402
from ringflow.store.keys import new_api_key  # noqa: E402
from tests.reliability.conftest import ChildServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ERRORS: list[str] = []  # requests that failed or timed out during the load (reported, and diagnosed)
PY = str(ROOT / ".venv" / "bin" / "python")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def raise_fd_limit(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, want))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# at most this many streams between connect and their first bytes: 10,000 connects at once would overflow
# the kernel's accept queue and the dropped SYNs back off for seconds, measuring TCP rather than the server
OPENING_IN_FLIGHT = 256


# --- SSE clients (run in a child process so their event loop does not share our GIL) ----------------

async def _client(host: str, port: int, flow_id: int, key: str, ready: list[int], lat: list[tuple[int, float]],
                  stats: dict[str, int], live: set[int], opening: asyncio.Semaphore) -> None:
    """One EventSource, in raw asyncio: reconnects with Last-Event-ID when the server ends the stream
    (it does every 5 minutes, so revoked keys are re-checked), as browsers do."""
    last_id: str | None = None
    counted = False
    while True:
        async with opening:  # a bounded number of handshakes in flight, as staggered browsers would be
            for attempt in range(5):
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                    break
                except OSError:
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                stats["connect_failed"] += 1
                return
            resume = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
            writer.write(f"GET /api/v1/flows/{flow_id}/events HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
                         f"Accept: text/event-stream\r\n{resume}\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                stats["refused"] += 1
                return
        buf = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                stats["closed"] += 1  # the server ended the stream: resume like EventSource
                writer.close()
                break
            now = time.time()
            buf += chunk
            if not counted and (b"event: hello" in buf or last_id):
                ready[0] += 1
                live.add(flow_id)
                counted = True
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"id: "):
                        last_id = line[4:].decode()
                if b"event: reload" in block:
                    stats["reloads"] += 1  # the server could not replay what this client missed
                    continue
                if b"event: changes" not in block:
                    continue
                data = block.split(b"data: ", 1)[1]
                for ev in json.loads(data)["events"]:
                    name = (ev.get("changes") or {}).get("name") or ""
                    if name.startswith("bench "):
                        _, ts, seq = name.split()
                        lat.append((int(seq), now - float(ts)))


async def _clients_main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    host, port = "127.0.0.1", spec["port"]
    ready, lat, live = [0], [], set()  # type: ignore[var-annotated]
    stats = {"connect_failed": 0, "refused": 0, "closed": 0, "reloads": 0}
    tasks = []
    opening = asyncio.Semaphore(OPENING_IN_FLIGHT)
    for flow_id, key in spec["clients"]:
        tasks.append(asyncio.create_task(_client(host, port, flow_id, key, ready, lat, stats, live, opening)))
    deadline = time.monotonic() + 420
    while ready[0] < len(tasks) - stats["connect_failed"] - stats["refused"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    print(json.dumps({"ready": ready[0], **stats}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # the driver says when it is done
    Path(out_path).write_text(json.dumps({"lat": lat, "ready": ready[0], "live": sorted(live), **stats}))
    for t in tasks:
        t.cancel()


# --- the driver ---------------------------------------------------------------------------------------

def seed(url: str, clients: int) -> dict[str, Any]:
    store = open_store(url)
    t0 = time.perf_counter()
    small = {"name": "line", "start": "a", "nodes": [{"id": "a", "type": "say", "config": {"text": "hi"}},
                                                     {"id": "b", "type": "hangup"}],
             "edges": [{"source": "a", "outlet": "next", "target": "b"}]}
    from ringflow.model.document import normalize

    made = store.create_customers_with_flows([f"stream customer {i}" for i in range(clients)], [normalize(small)])
    pairs = []
    for cid, flow_ids in made:
        clear, h, prefix = new_api_key()
        store.create_api_key(cid, h, prefix)
        pairs.append((flow_ids[0], clear))
    owner = store.create_customer("viewport owner")
    clear, h, prefix = new_api_key()
    store.create_api_key(owner.id, h, prefix)
    big = store.create_flow(owner.id, generate_flow(50_000, name="Viewport 50k"))
    store.close()
    return {"pairs": pairs, "owner_key": clear, "big_id": big.id, "seed_s": time.perf_counter() - t0}


def open_streams(base: str) -> float | None:
    """The server's own gauge of open event streams."""
    metrics = httpx.get(f"{base}/metrics", timeout=30).text
    return next((float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("ringflow_event_streams_open")), None)


def viewport_probe(base: str, key: str, flow_id: int, stop: threading.Event, out: list[float]) -> None:
    rng = random.Random(7)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        while not stop.is_set():
            x, y = rng.uniform(0, 60_000), rng.uniform(0, 30_000)
            t = time.perf_counter()
            try:
                r = http.get(f"/api/v1/flows/{flow_id}/viewport", params={"x0": x, "y0": y, "x1": x + 1600, "y1": y + 900})
            except httpx.HTTPError as exc:
                ERRORS.append(f"viewport: {type(exc).__name__}")
                continue
            out.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                ERRORS.append(f"viewport: {r.status_code}")
            time.sleep(0.01)


def patch_driver(base: str, pairs: list[tuple[int, str]], stop: threading.Event, seq0: int, acked: dict[int, int],
                 lock: threading.Lock, seed_: int) -> None:
    rng = random.Random(seed_)
    seq = seq0
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            flow_id, key = rng.choice(pairs)
            seq += 1
            h = {"Authorization": f"Bearer {key}"}
            try:
                rev = http.get(f"/api/v1/flows/{flow_id}", headers=h).json()["revision"]
                r = http.patch(f"/api/v1/flows/{flow_id}", headers={**h, "If-Match": str(rev)},
                               json={"ops": [{"op": "rename", "name": f"bench {time.time():.6f} {seq}"}]})
            except httpx.HTTPError as exc:
                with lock:
                    ERRORS.append(f"patch: {type(exc).__name__}")
                continue
            if r.status_code == 200:
                with lock:
                    acked[seq] = flow_id


def run_sse(args: argparse.Namespace) -> dict[str, Any]:
    limit = raise_fd_limit(args.clients * 2 + 1000)
    tmp = tempfile.mkdtemp(prefix="ringflow-relbench-")
    url = f"sqlite:///{tmp}/sse.db"
    print(f"seeding {args.clients:,} customers with a flow and a key each, plus a 50,000-node flow...", flush=True)
    s = seed(url, args.clients)
    # SIGABRT dumps every thread's stack; a short --stream-seconds makes streams end and resume
    # (Last-Event-ID) during the rounds, so the resume path is measured under load, not just opened
    server = ChildServer(url, {"PYTHONFAULTHANDLER": "1", "RINGFLOW_STREAM_MAX_SECONDS": str(args.stream_seconds)})
    base = server.start(timeout=120)
    pid = server.proc.pid  # type: ignore[union-attr]
    res: dict[str, Any] = {"clients": args.clients, "fd_limit": limit, "seed_s": s["seed_s"]}
    try:
        # viewport with no streams open (and a warm cache of keys), for the side-by-side figure
        stop = threading.Event()
        idle_vp: list[float] = []
        th = threading.Thread(target=viewport_probe, args=(base, s["owner_key"], s["big_id"], stop, idle_vp))
        th.start()
        time.sleep(args.seconds)
        stop.set()
        th.join()
        rss_before = rss_kb(pid)
        spec = Path(tmp) / "clients.json"
        spec.write_text(json.dumps({"port": int(base.rsplit(":", 1)[1]), "clients": s["pairs"]}))
        out = Path(tmp) / "lat.json"
        print(f"opening {args.clients:,} event streams...", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([PY, __file__, "--clients-proc", str(spec), str(out)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        hello = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        res["connect_s"] = time.perf_counter() - t0
        res["streams_open"] = hello["ready"]
        res["connect_failed"] = hello["connect_failed"] + hello["refused"]
        time.sleep(2)
        rss_after = rss_kb(pid)
        res["rss_before_mb"], res["rss_after_mb"] = rss_before / 1024, rss_after / 1024
        res["bytes_per_stream"] = (rss_after - rss_before) * 1024 / max(1, hello["ready"])
        res["server_says_open"] = open_streams(base)
        rounds = []
        acked: dict[int, int] = {}
        lock = threading.Lock()
        for r in range(args.rounds):
            stop = threading.Event()
            vp: list[float] = []
            before = set(acked)
            threads = [threading.Thread(target=patch_driver, args=(base, s["pairs"], stop, (r * 8 + i) * 10_000_000, acked, lock, r * 8 + i))
                       for i in range(args.writers)]
            threads.append(threading.Thread(target=viewport_probe, args=(base, s["owner_key"], s["big_id"], stop, vp)))
            for t in threads:
                t.start()
            time.sleep(args.seconds)
            stop.set()
            for t in threads:
                t.join()
            rounds.append({"patches": len(set(acked) - before), "vp": vp, "seqs": set(acked) - before})
            print(f"round {r + 1}: {rounds[-1]['patches']} patches, viewport p99 {pct(vp, 99):.1f} ms", flush=True)
        # streams that ended near the close of the last round are still resuming: wait (bounded) until the
        # server holds every stream again, so "lost" means never delivered, not "still reconnecting"
        settle = time.monotonic() + 60
        while time.monotonic() < settle and (open_streams(base) or 0) < res["streams_open"]:
            time.sleep(0.5)
        time.sleep(2)  # let the last batches arrive
        res["rss_loaded_mb"] = rss_kb(pid) / 1024
        proc.stdin.write("done\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        proc.wait(timeout=120)
        got = json.loads(out.read_text())
        lat = {seq: sec * 1000 for seq, sec in got["lat"]}
        live = set(got["live"])  # a patch to a flow whose stream never opened cannot be delivered: not counted
        res["closed_by_server"] = got["closed"]
        res["reloads"] = got.get("reloads", 0)
        per_round = []
        for rd in rounds:
            seqs = [q for q in rd["seqs"] if acked[q] in live]
            ls = [lat[q] for q in seqs if q in lat]
            per_round.append({"patches": len(seqs), "delivered": len(ls), "p50": pct(ls, 50), "p99": pct(ls, 99),
                              "vp_p50": pct(rd["vp"], 50), "vp_p99": pct(rd["vp"], 99), "vp_n": len(rd["vp"])})
        res["rounds"] = per_round
        res["idle_vp_p50"], res["idle_vp_p99"], res["idle_vp_n"] = pct(idle_vp, 50), pct(idle_vp, 99), len(idle_vp)
        med = lambda k: statistics.median(x[k] for x in per_round)  # noqa: E731
        res["median"] = {k: med(k) for k in ("patches", "delivered", "p50", "p99", "vp_p50", "vp_p99")}
        res["lost"] = sum(x["patches"] - x["delivered"] for x in per_round)
        res["errors"] = list(ERRORS)
        if ERRORS:  # something stalled: keep the server's stacks for the owner of the code
            os.kill(pid, 6)
            time.sleep(2)
            dump = Path(tmp) / "server-stacks.txt"
            dump.write_text(server.log_tail(200_000))
            res["stacks"] = str(dump)
    finally:
        server.stop()
    return res


# --- the suite with long settings --------------------------------------------------------------------

def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    record = Path(tempfile.mkdtemp(prefix="ringflow-relrec-")) / "record.jsonl"
    env = {**os.environ, "RINGFLOW_RELIABILITY_RECORD": str(record), "RINGFLOW_FUZZ_EXAMPLES": str(args.fuzz_examples),
           "RINGFLOW_CRASH_NODES": str(args.crash_nodes), "RINGFLOW_CRASH_POINTS": args.crash_points}
    cmd = [PY, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider", "-m", "not browser"]
    if args.suite_filter:
        cmd += ["-k", args.suite_filter]
    print("running:", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    facts = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return {"returncode": proc.returncode, "summary": tail, "seconds": time.perf_counter() - t0, "facts": facts,
            "output_tail": proc.stdout[-3000:] if proc.returncode else ""}


# --- report ---------------------------------------------------------------------------------------------

def write_report(res: dict[str, Any], args: argparse.Namespace, command: str) -> str:
    lines = ["# Reliability benchmark", "",
             f"- Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' work, Python {platform.python_version()}, "
             f"{platform.system()} {platform.release()}",
             f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- Command: `{command}`",
             f"- Load average (1 min) at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", ""]
    if "sse" in res:
        s = res["sse"]
        m = s["median"]
        lines += ["## Event streams under load", "",
                  f"One uvicorn process (SQLite store), {s['clients']:,} concurrent SSE clients (one customer and flow each, raw asyncio "
                  f"sockets in a separate client process), {args.writers} patch writers renaming random flows for {args.seconds:g} s per round; "
                  f"medians of {args.rounds} rounds. fd limit raised to {s['fd_limit']:,}.", "",
                  "| figure | value |", "|---|---|",
                  f"| streams open (client count / server gauge) | {s['streams_open']:,} / {s['server_says_open']} |",
                  f"| connect failures | {s['connect_failed']} |",
                  f"| time to open all streams | {s['connect_s']:.1f} s |",
                  f"| server RSS before / with streams / after load | {s['rss_before_mb']:.0f} / {s['rss_after_mb']:.0f} / {s['rss_loaded_mb']:.0f} MB |",
                  f"| **memory per open stream** | **{s['bytes_per_stream'] / 1024:.1f} KB** |",
                  f"| patches per round (median) | {m['patches']:.0f} |",
                  f"| events delivered / lost (all rounds) | {sum(r['delivered'] for r in s['rounds']):,} / {s['lost']} |",
                  f"| **delivery p50 / p99** (patch sent → event read) | **{m['p50']:.0f} / {m['p99']:.0f} ms** |",
                  f"| viewport p50 / p99, no streams open | {s['idle_vp_p50']:.1f} / {s['idle_vp_p99']:.1f} ms (n={s['idle_vp_n']}) |",
                  f"| **viewport p50 / p99 under the load** | **{m['vp_p50']:.1f} / {m['vp_p99']:.1f} ms** |",
                  f"| streams ended by the server (lifetime {args.stream_seconds} s, jittered down to 75%) and resumed with Last-Event-ID | {s['closed_by_server']:,} |",
                  f"| resumes the server could not replay (sent `reload`) | {s.get('reloads', 0)} |",
                  f"| failed or timed-out requests during the load | {len(s['errors'])} {sorted(set(s['errors']))[:5]} |", "",
                  "| round | patches | delivered | p50 ms | p99 ms | viewport p50 ms | viewport p99 ms | viewport requests |",
                  "|---|---|---|---|---|---|---|---|"]
        for i, r in enumerate(s["rounds"], 1):
            lines.append(f"| {i} | {r['patches']} | {r['delivered']} | {r['p50']:.0f} | {r['p99']:.0f} | {r['vp_p50']:.1f} | {r['vp_p99']:.1f} | {r['vp_n']} |")
        lines += ["", "Delivery includes the stream's deliberate 100 ms batching window (at most 10 messages a second per client).", ""]
    if "suite" in res:
        s = res["suite"]
        lines += ["## Reliability suite with long settings", "",
                  f"`pytest tests/reliability -m 'not browser'` with RINGFLOW_FUZZ_EXAMPLES={args.fuzz_examples}, "
                  f"RINGFLOW_CRASH_NODES={args.crash_nodes:,}, RINGFLOW_CRASH_POINTS={args.crash_points}: "
                  f"**{s['summary']}** in {s['seconds']:.0f} s (exit {s['returncode']}).", "",
                  "| test | figures |", "|---|---|"]
        for f in s["facts"]:
            name = f.pop("test")
            lines.append(f"| {name} | {', '.join(f'{k}={v}' for k, v in f.items())} |")
        if s["output_tail"]:
            lines += ["", "Failure output:", "", "```", s["output_tail"], "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--clients-proc":
        raise_fd_limit(30_000)
        asyncio.run(_clients_main(sys.argv[2], sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="sse,suite")
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--stream-seconds", type=int, default=300, help="RINGFLOW_STREAM_MAX_SECONDS of the server; "
                    "short ones make streams end and resume (Last-Event-ID) during the rounds")
    ap.add_argument("--fuzz-examples", type=int, default=100)
    ap.add_argument("--crash-nodes", type=int, default=500_000)
    ap.add_argument("--crash-points", default="0.5")
    ap.add_argument("--suite-filter", default="")
    ap.add_argument("--out", default=str(RESULTS / "reliability.md"))
    args = ap.parse_args()
    only = set(args.only.split(","))
    res: dict[str, Any] = {}
    if "sse" in only:
        res["sse"] = run_sse(args)
    if "suite" in only:
        res["suite"] = run_suite(args)
    command = "python benchmarks/reliability.py " + " ".join(sys.argv[1:])
    report = write_report(res, args, command)
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
