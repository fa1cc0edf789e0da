"""Every write path stores the new revision's editor data (skeleton, problems) when it writes:
a fresh worker (a new app, empty caches) then serves the first open without building anything.
Through Redis, as workers share it; and in one process without Redis."""

from __future__ import annotations

import dataclasses
import json
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from ringflow.api.app import create_app
from ringflow.api.skeleton import build_skeleton
from ringflow.cli import app as cli
from ringflow.model.validation import validate
from ringflow.store import open_store
from ringflow.store.seed import sized_flow
from tests.api.conftest import ADMIN, make_settings
from tests.api.server import serve

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Within ``watch()``: what an open had to compute (the skeleton route's builder, the problems' validation)."""
    seen: list[str] = []

    @contextmanager
    def watch() -> Iterator[list[str]]:
        with monkeypatch.context() as m:  # counted, then done as before: the open still answers
            m.setattr("ringflow.api.editor_data.build_skeleton", lambda *a: (seen.append("skeleton"), build_skeleton(*a))[1])
            m.setattr("ringflow.api.flows.validate", lambda *a: (seen.append("validate"), validate(*a))[1])
            yield seen

    yield watch


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", f"rfr{uuid.uuid4().hex[:8]}")
    return dataclasses.replace(make_settings(), redis_url=REDIS)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'rev.db'}"
    st = open_store(url)
    st.close()
    yield url


def _open_fresh(settings: Any, store: Any, flow_id: int, key: dict[str, str], builds: Any) -> tuple[bytes, dict[str, Any]]:
    """Open the flow on a new app (nothing in its caches) and check it built nothing."""
    with serve(create_app(settings, store)) as base, httpx.Client(base_url=base, timeout=60) as http, builds() as seen:
        skel = http.get(f"/api/v1/flows/{flow_id}/skeleton", headers=key)
        meta = http.get(f"/api/v1/flows/{flow_id}", headers=key).json()
    assert skel.status_code == 200 and seen == [], seen
    assert skel.headers["etag"] == f'"{meta["revision"]}"' and meta["problems_pending"] is False
    return skel.content, meta


@pytest.mark.redis
def test_patch_publish_and_restore_store_what_a_fresh_worker_opens(shared: Any, db: str, builds: Any) -> None:
    store = open_store(db)
    writer = create_app(shared, store)
    with serve(writer) as base, httpx.Client(base_url=base, timeout=60) as http:
        body = http.post("/api/v1/customers", json={"name": "Rev"}, headers={"Authorization": f"Bearer {ADMIN}"}).json()
        key = {"Authorization": f"Bearer {body['api_key']}"}
        flow = http.post("/api/v1/flows", json=sized_flow(300, "Rev"), headers=key).json()
        patched = http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "move_node", "id": "b0_hours", "x": 5000, "y": 7}]},
                             headers=key | {"If-Match": str(flow["revision"])}).json()
        assert writer.state.precompute.idle()
        skel, meta = _open_fresh(shared, store, flow["id"], key, builds)
        assert meta["revision"] == patched["revision"] and meta["problems"] == flow["problems"]
        published = http.post(f"/api/v1/flows/{flow['id']}/publish", headers=key)
        assert published.status_code == 201, published.text
        http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "delete_node", "id": "b0_menu"}]},
                   headers=key | {"If-Match": str(patched["revision"])})
        restored = http.post(f"/api/v1/flows/{flow['id']}/revisions/{published.json()['number']}/restore", headers=key).json()
        assert writer.state.precompute.idle()
    again, meta = _open_fresh(shared, store, flow["id"], key, builds)
    assert meta["revision"] == restored["revision"] and len(again) == len(skel)  # the restored flow, drawn without a build
    store.close()


@pytest.mark.redis
def test_cli_import_stores_what_a_fresh_worker_opens(shared: Any, db: str, builds: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(db)
    customer = store.create_customer("Imported")
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(sized_flow(300, "Imported")))
    monkeypatch.setenv("RINGFLOW_REDIS_URL", REDIS)
    result = CliRunner().invoke(cli, ["import", str(path), "--customer", str(customer.id), "--db", db])
    assert result.exit_code == 0, result.output
    flow_id = store.list_flows(customer.id).items[0].id
    with serve(create_app(shared, store)) as base, httpx.Client(base_url=base, timeout=60) as http:
        key = {"Authorization": f"Bearer {http.post(f'/api/v1/customers/{customer.id}/keys', headers={'Authorization': f'Bearer {ADMIN}'}).json()['api_key']}"}
    _open_fresh(shared, store, flow_id, key, builds)
    store.close()


def test_without_redis_the_first_open_after_a_patch_is_warm(db: str, builds: Any) -> None:
    store = open_store(db)
    app = create_app(make_settings(), store)
    with serve(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        body = http.post("/api/v1/customers", json={"name": "One"}, headers={"Authorization": f"Bearer {ADMIN}"}).json()
        key = {"Authorization": f"Bearer {body['api_key']}"}
        flow = http.post("/api/v1/flows", json=sized_flow(300, "One"), headers=key).json()
        http.patch(f"/api/v1/flows/{flow['id']}", json={"ops": [{"op": "move_node", "id": "b0_hours", "x": 1, "y": 2}]},
                   headers=key | {"If-Match": str(flow["revision"])})
        assert app.state.precompute.idle()
        with builds() as seen:
            assert http.get(f"/api/v1/flows/{flow['id']}/skeleton", headers=key).status_code == 200
            assert http.get(f"/api/v1/flows/{flow['id']}", headers=key).json()["problems_pending"] is False
    assert seen == []
    store.close()
