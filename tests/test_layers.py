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
