"""Redis stopped and restarted under call load: the server stays up, every call continues or hangs up cleanly.

The shared Redis on 6379 is never touched: this test starts its own ``redis-server`` on a free
port in a temp dir and points a child server process at it (RINGFLOW_REDIS_URL). Callers loop
through a menu over signed-free webhooks while Redis goes away and comes back.
"""

from __future__ import annotations

import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import httpx
import pytest
import redis

from tests.own_redis import own_redis
from tests.reliability.conftest import ChildServer, record, tenant

pytestmark = pytest.mark.redis

MENU = {"name": "outage", "start": "hi", "nodes": [
    {"id": "hi", "type": "say", "x": 0, "y": 0, "config": {"text": "Welcome"}},
    {"id": "menu", "type": "menu", "x": 0, "y": 200, "config": {"prompt": "Press 1 to hear it again", "digits": ["1", "2"], "retries": 1}},
    {"id": "bye", "type": "hangup", "x": 300, "y": 400, "config": {}}],
    "edges": [{"source": "hi", "outlet": "next", "target": "menu"}, {"source": "menu", "outlet": "1", "target": "hi"},
              {"source": "menu", "outlet": "2", "target": "bye"}, {"source": "menu", "outlet": "timeout", "target": "bye"},
              {"source": "menu", "outlet": "invalid", "target": "bye"}]}


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.continued = self.hung_up = self.calls = 0
        self.bad: list[str] = []


def _caller(base: str, flow_id: int, stop: threading.Event, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=15) as http:
        while not stop.is_set():
            sid = "CA" + uuid.uuid4().hex
            form = {"CallSid": sid, "AccountSid": "AC1", "From": "+15550001", "To": "+15550002", "CallStatus": "ringing"}
            url = f"/voice/{flow_id}"
            with tally.lock:
                tally.calls += 1
            for _ in range(6):  # a few rounds of the menu, then the call ends one way or another
                try:
                    r = http.post(url, data=form)
                except httpx.HTTPError as exc:
                    with tally.lock:
                        tally.bad.append(f"transport {type(exc).__name__}")
                    return
                try:
                    root = ET.fromstring(r.text)
                except ET.ParseError:
                    root = None
                if r.status_code != 200 or root is None or root.tag != "Response":
                    with tally.lock:
                        tally.bad.append(f"{r.status_code} {r.text[:200]}")
                    break
                verbs = [el.tag for el in root]
                gather = root.find("Gather")
                with tally.lock:
                    if "Hangup" in verbs:
                        tally.hung_up += 1
                    elif gather is not None:
                        tally.continued += 1
                    else:
                        tally.bad.append(f"neither a prompt nor a hangup: {r.text[:200]}")
                if gather is None:
                    break
                url = gather.attrib["action"].replace("&amp;", "&")
                form = {"CallSid": sid, "Digits": "1"}
            http.post("/voice/status", data={"CallSid": sid, "CallStatus": "completed"})


def test_redis_stopped_and_restarted_under_call_load(tmp_path: Path) -> None:
    with own_redis(tmp_path) as rds:
        prefix = "rfrel" + uuid.uuid4().hex[:8]
        server = ChildServer(f"sqlite:///{tmp_path / 'calls.db'}",
                             {"RINGFLOW_REDIS_URL": rds.url, "RINGFLOW_REDIS_PREFIX": prefix})
        base = server.start()
        try:
            t = tenant(base, "Caller Co")
            assert httpx.patch(f"{base}/api/v1/telephony", json={"allow_unsigned_webhooks": True}, headers=t.headers).status_code == 200
            flow_id = httpx.post(f"{base}/api/v1/flows", json=MENU, headers=t.headers).json()["id"]
            assert httpx.post(f"{base}/api/v1/flows/{flow_id}/publish", headers=t.headers).status_code == 201
            tally, stop = Tally(), threading.Event()
            callers = [threading.Thread(target=_caller, args=(base, flow_id, stop, tally)) for _ in range(8)]
            for c in callers:
                c.start()
            assert _until(lambda: tally.continued >= 5, 30), "calls never got going"
            before = tally.continued
            assert redis.Redis(port=rds.port).dbsize() > 0  # calls really live in our Redis
            rds.stop()
            time.sleep(1.5)
            assert _until(lambda: tally.hung_up > 0, 15)  # the outage was felt, as spoken apologies with a hangup
            during = tally.hung_up
            rds.start()
            mark = tally.continued
            recovered = _until(lambda: tally.continued > mark + 5, 30)
            after_restart = tally.continued
            stop.set()
            for c in callers:
                c.join(timeout=60)
            assert tally.bad == []  # every answer was TwiML: a prompt or a clean hangup, never a 5xx
            assert during > 0 and recovered  # calls flowed again once Redis was back, with no restart
            assert after_restart > before
            assert server.proc is not None and server.proc.poll() is None
            assert httpx.get(f"{base}/healthz").status_code == 200
            record(test="redis_outage", calls=tally.calls, prompts=tally.continued, clean_hangups=tally.hung_up, bad=len(tally.bad))
        finally:
            server.stop()
