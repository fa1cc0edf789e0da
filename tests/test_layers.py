"""The package's seams: ``ringflow.runtime`` runs calls without any web framework; the HTTP
surface (webhooks, the test-call panel, executions, messaging) lives in ``ringflow.api``."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ringflow.runtime

FRAMEWORKS = ("fastapi", "starlette", "ringflow.api")


def test_every_runtime_module_imports_without_a_web_framework() -> None:
    names = sorted(f"ringflow.runtime.{m.name}" for m in pkgutil.iter_modules(ringflow.runtime.__path__))
    assert "ringflow.runtime.engine" in names and "ringflow.runtime.service" in names
    probe = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS[:2]!r} or m.startswith('ringflow.api')))\n"
    )
    # a fresh interpreter: this test process has long imported FastAPI for other tests
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"ringflow.runtime pulls in web modules: {out}"


def test_every_worker_runs_the_one_factory(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``uvicorn ringflow.api.serve:app_from_env --factory`` (each of ``ringflow serve --workers N``)
    is ``create_app``'s app: the webhooks' fast path outermost, the API and the runtime mounted."""
    from fastapi import FastAPI

    from ringflow.api.serve import FACTORY, app_from_env
    from ringflow.api.voice import VoiceFastPath

    monkeypatch.setenv("RINGFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.delenv("RINGFLOW_REDIS_URL", raising=False)
    app = app_from_env()
    try:
        assert FACTORY == "ringflow.api.serve:app_from_env" and isinstance(app, FastAPI)
        assert app.user_middleware[0].cls is VoiceFastPath
        assert app.url_path_for("voice_start", flow_ref="1") == "/voice/1"  # raises when the runtime is not mounted
        assert {"/api/v1/flows", "/metrics"} <= set(app.openapi()["paths"])
    finally:
        app.state.store.close()
