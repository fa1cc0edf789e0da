from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn
from typer.testing import CliRunner

from ringflow.model.demo import generate_flow
from ringflow.runtime.flows import StaticFlows
from ringflow.runtime.simulate import choose, simulate

from .conftest import make_client, new_tenant, publish

MONDAY_NOON_NY = 1796058000.0  # 2026-11-30 17:00 UTC


def test_in_process_simulation_is_reproducible_and_counts_everything():
    flows = StaticFlows({(1, 1): generate_flow(40)})
    runs = [asyncio.run(simulate(flows, 1, 1, calls=300, concurrency=20, seed=7, clock=lambda: MONDAY_NOON_NY)) for _ in range(2)]
    a, b = runs
    assert a.outcomes == b.outcomes and a.visits == b.visits
    assert sum(a.outcomes.values()) == 300 and a.outcomes["caller_hung_up"] > 0 and a.outcomes["flow_ended"] > 0
    assert a.visits["b0_welcome"] >= 300 and a.visits["b0_menu"] >= 300 and a.visits["b0_agent"] > 0
    assert a.webhooks > 300 and 0 < a.percentile(50) <= a.percentile(99)


def test_caller_policy_covers_every_wait():
    import random

    rng = random.Random(1)
    kinds = {choose(rng, w, ["1", "2"])[0] for w in ["digits"] * 200}
    assert kinds == {"digits", "timeout", "hangup"}
    assert choose(rng, "dial", [])[0] == "dial" and choose(rng, "queue", [])[0] == "queue"
    assert choose(rng, None, [])[0] == "hangup"


def test_cli_demo_run_prints_the_report():
    from ringflow.cli import app

    result = CliRunner().invoke(app, ["simulate", "demo", "--calls", "50", "--concurrency", "5", "--seed", "1",
                                      "--at", "2026-11-30T17:00:00+00:00"])
    assert result.exit_code == 0, result.output
    assert "webhooks/s" in result.output and "latency p99" in result.output and "menu" in result.output
    bad = CliRunner().invoke(app, ["simulate", "12", "--via", "carrier-pigeon"])
    assert bad.exit_code == 2 and "--via" in bad.output
    bad_at = CliRunner().invoke(app, ["simulate", "demo", "--at", "yesterday"])
    assert bad_at.exit_code == 2 and "ISO" in bad_at.output


def test_at_without_an_offset_is_utc_whatever_the_machines_zone(monkeypatch):
    import time as _time

    from ringflow.runtime.cli import parse_instant

    try:
        for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
            monkeypatch.setenv("TZ", zone)
            _time.tzset()
            assert parse_instant("2026-11-30T17:00:00") == MONDAY_NOON_NY == parse_instant("2026-11-30T12:00:00-05:00")
    finally:
        monkeypatch.undo()  # the process's own zone back, for the tests after this one
        _time.tzset()


def _serve(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def test_simulation_over_http_with_signed_webhooks():
    for client, app in make_client():
        t = new_tenant(client, "Sim Co")
        flow_id = publish(client, t, generate_flow(20))
        token = "sim-token-0123456789"
        assert client.put("/api/v1/telephony", json={"provider": "twilio", "auth_token": token}, headers=t.headers).status_code == 200
        server, thread, base = _serve(app)
        try:
            res = asyncio.run(simulate(None, t.id, flow_id, calls=30, concurrency=5, seed=2, via="http", url=base, auth_token=token))
            assert sum(res.outcomes.values()) == 30 and not any(k.startswith("http_") for k in res.outcomes), res.outcomes
            assert res.webhooks >= 30
            unsigned = asyncio.run(simulate(None, t.id, flow_id, calls=3, concurrency=1, via="http", url=base))
            assert unsigned.outcomes == {"http_403": 3}
        finally:
            server.should_exit = True
            thread.join(timeout=10)
