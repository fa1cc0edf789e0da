"""The hand-written Prometheus exposition: cumulative buckets, sums, counts, labelled gauges."""

from __future__ import annotations

from ringflow.api.metrics import Metrics


def test_histogram_buckets_are_cumulative_and_count_everything() -> None:
    m = Metrics()
    for seconds in (0.0005, 0.003, 0.003, 20.0):
        m.observe("GET", "/api/v1/flows/{flow_id}", 200, seconds)
    m.observe("GET", "/api/v1/flows/{flow_id}", 404, 0.002)
    text = m.render()
    lab = 'method="GET",route="/api/v1/flows/{flow_id}"'
    assert f'ringflow_http_request_duration_seconds_bucket{{{lab},le="0.001"}} 1' in text
    assert f'ringflow_http_request_duration_seconds_bucket{{{lab},le="0.005"}} 4' in text
    assert f'ringflow_http_request_duration_seconds_bucket{{{lab},le="10.0"}} 4' in text
    assert f'ringflow_http_request_duration_seconds_bucket{{{lab},le="+Inf"}} 5' in text
    assert f"ringflow_http_request_duration_seconds_count{{{lab}}} 5" in text
    assert f'ringflow_http_requests_total{{{lab},status="404"}} 1' in text


def test_gauges_with_labels_and_broken_readers() -> None:
    m = Metrics()
    m.gauges['pool{role="read"}'] = lambda: 2
    m.gauges['pool{role="write"}'] = lambda: 1
    m.gauges["broken"] = lambda: 1 / 0
    text = m.render()
    assert text.count("# TYPE pool gauge") == 1 and 'pool{role="read"} 2' in text and "broken" not in text
