"""The Prometheus exposition (prometheus_client): cumulative buckets, sums, counts, labelled gauges,
read back with prometheus_client's own parser so label order does not matter."""

from __future__ import annotations

import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ringflow.api.metrics import Metrics


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def test_histogram_buckets_are_cumulative_and_count_everything() -> None:
    m = Metrics()
    for seconds in (0.0005, 0.003, 0.003, 20.0):
        m.observe("GET", "/api/v1/flows/{flow_id}", 200, seconds)
    m.observe("GET", "/api/v1/flows/{flow_id}", 404, 0.002)
    got = samples(m.render())
    lab = {("method", "GET"), ("route", "/api/v1/flows/{flow_id}")}

    def bucket(le: str) -> float:
        return got[("ringflow_http_request_duration_seconds_bucket", frozenset(lab | {("le", le)}))]

    assert (bucket("0.001"), bucket("0.005"), bucket("10.0"), bucket("+Inf")) == (1, 4, 4, 5)
    assert got[("ringflow_http_request_duration_seconds_count", frozenset(lab))] == 5
    assert got[("ringflow_http_request_duration_seconds_sum", frozenset(lab))] == pytest.approx(20.0085)
    assert got[("ringflow_http_requests_total", frozenset(lab | {("status", "404")}))] == 1
    assert got[("ringflow_http_requests_total", frozenset(lab | {("status", "200")}))] == 4


def test_gauges_with_labels_and_a_broken_reader_logged(caplog: pytest.LogCaptureFixture) -> None:
    m = Metrics()
    m.gauge("pool", lambda: 2, "pool size", ("role", "read"))
    m.gauge("pool", lambda: 1, "pool size", ("role", "write"))
    m.gauge("broken", lambda: 1 / 0)
    with caplog.at_level(logging.WARNING, logger="ringflow.api"):
        text = m.render()
    got = samples(text)
    assert text.count("# TYPE pool gauge") == 1
    assert got[("pool", frozenset({("role", "read")}))] == 2 and got[("pool", frozenset({("role", "write")}))] == 1
    assert not any(name == "broken" for name, _ in got)
    assert "metric broken could not be read" in caplog.text
