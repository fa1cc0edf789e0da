"""Operations: health, readiness, metrics, access log, gzip and security headers."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from tests.api.conftest import Tenant, create, make_settings


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


class DeadStore:
    dialect = "sqlite"

    def get_setting(self, name: str) -> None:
        return None

    def set_setting(self, name: str, value: str) -> None:
        pass

    def ping(self) -> bool:
        raise OSError("connection refused")


def test_readyz_is_503_when_the_database_is_gone() -> None:
    with TestClient(create_app(make_settings(), DeadStore())) as c:  # type: ignore[arg-type]
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"


def test_metrics_report_latency_by_route_template_and_streams(client: TestClient, alice: Tenant) -> None:
    flow = create(client, alice)
    client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers)
    text = client.get("/metrics").text
    from prometheus_client.parser import text_string_to_metric_families

    got = {(x.name, tuple(sorted(x.labels.items()))): x.value for f in text_string_to_metric_families(text) for x in f.samples}
    assert ("ringflow_http_request_duration_seconds_bucket", (("le", "0.1"), ("method", "GET"), ("route", "/api/v1/flows/{flow_id}"))) in got
    assert got[("ringflow_http_requests_total", (("method", "POST"), ("route", "/api/v1/flows"), ("status", "201")))] >= 1
    assert got[("ringflow_event_streams_open", ())] == 0
    assert ("ringflow_db_pool_checkedout", (("pool", "read"),)) in got and text.count("# TYPE ringflow_db_pool_checkedout gauge") == 1
    assert str(flow["id"]) not in [line.split('route="')[1].split('"')[0] for line in text.splitlines() if 'route="' in line]


def test_access_log_is_one_json_line_per_request(client: TestClient, alice: Tenant, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="ringflow.access"):
        client.get("/api/v1/flows", headers=alice.headers)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ringflow.access"]
    assert lines and lines[-1]["route"] == "/api/v1/flows" and lines[-1]["status"] == 200
    assert lines[-1]["customer"] == alice.id and lines[-1]["ms"] >= 0


def test_large_json_is_gzipped(client: TestClient, alice: Tenant) -> None:
    r = client.get("/api/v1/node-types", headers=alice.headers | {"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.json()["types"]


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    assert client.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/flows/{flow_id}/viewport" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_runtime_router_is_mounted_when_present(store: object) -> None:
    app = create_app(make_settings(), store)  # type: ignore[arg-type]
    try:
        import ringflow.api.voice as runtime_routes
    except ModuleNotFoundError:
        return
    names = [r.name for r in runtime_routes.router.routes if getattr(r, "name", None)]
    assert names and app.url_path_for(names[0])  # raises NoMatchFound when not mounted
