"""Prometheus text exposition, hand-written: a latency histogram per route template and counters.

Hand-written because it is ~80 lines and keeps the hot path to a dict lookup and a few
integer adds under one lock; label values are route *templates*, so cardinality is bounded.
"""

from __future__ import annotations

import bisect
import threading
from typing import Callable

BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hist: dict[tuple[str, str], list[float]] = {}  # (method, route) -> bucket counts + [sum, count]
        self._total: dict[tuple[str, str, int], int] = {}
        self.gauges: dict[str, Callable[[], float]] = {}  # name -> reader, e.g. open event streams

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            row = self._hist.get(key)
            if row is None:
                row = self._hist[key] = [0.0] * (len(BUCKETS) + 2)
            idx = bisect.bisect_left(BUCKETS, seconds)
            if idx < len(BUCKETS):  # slower than the last bucket: counted only in +Inf
                row[idx] += 1
            row[-2] += seconds
            row[-1] += 1
            tkey = (method, route, status)
            self._total[tkey] = self._total.get(tkey, 0) + 1

    def render(self) -> str:
        lines = ["# HELP ringflow_http_request_duration_seconds Time to answer an HTTP request, by route template.",
                 "# TYPE ringflow_http_request_duration_seconds histogram"]
        with self._lock:
            hist = {k: list(v) for k, v in self._hist.items()}
            total = dict(self._total)
        for (method, route), row in sorted(hist.items()):
            labels = f'method="{method}",route="{_esc(route)}"'
            running = 0.0
            for i, bound in enumerate(BUCKETS):
                running += row[i]
                lines.append(f'ringflow_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {int(running)}')
            lines.append(f'ringflow_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(row[-1])}')
            lines.append(f"ringflow_http_request_duration_seconds_sum{{{labels}}} {row[-2]:.6f}")
            lines.append(f"ringflow_http_request_duration_seconds_count{{{labels}}} {int(row[-1])}")
        lines += ["# HELP ringflow_http_requests_total HTTP requests answered, by route template and status.",
                  "# TYPE ringflow_http_requests_total counter"]
        for (method, route, status), count in sorted(total.items()):
            lines.append(f'ringflow_http_requests_total{{method="{method}",route="{_esc(route)}",status="{status}"}} {count}')
        typed: set[str] = set()
        for name, reader in sorted(self.gauges.items()):  # a name may carry labels: base{k="v"}
            try:
                value = float(reader())
            except Exception:  # a gauge must never break the scrape
                continue
            base = name.split("{", 1)[0]
            if base not in typed:
                typed.add(base)
                lines.append(f"# TYPE {base} gauge")
            lines.append(f"{name} {value:g}")
        return "\n".join(lines) + "\n"
