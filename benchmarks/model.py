"""Model benchmark: parse, normalize and validate the 50,000- and 500,000-node demo flows.

Every measure runs in a fresh process on a file written once, for each source tree given
(``--tree NAME=PATH``, default: this checkout as "new"), the trees' runs interleaved round by
round so a busy, shared machine slows them alike; medians of wall and CPU time are reported.

- "orjson.loads only": a process that reads the file and runs ``orjson.loads`` with the
  collector paused, nothing else: the floor ``ringflow validate`` is held to (target <= 2 x).
- "`ringflow validate`": the whole command, interpreter start and exit included.
- "parse + normalize + validate, in process": bytes to problems, timed inside the process
  (target <= 1.5 s at 500,000 nodes).
- "`ringflow import` into SQLite": the whole command into a fresh SQLite file with one customer
  (target: no slower than before).

    .venv/bin/python benchmarks/model.py [--repeats 5] [--sizes 50000,500000] \
        [--tree old=/work/wt/model19-base --tree new=.] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringflow.model.demo import generate_flow  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "model.md"

LOADS_ONLY = "import gc, sys, orjson; gc.disable(); orjson.loads(open(sys.argv[1], 'rb').read())"
IN_PROCESS = """
import sys, time
try:
    from ringflow.model.validation import check_json  # bytes -> problems, one msgspec pass (the new model)
    check = lambda data: check_json(data)[1]
except ImportError:  # the model before issue 19: orjson, then normalize, then validate
    from ringflow.model.document import normalize
    from ringflow.model.gcpause import loads
    from ringflow.model.validation import validate
    check = lambda data: validate(normalize(loads(data)))
data = open(sys.argv[1], 'rb').read()
w0, c0 = time.perf_counter(), time.process_time()
problems = check(data)
print(time.perf_counter() - w0, time.process_time() - c0)
assert not problems, problems[:3]
"""
CUSTOMER = """
import sys
from ringflow.store import open_store
store = open_store(sys.argv[1])
print(store.create_customer("bench").id)
store.close()
"""


def child(tree: Path, args: list[str]) -> tuple[float, float, str]:
    """(wall, CPU, stdout) of one process run on ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    w0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env, cwd=tree, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return time.perf_counter() - w0, cpu, done.stdout


def one_round(trees: dict[str, Path], size: int, path: Path, tmp: Path) -> dict[str, tuple[float, float]]:
    """One run of every measure, on every tree."""
    found: dict[str, tuple[float, float]] = {}
    w, c, _ = child(ROOT, ["-c", LOADS_ONLY, str(path)])
    found[f"{size:,}: orjson.loads only (process)"] = (w, c)
    for name, tree in trees.items():
        w, c, _ = child(tree, ["-m", "ringflow.cli", "validate", str(path)])
        found[f"{size:,}: `ringflow validate` ({name})"] = (w, c)
        _, _, out = child(tree, ["-c", IN_PROCESS, str(path)])
        inner_w, inner_c = map(float, out.split())
        found[f"{size:,}: parse + normalize + validate, in process ({name})"] = (inner_w, inner_c)
        db = tmp / f"{name}-{size}.db"
        db.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
        customer = child(tree, ["-c", CUSTOMER, url])[2].strip()
        w, c, _ = child(tree, ["-m", "ringflow.cli", "import", str(path), "--customer", customer, "--db", url])
        found[f"{size:,}: `ringflow import` into SQLite ({name})"] = (w, c)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="50000,500000")
    ap.add_argument("--tree", action="append", default=[], help="NAME=PATH of a checkout to measure (repeatable)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    args = ap.parse_args()
    trees = {n: Path(p).resolve() for n, p in (t.split("=", 1) for t in args.tree)} or {"new": ROOT}
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for size in (int(s) for s in args.sizes.split(",")):
            path = tmp / f"flow-{size}.json"
            path.write_bytes(orjson.dumps(generate_flow(size)))
            for _ in range(args.repeats):
                for name, value in one_round(trees, size, path, tmp).items():
                    runs.setdefault(name, []).append(value)
            print(f"  {size:,} done", flush=True)
    results = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}
    lines = ["| measure | wall (s) | CPU (s) |", "|---|---|---|"]
    lines += [f"| {name} | {wall:.2f} | {cpu:.2f} |" for name, (wall, cpu) in results.items()]
    for size in (int(s) for s in args.sizes.split(",")):
        floor = results[f"{size:,}: orjson.loads only (process)"][0]
        for name in trees:
            ratio = results[f"{size:,}: `ringflow validate` ({name})"][0] / floor
            lines.append(f"| {size:,}: `ringflow validate` / orjson.loads only ({name}) | {ratio:.2f} x | |")
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    command = "python benchmarks/model.py " + " ".join(sys.argv[1:])
    tree_list = ", ".join(f"{n} = {p}" for n, p in trees.items())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(f"""# Model benchmark

- Machine: {platform.platform()}, {os.cpu_count()} cores, shared with other engineers' work (1-minute load average
  at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f}); Python {platform.python_version()}
- Date: {started}
- Command: `{command.strip()}`
- Trees: {tree_list}; every measure is a fresh process, the trees' runs interleaved round by round.
- Flows: `ringflow.model.demo.generate_flow(N)` written to a file once (valid: no problems). Median of {args.repeats} runs.
- "orjson.loads only" is a process that reads the file and parses it with the collector paused, nothing else;
  "in process" is timed inside the process from the file's bytes to the problems list.

{table}
""")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
