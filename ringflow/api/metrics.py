"""Prometheus metrics through prometheus_client: a latency histogram per route template, a
request counter, and gauges read at scrape time (open event streams, database pools).

One registry per app (tests build many apps in one process). Label values are route
*templates*, so cardinality is bounded; each (method, route) histogram child is looked up
once and kept, so the request path is a dict hit and an ``observe``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

try:  # no *_created series beside each counter and histogram: nothing here reads them
    from prometheus_client import disable_created_metrics

    disable_created_metrics()  # type: ignore[no-untyped-call]
except ImportError:  # older prometheus_client: the series stay, harmless
    pass

log = logging.getLogger("ringflow.api")
BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Reader = Callable[[], float]


class _Gauges(Collector):
    """Gauges whose value is read at scrape time; a reader that fails is logged and left out."""

    def __init__(self) -> None:
        self.readers: dict[str, tuple[str, dict[str, Reader]]] = {}  # name -> (help, {label value: reader})
        self.label: dict[str, str] = {}  # name -> its one label's name ("" for none)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (doc, readers) in sorted(self.readers.items()):
            label = self.label[name]
            family = GaugeMetricFamily(name, doc, labels=[label] if label else None)
            for value_of, reader in sorted(readers.items()):
                try:
                    value = float(reader())
                except Exception:  # noqa: BLE001 - a gauge must never break the scrape
                    log.warning("metric %s%s could not be read; left out of this scrape", name,
                                f'{{{label}="{value_of}"}}' if label else "", exc_info=True)
                    continue
                family.add_metric([value_of] if label else [], value)
            yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._duration = Histogram("ringflow_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
                                   ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self._requests = Counter("ringflow_http_requests", "HTTP requests answered, by route template and status.",
                                 ["method", "route", "status"], registry=self.registry)
        self._gauges = _Gauges()
        self.registry.register(self._gauges)
        self._timers: dict[tuple[str, str], Any] = {}
        self._counters: dict[tuple[str, str, int], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[(method, route)] = self._duration.labels(method, route)
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self._requests.labels(method, route, str(status))
        timer.observe(seconds)
        counter.inc()

    def gauge(self, name: str, reader: Reader, doc: str = "", label: tuple[str, str] | None = None) -> None:
        """Read ``reader`` at each scrape as gauge ``name`` (with one ``label=(name, value)`` if given)."""
        self._gauges.label[name] = label[0] if label else ""
        self._gauges.readers.setdefault(name, (doc or name, {}))[1][label[1] if label else ""] = reader

    def render(self) -> str:
        return generate_latest(self.registry).decode()
