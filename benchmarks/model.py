"""Model benchmark: validate and normalize of the 50,000- and 500,000-node demo flows.

Medians of repeated runs, wall clock and CPU time (the machine may be shared: CPU time is the
steadier figure). "before" is the reference walk ``validate_slow`` (what ``validate`` was),
timed in the same process on the same document, interleaved with the fast path. Writes
benchmarks/results/model.md.

    .venv/bin/python benchmarks/model.py [--repeats 5] [--sizes 50000,500000] [--no-write]
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
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringflow.model import document, fastcheck, fastflow, structure  # noqa: E402
from ringflow.model.demo import generate_flow  # noqa: E402
from ringflow.model.document import normalize  # noqa: E402
from ringflow.model.gcpause import loads  # noqa: E402
from ringflow.model.validation import validate, validate_slow  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "model.md"


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


@contextmanager
def python_only() -> Iterator[None]:
    """The model without its C kernels: what an install without a compiler runs."""
    saved = document.native, structure.native, fastflow.native_group_nodes, fastcheck.native_columns, fastcheck.native_unclear
    document.native = structure.native = fastflow.native_group_nodes = fastcheck.native_columns = fastcheck.native_unclear = None
    try:
        yield
    finally:
        document.native, structure.native, fastflow.native_group_nodes, fastcheck.native_columns, fastcheck.native_unclear = saved


def without_kernels(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with python_only():
            return fn()
    return run


def bench(size: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) per measure for one flow size; the runs of each measure interleave."""
    raw = generate_flow(size)
    text = orjson.dumps(raw)
    doc = normalize(raw)
    assert validate(doc) == validate_slow(doc) == without_kernels(lambda: validate(doc))() == [], "the demo flow must be valid"
    fresh: list[Any] = []
    measures: dict[str, Callable[[], Any]] = {
        f"validate {size:,}": lambda: validate(doc),
        f"validate {size:,}, first run on a document just parsed": lambda: validate(fresh.pop()),
        f"validate {size:,}, Python only (no C kernels)": without_kernels(lambda: validate(doc)),
        f"validate {size:,}, reference walk": lambda: validate_slow(doc),
        f"normalize {size:,}": lambda: normalize(raw),
        f"normalize {size:,}, Python only": without_kernels(lambda: normalize(raw)),
        f"parse {size:,} ({len(text) / 1e6:.0f} MB of JSON)": lambda: loads(text),
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in measures}
    for _ in range(repeats):
        for name, fn in measures.items():
            if "just parsed" in name:
                fresh.append(normalize(loads(text)))  # untimed: new objects, nothing warm from the last run
            runs[name].append(timed(fn))
    return {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}


def command_line(size: int, repeats: int) -> dict[str, tuple[float, float]]:
    """`ringflow validate FILE` as a user runs it: start, read, parse, normalize, validate, exit."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flow.json"
        path.write_bytes(orjson.dumps(generate_flow(size)))
        cli = [sys.executable, "-m", "ringflow.cli", "validate", str(path)]
        runs = []
        for _ in range(repeats):
            w0 = time.perf_counter()
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cli, check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append((time.perf_counter() - w0, after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime))
    return {f"`ringflow validate` of a {size:,}-node file, whole command": (statistics.median(w for w, _ in runs),
                                                                             statistics.median(c for _, c in runs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="50000,500000")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    args = ap.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    results: dict[str, tuple[float, float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        results.update(bench(size, args.repeats))
        results.update(command_line(size, args.repeats))
        print(f"  {size:,} done", flush=True)
    lines = ["| measure | wall (s) | CPU (s) |", "|---|---|---|"]
    lines += [f"| {name} | {wall:.2f} | {cpu:.2f} |" for name, (wall, cpu) in results.items()]
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    command = "python benchmarks/model.py " + " ".join(sys.argv[1:])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(f"""# Model benchmark

- Machine: {platform.platform()}, {os.cpu_count()} cores (shared with other engineers' work), Python {platform.python_version()};
  load average at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f}
- Date: {started}
- Command: `{command.strip()}`
- Flows: `ringflow.model.demo.generate_flow(N)` (valid: no problems on any path). Median of {args.repeats} interleaved
  runs per measure.
- "validate" is `ringflow.model.validation.validate` on the normalized document, with the C kernels
  (`ringflow/model/_kernels`); "first run on a document just parsed" gets a new document each time (parsed and
  normalized untimed), so nothing is left warm from an earlier run; "Python only" runs the kernels' pure-Python twins
  (an install without a compiler); "reference walk" is `validate_slow`, node by node, which the tests hold the
  others equal to.
- "normalize" turns the parsed JSON into the canonical document (shape checks, defaults); "parse" is orjson
  with the collector paused; the whole command adds the interpreter's start and exit.

{table}
""")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
