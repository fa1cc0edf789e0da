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
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringflow.model.demo import generate_flow  # noqa: E402
from ringflow.model.document import normalize  # noqa: E402
from ringflow.model.validation import validate, validate_slow  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "model.md"


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def bench(size: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) per measure for one flow size; the runs of each measure interleave."""
    raw = generate_flow(size)
    doc = normalize(raw)
    assert validate(doc) == validate_slow(doc) == [], "the demo flow must be valid on both paths"
    measures: dict[str, Callable[[], Any]] = {
        f"validate {size:,} (fast path)": lambda: validate(doc),
        f"validate {size:,} (before: reference walk)": lambda: validate_slow(doc),
        f"normalize {size:,}": lambda: normalize(raw),
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in measures}
    for _ in range(repeats):
        for name, fn in measures.items():
            runs[name].append(timed(fn))
    return {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}


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
- Flows: `ringflow.model.demo.generate_flow(N)` (valid: no problems on either path). validate runs on the normalized
  document. Median of {args.repeats} interleaved runs per measure.
- "fast path" is `ringflow.model.validation.validate` (column checks, integer outlet slots); "before" is
  `validate_slow`, the node-by-node reference walk that `validate` was, which the tests hold the fast path equal to.

{table}
""")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
