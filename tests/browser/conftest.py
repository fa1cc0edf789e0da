"""Browser tests: the real server on a temporary SQLite database, driven in Debian's Chromium.

One server and one browser per session (start-up is the slow part); every test gets its own
browser context (cookies) and its own flows, so tests never see each other's state.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

expect.set_options(timeout=8_000)  # the machine is shared: allow for a busy moment, never sleep

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("RINGFLOW_SCREENSHOTS", "/tmp/ringflow-screenshots"))

SERVE_INLINE = """
import sys, uvicorn
from ringflow.config import load_settings
from ringflow.store import open_store
from ringflow.api.app import create_app
s = load_settings()
uvicorn.run(create_app(s, open_store(s.database_url)), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running ``ringflow`` server and the admin/customer calls tests need to set up data."""

    def __init__(self, base: str, admin_token: str, proc: subprocess.Popen[bytes], db: str = ""):
        self.base = base
        self.admin_token = admin_token
        self.proc = proc
        self.db = db  # the server's database, for writes that must bypass its API

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None

    def customer(self, name: str = "Acme") -> str:
        status, body = self.call("POST", "/api/v1/customers", {"name": name}, token=self.admin_token)
        assert status == 201, body
        return body["api_key"]

    def flow(self, key: str, doc: dict[str, Any]) -> dict[str, Any]:
        status, body = self.call("POST", "/api/v1/flows", doc, token=key)
        assert status == 201, body
        return body

    def patch(self, key: str, flow_id: int, revision: int, ops: list[dict[str, Any]]) -> tuple[int, Any]:
        return self.call("PATCH", f"/api/v1/flows/{flow_id}", {"ops": ops}, token=key, headers={"If-Match": str(revision)})


def _serve_command(port: int, db: str) -> list[str]:
    if (ROOT / "ringflow" / "cli.py").exists() or (ROOT / "ringflow" / "__main__.py").exists():
        probe = subprocess.run([sys.executable, "-m", "ringflow", "serve", "--help"], cwd=ROOT, capture_output=True, timeout=60)
        if probe.returncode == 0 and b"--port" in probe.stdout:
            return [sys.executable, "-m", "ringflow", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"] \
                if b"--host" in probe.stdout else [sys.executable, "-m", "ringflow", "serve", "--db", db, "--port", str(port)]
    return [sys.executable, "-c", SERVE_INLINE, str(port)]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    db = f"sqlite:///{tmp_path_factory.mktemp('browserdb') / 'ringflow.db'}"
    token = secrets.token_urlsafe(24)
    env = {**os.environ, "RINGFLOW_ADMIN_TOKEN": token, "RINGFLOW_DATABASE_URL": db, "RINGFLOW_SECRET_KEY": secrets.token_urlsafe(32),
           "RINGFLOW_RATE_LIMIT": "100000", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path_factory.mktemp("serverlog") / "server.log", "wb")
    proc = subprocess.Popen(_serve_command(port, db), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                proc.kill()
                raise RuntimeError("the server did not start: " + Path(log.name).read_text(errors="replace")[-2000:])
            time.sleep(0.2)
    yield Server(base, token, proc, db)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def api_key(server: Server) -> str:
    return server.customer(f"Customer {secrets.token_hex(3)}")


def new_context(browser: Browser, server: Server, **kwargs: Any) -> BrowserContext:
    ctx = browser.new_context(base_url=server.base, viewport=kwargs.pop("viewport", {"width": 1400, "height": 880}), **kwargs)
    ctx.set_default_timeout(10_000)
    return ctx


def sign_in(page: Page, key: str) -> None:
    page.goto("/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Flows").wait_for()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = new_context(browser, server)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.errors = errors  # type: ignore[attr-defined]
    yield p


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_editor(page: Page, key: str, flow_id: int) -> None:
    sign_in(page, key)
    page.goto(f"/flows/{flow_id}")
    page.locator("html[data-ready='1']").wait_for(state="attached", timeout=15_000)


def menu_flow(name: str = "Support line") -> dict[str, Any]:
    """A small realistic flow: welcome, menu, two branches, hang-ups."""
    return {
        "name": name, "start": "welcome",
        "nodes": [
            {"id": "welcome", "type": "say", "x": 0, "y": 0, "label": "Welcome", "config": {"text": "Thanks for calling."}},
            {"id": "menu", "type": "menu", "x": 0, "y": 160, "label": "Main menu",
             "config": {"prompt": "Press 1 for sales, 2 for support.", "digits": ["1", "2"]}},
            {"id": "sales", "type": "say", "x": -240, "y": 320, "label": "Sales", "config": {"text": "Connecting you to sales."}},
            {"id": "support", "type": "say", "x": 240, "y": 320, "label": "Support", "config": {"text": "Connecting you to support."}},
            {"id": "bye", "type": "hangup", "x": 0, "y": 480, "label": "Goodbye", "config": {}},
        ],
        "edges": [
            {"source": "welcome", "outlet": "next", "target": "menu"},
            {"source": "menu", "outlet": "1", "target": "sales"},
            {"source": "menu", "outlet": "2", "target": "support"},
            {"source": "menu", "outlet": "invalid", "target": "bye"},
            {"source": "menu", "outlet": "timeout", "target": "bye"},
            {"source": "sales", "outlet": "next", "target": "bye"},
            {"source": "support", "outlet": "next", "target": "bye"},
        ],
    }
