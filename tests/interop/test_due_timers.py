"""Issue 17: send-and-wait-for-reply's timeout fires by itself (no next message needed): the due
timer follows the timeout transition and the provider stand-in receives the timeout branch's
messages, exactly once, with in-memory state and with Redis shared by two workers racing."""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from ringflow.api.app import create_app
from ringflow.config import Settings
from ringflow.runtime import timers
from ringflow.api.messaging import conversation_sid
from ringflow.store import open_store
from tests import provider_standin
from tests.api.conftest import ADMIN
from tests.interop.live import ACCOUNT, OUR_NUMBER, TOKEN, configure, drop_redis_keys, publish, signed, studio, twiml
from tests.interop.test_messaging_and_executions import bodies, sms
from tests.runtime.conftest import new_tenant

ASK = "Reply C to confirm your appointment."
NUDGE = "Still there? Reply C to confirm."


class Clock:
    """A clock the test moves; every app built on it shares it."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def standin() -> Iterator[provider_standin.Standin]:
    server = provider_standin.start({ACCOUNT: TOKEN})
    yield server
    provider_standin.stop(server)


def apps(clock: Clock, standin: Any, count: int = 1, **settings: Any) -> Iterator[list[tuple[TestClient, Any]]]:
    """``count`` apps (workers) on one store and one clock, each with its lifespan running."""
    with tempfile.TemporaryDirectory(prefix="ringflow-timers-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 't.db'}", clock=clock)
        base = dict(admin_token=ADMIN, secret_key="runtime-test-secret", rate_limit_per_minute=0, allow_private_http=True,
                    provider_api_url=standin.url, **settings)
        built = [create_app(Settings(**base), store, clock=clock) for _ in range(count)]  # type: ignore[arg-type]
        clients = [TestClient(app, raise_server_exceptions=False) for app in built]
        try:
            for c in clients:
                c.__enter__()
            yield list(zip(clients, built))
        finally:
            for c in clients:
                c.__exit__(None, None, None)
            store.close()


def sent_to(standin: Any, sender: str) -> list[str]:
    return [m["Body"] for m in standin.of("Messages") if m["To"] == sender]


def wait_for(check: Any, seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.05)
    return check()


def reminder_flow(client: TestClient, standin: Any, name: str) -> int:
    """A configured customer with the SMS reminder flow published; the flow's id."""
    tenant = new_tenant(client, name)
    configure(client, tenant)
    return publish(client, tenant, studio("studio/sms_reminder.json", standin.url))


def test_the_timeout_fires_by_itself_and_sends_through_the_provider(standin):
    clock = Clock()
    for [(client, app)] in apps(clock, standin):
        fid = reminder_flow(client, standin, "Timers Co")
        sender = "+15557771001"
        assert bodies(twiml(signed(client, f"/messaging/{fid}", sms(sender, "hi")))) == [(ASK, sender)]
        clock.now += 599
        time.sleep(1.5)  # the lifespan's ticker ran at least once: not due yet
        assert sent_to(standin, sender) == []
        clock.now += 2  # 601 s after the question: past the widget's 600 s
        assert wait_for(lambda: sent_to(standin, sender)) == [NUDGE]  # no message arrived: the ticker took the timeout
        text = [r for r in standin.requests if r["resource"] == "Messages" and r["form"]["To"] == sender][0]
        assert text["account"] == ACCOUNT and text["form"]["From"] == OUR_NUMBER
        clock.now += 301  # the nudge waits 300 s: its timeout ends the conversation with a message
        execution = "FN" + hashlib.sha256(conversation_sid(fid, sender).encode()).hexdigest()[:32]
        closing = f"No answer: we closed request {execution} of flow {fid}."
        assert wait_for(lambda: len(sent_to(standin, sender)) == 2 and sent_to(standin, sender)) == [NUDGE, closing]
        svc = app.state.runtime_services
        assert client.portal.call(timers.tick, svc) == 0  # nothing left to fire
        assert sent_to(standin, sender) == [NUDGE, closing]
        # the conversation ended: the next message starts a new one
        assert bodies(twiml(signed(client, f"/messaging/{fid}", sms(sender, "hello")))) == [(ASK, sender)]


