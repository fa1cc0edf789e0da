"""Store benchmark: SQLite and PostgreSQL side by side, medians of repeated runs.

Measures: import of a 50,000- and a 500,000-node flow (with and without ``normalize``);
viewport p50/p99 on the 500,000-node flow (1280x800 at zoom 1 and at zoom 0.25); the
spatial index against a plain B-tree on the same rectangles; list pages for one customer
among 10,000 (first page and page 1,000). Writes benchmarks/results/store.md.

    .venv/bin/python benchmarks/store.py [--backends sqlite,postgresql] [--repeats 3] [--big 500000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringflow.model.demo import generate_flow  # noqa: E402
from ringflow.model.document import normalize  # noqa: E402
from ringflow.store import open_store  # noqa: E402
from ringflow.store.reads import raw_query  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
RESULTS = ROOT / "benchmarks" / "results" / "store.md"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class Backend:
    """A fresh database for the run, removed afterwards."""

    def __init__(self, name: str, workdir: Path):
        self.name = name
        if name == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            import psycopg

            self.db = f"ringflow_b_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.db}"')
            self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db
        self.store = open_store(self.url)

    def close(self) -> None:
        self.store.close()
        if self.name != "sqlite":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')


def bench_import(b: Backend, docs: dict[int, dict], repeats: int) -> tuple[dict[str, float], int, int]:
    """Median seconds per size: normalize alone, the store alone, and the two together."""
    out: dict[str, float] = {}
    cust = b.store.create_customer("Import bench")
    big_flow = -1
    for size, raw in docs.items():
        norms, stores = [], []
        for r in range(repeats):
            t0 = time.perf_counter()
            doc = normalize(raw)
            t1 = time.perf_counter()
            meta = b.store.create_flow(cust.id, doc, checked=True)
            t2 = time.perf_counter()
            norms.append(t1 - t0)
            stores.append(t2 - t1)
            if size == max(docs) and r == repeats - 1:
                big_flow = meta.id
            else:
                b.store.delete_flow(cust.id, meta.id)
                settle(b)  # each run starts alike: not beside the last one's checkpoint or vacuum
        out[f"import {size:,}: store only (s)"] = statistics.median(stores)
        out[f"import {size:,}: normalize + store (s)"] = statistics.median([a + s for a, s in zip(norms, stores)])
        print(f"  {b.name} import {size}: store {statistics.median(stores):.2f}s normalize {statistics.median(norms):.2f}s", flush=True)
    return out, cust.id, big_flow


def rectangles(doc: dict, zoom: float, n: int, seed: int) -> list[tuple[float, float, float, float]]:
    xs = [node["x"] for node in doc["nodes"]]
    ys = [node["y"] for node in doc["nodes"]]
    rng = random.Random(seed)
    w, h = 1280 / zoom, 800 / zoom
    out = []
    for _ in range(n):
        x0 = rng.uniform(min(xs), max(xs) - w)
        y0 = rng.uniform(min(ys), max(ys) - h)
        out.append((x0, y0, x0 + w, y0 + h))
    return out


BTREE_SQL = ("SELECT n.key, n.node_id, n.type, n.x, n.y, n.w, n.h, n.label, n.config FROM flow_nodes n{hint} "
             "WHERE n.flow_id = ? AND n.customer_id = ? AND n.x >= ? AND n.x <= ? "
             "AND n.x + n.w >= ? AND n.y <= ? AND n.y + n.h >= ? ORDER BY n.key LIMIT ?")


def settle(b: Backend) -> None:
    """Bring the database to the state a flow imported a while ago is read in: on PostgreSQL,
    vacuumed and analyzed (autovacuum would otherwise be doing it on the other core while the
    viewport is timed, right after 1.5 million inserts and deletes); on SQLite, the WAL copied
    back into the database file."""
    with b.store.engines.write_lock, b.store.engines.write.connect() as conn:
        if b.name == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE) flow_nodes, flow_edges")


def bench_viewport(b: Backend, cid: int, fid: int, doc: dict, queries: int) -> dict[str, float]:
    """Viewport p50/p99 through the store, and spatial index vs B-tree on the same rectangles (nodes only)."""
    from ringflow.store import spatial

    out: dict[str, float] = {}
    max_w = max(node["w"] for node in doc["nodes"])
    with b.store.engines.write_lock, b.store.engines.write.begin() as conn:  # the comparison's index, this database only
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_bench_nodes_x ON flow_nodes (flow_id, x)")
    settle(b)
    if b.name == "sqlite":  # the comparison is only worth reporting if the store's query really walks the R*Tree
        with b.store.engines.read.connect() as conn:
            plan = spatial.sqlite_plan(conn, cid, fid)
        assert "VIRTUAL TABLE" in plan[0], f"the SQLite viewport does not start from the R*Tree: {plan}"
    for zoom in (1.0, 0.25):
        rects = rectangles(doc, zoom, queries, seed=int(zoom * 100))
        for r in rects[:20]:  # warm the cache
            b.store.viewport(cid, fid, *r, 1000)
        times, counts = [], []
        for r in rects:
            t0 = time.perf_counter()
            vp = b.store.viewport(cid, fid, *r, 1000)
            times.append(time.perf_counter() - t0)
            counts.append(len(vp.nodes))
        label = f"zoom {zoom:g}"
        out[f"viewport {label}: p50 (ms)"] = pct(times, 50) * 1000
        out[f"viewport {label}: p99 (ms)"] = pct(times, 99) * 1000
        out[f"viewport {label}: nodes per answer (median)"] = statistics.median(counts)
        spatial_t, btree_t = [], []
        hint = " INDEXED BY ix_bench_nodes_x" if b.name == "sqlite" else ""
        with b.store.engines.read.begin() as conn:
            for r in rects:
                x0, y0, x1, y1 = r
                t0 = time.perf_counter()
                a = spatial.viewport_rows(conn, b.store.dialect, cid, fid, x0, y0, x1, y1, 1001)
                t1 = time.perf_counter()
                c = raw_query(conn, BTREE_SQL.format(hint=hint), (fid, cid, x0 - max_w, x1, x0, y1, y0, 1001))
                t2 = time.perf_counter()
                assert [row[0] for row in a] == [row[0] for row in c], "spatial and B-tree answers differ"
                spatial_t.append(t1 - t0)
                btree_t.append(t2 - t1)
        out[f"{label} nodes query, spatial index: p50/p99 (ms)"] = f"{pct(spatial_t, 50) * 1000:.2f} / {pct(spatial_t, 99) * 1000:.2f}"  # type: ignore[assignment]
        out[f"{label} nodes query, B-tree (flow_id, x): p50/p99 (ms)"] = f"{pct(btree_t, 50) * 1000:.2f} / {pct(btree_t, 99) * 1000:.2f}"  # type: ignore[assignment]
        print(f"  {b.name} viewport {label}: p50 {pct(times, 50) * 1000:.2f} ms p99 {pct(times, 99) * 1000:.2f} ms", flush=True)
    return out


def bench_list(b: Backend, customers: int, flows_for_one: int, page: int, queries: int) -> dict[str, float]:
    """One customer with ``flows_for_one`` flows among ``customers``; rows inserted in bulk (setup only)."""
    out: dict[str, float] = {}
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    with b.store.engines.write_lock, b.store.engines.write.begin() as conn:
        cur = conn.connection.driver_connection.cursor()
        ph = "?" if b.name == "sqlite" else "%s"
        cur.executemany(f"INSERT INTO customers (name, created_at) VALUES ({ph}, {ph})",
                        [(f"List bench {i}", stamp) for i in range(customers)])
        ids = [row[0] for row in raw_query(conn, "SELECT id FROM customers WHERE name LIKE ? ORDER BY id", ("List bench %",))]
        target = ids[len(ids) // 2]
        rows = [(cid, f"Flow of {cid}", stamp, stamp) for cid in ids for _ in range(2)]
        rows += [(target, f"Flow {i}", stamp, stamp) for i in range(flows_for_one)]
        random.Random(1).shuffle(rows)  # interleave customers, as real traffic would
        cur.executemany(f"INSERT INTO flows (customer_id, name, created_at, updated_at) VALUES ({ph}, {ph}, {ph}, {ph})", rows)
        cur.close()
        conn.exec_driver_sql("ANALYZE")
    cursor, cursors = None, [None]
    for _ in range(999):
        cursor = b.store.list_flows(target, limit=page, cursor=cursor).next_cursor
        cursors.append(cursor)
    assert cursor is not None, "not enough flows for page 1,000"
    for label, cur_at in (("first page", None), ("page 1,000", cursors[999])):
        times = []
        for _ in range(queries):
            t0 = time.perf_counter()
            got = b.store.list_flows(target, limit=page, cursor=cur_at)
            times.append(time.perf_counter() - t0)
            assert len(got.items) == page
        out[f"list {label} ({page} flows): p50 (ms)"] = pct(times, 50) * 1000
        out[f"list {label} ({page} flows): p99 (ms)"] = pct(times, 99) * 1000
    print(f"  {b.name} list done", flush=True)
    return out


def machine() -> str:
    load = os.getloadavg()
    pg = ""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # the report says "unknown" rather than failing
        pg = "unknown"
    return (f"{platform.platform()}, {os.cpu_count()} cores (shared with other engineers' work), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}; load average at start {load[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--big", type=int, default=500_000)
    ap.add_argument("--mid", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--page", type=int, default=20)
    ap.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    args = ap.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = machine()
    docs = {args.mid: generate_flow(args.mid, "Mid"), args.big: generate_flow(args.big, "Big")}
    big_doc = normalize(docs[args.big])
    results: dict[str, dict[str, Any]] = {}
    for name in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="rf_bench_") as tmp:
            b = Backend(name, Path(tmp))
            try:
                res, cid, fid = bench_import(b, docs, args.repeats)
                res.update(bench_viewport(b, cid, fid, big_doc, args.queries))
                res.update(bench_list(b, args.customers, 1000 * args.page + args.page, args.page, args.queries))
                results[name] = res
            finally:
                b.close()
    names = list(results)
    keys = list(results[names[0]])
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for k in keys:
        cells = [v if isinstance(v := results[n].get(k, "-"), str) else f"{v:.2f}" for n in names]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    command = "python benchmarks/store.py " + " ".join(sys.argv[1:])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(f"""# Store benchmark

- Machine: {where}; load average at end {os.getloadavg()[0]:.1f}
- Date: {started}
- Command: `{command.strip()}`
- Imports: median of {args.repeats} runs each (a fresh flow per run; the one before is deleted and the database
  settled, see below, so no run shares the machine with the last one's checkpoint or vacuum). "store only" is `create_flow(doc, checked=True)`
  (bulk insert + spatial index in one transaction); "normalize + store" adds `ringflow.model.document.normalize`.
- Viewport: {args.queries} random rectangles per zoom on the {args.big:,}-node flow, limit 1,000 nodes, through
  `Store.viewport` (nodes + edges touching them), after the database has settled (`settle()`: PostgreSQL
  vacuumed and analyzed, SQLite's WAL checkpointed) as it would be for a flow imported a while ago. The index comparison runs the nodes query alone on the same
  rectangles, once from the spatial index (SQLite: R*Tree over 1,024-unit grid cells, see docs/store.md; PostgreSQL: GiST) and once from a B-tree on (flow_id, x), answers checked equal.
- List: one customer with {1000 * args.page + args.page:,} flows among {args.customers:,} customers (2 flows each), pages of {args.page},
  keyset cursors; {args.queries} requests per page.

{table}
""")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
