"""Schemathesis over every route of /openapi.json, as a customer: no 5xx, responses as documented.

CI runs a bounded pass (RINGFLOW_FUZZ_EXAMPLES, default 8 per route); benchmarks/reliability.py
runs this same file with a large number. Path ids point at the customer's real flow half the
time, so generated queries and bodies reach the handlers instead of stopping at 404.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from ringflow.store import open_store
from tests.api.conftest import Tenant, make_settings, new_tenant
from tests.api.server import serve
from tests.reliability.conftest import ADMIN_HEADERS, flow_doc, record

EXAMPLES = int(os.environ.get("RINGFLOW_FUZZ_EXAMPLES", "8"))
CALLS: dict[str, int] = {}
STATUSES: dict[int, int] = {}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class Target:
    app: Any
    base: str
    tenant: Tenant
    flow_id: int
    spare_key_ids: list[int]


_TMP = tempfile.TemporaryDirectory(prefix="ringflow-fuzz-")
_STORE = open_store(f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}")
APP = create_app(make_settings(), _STORE)


def _generable(node: Any) -> Any:
    """The spec minus JSON Schema ``if``/``then`` (per-type config rules), which the generator cannot
    draw from: configs are then generated unconstrained, a harsher input than the real schema allows."""
    if isinstance(node, dict):
        return {k: _generable(v) for k, v in node.items() if k not in ("if", "then", "else")}
    if isinstance(node, list):
        return [_generable(v) for v in node]
    return node


# built at import from the app's own /openapi.json (schemathesis' lazy fixture loader breaks on this pytest)
SPEC = TestClient(APP).get("/openapi.json").json()
schema = schemathesis.openapi.from_dict(_generable(SPEC))
schema.app = APP


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    app = APP
    with TestClient(app, raise_server_exceptions=False) as c, serve(app) as base:
        t = new_tenant(c, "Fuzzed")
        flow_id = c.post("/api/v1/flows", json=flow_doc("fuzz target", 5), headers=t.headers).json()["id"]
        c.post(f"/api/v1/flows/{flow_id}/publish", headers=t.headers)
        spare = [c.post(f"/api/v1/customers/{t.id}/keys", headers=ADMIN_HEADERS).json()["id"] for _ in range(3)]
        yield Target(app, base, t, flow_id, spare)
    record(test="fuzz_api", examples_per_route=EXAMPLES, operations=len(CALLS), requests=sum(CALLS.values()),
           statuses=dict(sorted(STATUSES.items())))
    _STORE.close()
    _TMP.cleanup()


def _aim(case: Any, target: Target) -> None:
    """Point ids at real resources half the time; never revoke the key the fuzzer itself uses."""
    params = case.path_parameters or {}
    if "flow_id" in params and case.method != "DELETE" and random.random() < 0.5:
        params["flow_id"] = target.flow_id
    if "customer_id" in params and random.random() < 0.5:
        params["customer_id"] = target.tenant.id
    if "key_id" in params and (str(params["key_id"]).strip() == str(target.tenant.key_id) or random.random() < 0.3):
        params["key_id"] = random.choice(target.spare_key_ids)


def _error_shape(response: Any) -> None:
    """The house rule for every refusal: {"error": {"code", "message", "details"}}."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"]), body


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_route_survives_generated_input(case: Any, target: Target) -> None:
    _aim(case, target)
    label = f"{case.method} {case.path}"
    CALLS[label] = CALLS.get(label, 0) + 1
    admin = "admin" in (case.operation.tags or [])
    headers = dict(ADMIN_HEADERS if admin else target.tenant.headers)
    if case.path.endswith("/events"):  # an endless stream: open it on the real server, look, close
        with httpx.stream(case.method, target.base + case.formatted_path, params=case.query, headers=headers, timeout=10) as r:
            assert r.status_code < 500
            STATUSES[r.status_code] = STATUSES.get(r.status_code, 0) + 1
            if r.status_code == 200:
                assert r.headers["content-type"].startswith("text/event-stream")
                assert next(r.iter_bytes()).startswith(b"retry:")
            else:
                r.read()
                _error_shape(r)
        return
    response = case.call(headers=headers)
    STATUSES[response.status_code] = STATUSES.get(response.status_code, 0) + 1
    if response.status_code == 401 and not admin and case.path != "/api/v1/session":
        raise AssertionError(f"the fuzzer's own key stopped working at {case.method} {case.path}")  # it must reach handlers
    case.validate_response(response, checks=CHECKS, headers=headers)
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        _error_shape(response)


def test_documented_routes_cover_the_api() -> None:
    """'Every route': the fuzzed spec holds every API route the app serves (pages and webhooks aside)."""
    served = {r.path for r in APP.routes if getattr(r, "include_in_schema", False)}
    assert served <= set(SPEC["paths"]) and len(SPEC["paths"]) >= 25


def test_metrics_content_type_is_documented() -> None:
    documented = SPEC["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    served = TestClient(APP).get("/metrics").headers["content-type"].split(";")[0]
    assert served in documented