def test_a_reply_in_time_cancels_the_timeout(standin):
    clock = Clock()
    for [(client, app)] in apps(clock, standin):
        fid = reminder_flow(client, standin, "Prompt Co")
        sender = "+15557771002"
        twiml(signed(client, f"/messaging/{fid}", sms(sender, "hi")))
        clock.now += 300
        assert bodies(twiml(signed(client, f"/messaging/{fid}", sms(sender, "C")))) == [("Confirmed, thanks!", sender)]
        clock.now += 400  # past the first question's timeout: the timer comes due and finds the conversation ended
        assert client.portal.call(timers.tick, app.state.runtime_services) == 0
        time.sleep(1.2)
        assert sent_to(standin, sender) == []


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"], ids=["memory", "redis"])
def test_a_timeout_of_a_day_outlives_the_4_hour_idle_limit(standin, monkeypatch, redis_url):
    prefix = f"rfd{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    clock = Clock()
    try:
        for [(client, app)] in apps(clock, standin, **({"redis_url": redis_url} if redis_url else {})):
            tenant = new_tenant(client, "Patient Co")
            configure(client, tenant)
            doc = studio("studio/sms_reminder.json", standin.url)
            doc["states"][1]["properties"]["timeout"] = "86400"  # Studio takes up to days; the catalogue up to 7
            fid = publish(client, tenant, doc)
            sender = "+15557771004" if redis_url else "+15557771003"
            twiml(signed(client, f"/messaging/{fid}", sms(sender, "hi")))
            if redis_url:
                import redis

                r = redis.Redis.from_url(redis_url)
                assert r.ttl(f"{prefix}:{{{conversation_sid(fid, sender)}}}:s") > 86400  # not the 4 h of a call
                r.close()
            clock.now += 5 * 3600  # past the 4 h a call is kept idle: the memory backend's sweep runs meanwhile
            time.sleep(1.5)
            assert sent_to(standin, sender) == []
            clock.now += 86400 - 5 * 3600 + 1
            assert wait_for(lambda: sent_to(standin, sender)) == [NUDGE]
    finally:
        drop_redis_keys(prefix)


def test_stopping_the_lifespan_stops_the_ticker(standin):
    clock = Clock()
    for [(client, app)] in apps(clock, standin):
        task = app.state.runtime_services.due_timers
        assert task is not None and not task.done()
    assert app.state.runtime_services is None and task.cancelled()


def test_with_redis_two_workers_racing_send_the_timeout_message_once(standin, monkeypatch):
    import redis

    prefix = f"rft{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RINGFLOW_REDIS_PREFIX", prefix)
    clock = Clock()
    try:
        for workers in apps(clock, standin, count=2, redis_url="redis://127.0.0.1:6379/0"):
            (one, app1), (two, app2) = workers
            fid = reminder_flow(one, standin, "Race Co")
            senders = [f"+1555777{2000 + i}" for i in range(20)]
            for i, sender in enumerate(senders):  # conversations started on either worker
                assert bodies(twiml(signed(workers[i % 2][0], f"/messaging/{fid}", sms(sender, "hi")))) == [(ASK, sender)]
            r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
            filed = sum(r.zcard(f"{prefix}:{{due{i}}}:z") for i in range(timers.SHARDS))
            assert filed == len(senders)
            clock.now += 601
            fired: list[int] = []
            go = threading.Barrier(4)

            def race(client: TestClient, app: Any) -> None:
                go.wait()
                fired.append(client.portal.call(timers.tick, app.state.runtime_services))

            threads = [threading.Thread(target=race, args=w) for w in workers + workers]  # two ticks per worker at once
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            time.sleep(1.2)  # and both workers' own tickers ran too
            for sender in senders:
                assert sent_to(standin, sender) == [NUDGE], sender
            assert sum(fired) <= len(senders)
            r.close()
    finally:
        drop_redis_keys(prefix)


def test_memory_timers_claim_once_and_keep_a_newer_due_time():
    async def run() -> None:
        t = timers.MemoryTimers()
        await t.set("MC1", 100)
        await t.set("MC1", 100)
        await t.set("MC2", 500)
        assert await t.claim(99) == []
        got = await t.claim(100)
        assert got == [("MC1", 100 + timers.LEASE)]
        assert await t.claim(120) == []  # held by its lease
        await t.set("MC1", 700)  # the conversation moved on to another wait
        await t.done("MC1", got[0][1])  # the finished claim must not drop the newer timer
        assert t.due["MC1"] == 700

    import asyncio

    asyncio.run(run())
