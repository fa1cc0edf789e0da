"""Background work (big flows' validation, revisions' editor data) runs on a small pool shared by
every customer: fair between them (one customer's burst never queues another's job behind it),
bounded (two threads, a capped queue per customer), stopped by the app's shutdown."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any, Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from ringflow.api.background import MAX_QUEUED, WORKERS, Background, QueueFull
from tests.api.conftest import Tenant, create, small_flow

WAIT = 10  # seconds: only ever reached when a test fails


class Jobs:
    """Jobs that block until released, recording the order they started in and how many ran at once."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.started: list[str] = []
        self.running: Counter[int] = Counter()
        self.peak = self.tenant_peak = 0
        self.gates: dict[str, threading.Event] = {}

    def job(self, tenant: int, name: str) -> Callable[[], str]:
        gate = self.gates[name] = threading.Event()

        def run() -> str:
            with self.cond:
                self.started.append(name)
                self.running[tenant] += 1
                self.peak = max(self.peak, sum(self.running.values()))
                self.tenant_peak = max(self.tenant_peak, self.running[tenant])
                self.cond.notify_all()
            gate.wait(WAIT)
            with self.cond:
                self.running[tenant] -= 1
            return name

        return run

    def submit(self, bg: Background, tenant: int, name: str) -> Any:
        return bg.submit(tenant, self.job(tenant, name), name)

    def wait_started(self, n: int) -> list[str]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.started) >= n, WAIT), f"only {self.started} started, {n} expected"
            return list(self.started)

    def release_all(self) -> None:
        for gate in self.gates.values():
            gate.set()


@pytest.fixture
def jobs() -> Iterator[Jobs]:
    made = Jobs()
    yield made
    made.release_all()  # a failed test's blocked jobs end too


@pytest.fixture
def pool() -> Iterator[Callable[..., Background]]:
    """Makes Backgrounds that are shut down after the test."""
    made: list[Background] = []

    def make(**kw: int) -> Background:
        made.append(Background(**kw))
        return made[-1]

    yield make
    for bg in made:
        bg.shutdown()


@pytest.fixture
def bg(pool: Callable[..., Background]) -> Background:
    return pool()


def test_one_customers_burst_does_not_queue_anothers_job_behind_it(bg: Background, jobs: Jobs) -> None:
    a = [jobs.submit(bg, 1, f"a{i}") for i in range(11)]
    jobs.wait_started(1)  # a0 runs; a1..a10 wait: ten queued jobs of customer 1
    b = jobs.submit(bg, 2, "b")
    released = 0
    while "b" not in (started := jobs.wait_started(released + WORKERS)):  # both threads busy: is b among them?
        jobs.gates[started[released]].set()  # not yet: end customer 1's oldest running job and look again
        released += 1
    assert started.index("b") == 1, f"customer 2's one job started after {started.index('b')} of customer 1's"
    jobs.release_all()
    assert b.result(WAIT) == "b" and [f.result(WAIT) for f in a] == [f"a{i}" for i in range(11)]
    assert jobs.started == ["a0", "b", *(f"a{i}" for i in range(1, 11))]  # customer 1's own jobs stay in order


def test_two_run_at_once_one_per_customer_taking_turns(bg: Background, jobs: Jobs) -> None:
    blockers = [jobs.submit(bg, 8, "x"), jobs.submit(bg, 9, "y")]  # both threads busy: the rest all queue first
    jobs.wait_started(2)
    futures = [jobs.submit(bg, t, f"t{t}{n}") for t in (1, 2, 3) for n in "abc"]
    for done in range(len(futures) + 2):  # release the oldest running job; the next one starts
        jobs.gates[jobs.wait_started(min(done + 2, len(futures) + 2))[done]].set()
    assert [f.result(WAIT) for f in blockers + futures]
    assert jobs.started[2:] == ["t1a", "t2a", "t3a", "t1b", "t2b", "t3b", "t1c", "t2c", "t3c"]
    assert jobs.peak == WORKERS == 2 and jobs.tenant_peak == 1


def test_a_customer_alone_runs_one_job_at_a_time(bg: Background, jobs: Jobs) -> None:
    """Its second job waits even with a thread free: that thread stays ready for the next customer."""
    first, second = jobs.submit(bg, 1, "a0"), jobs.submit(bg, 1, "a1")
    jobs.wait_started(1)
    other = jobs.submit(bg, 2, "b")
    assert jobs.wait_started(2) == ["a0", "b"]
    jobs.release_all()
    assert (first.result(WAIT), second.result(WAIT), other.result(WAIT)) == ("a0", "a1", "b")
    assert jobs.tenant_peak == 1


def test_shutdown_drops_queued_jobs_logs_them_and_does_not_wait(bg: Background, jobs: Jobs, caplog: pytest.LogCaptureFixture) -> None:
    a = [jobs.submit(bg, 1, f"a{i}") for i in range(3)]
    b = [jobs.submit(bg, 2, f"b{i}") for i in range(2)]
    jobs.wait_started(2)
    with caplog.at_level(logging.INFO, logger="ringflow.api"):
        bg.shutdown()  # returns with a0 and b0 still blocked: it waits for neither
    assert [f.cancelled() for f in a + b] == [False, True, True, False, True]
    for name in ("a1", "a2", "b1"):
        assert f"{name}: not run, the app shut down first" in caplog.text
    jobs.release_all()
    assert (a[0].result(WAIT), b[0].result(WAIT)) == ("a0", "b0")
    assert bg.submit(1, lambda: 1, "after a restart").result(WAIT) == 1  # the app's next lifespan gets fresh threads
    assert jobs.started == ["a0", "b0"]


def test_a_customers_queue_is_capped_and_only_theirs_is_refused(pool: Callable[..., Background], jobs: Jobs) -> None:
    assert MAX_QUEUED == 50
    bg = pool(max_queued=3)
    jobs.submit(bg, 1, "a0")
    jobs.wait_started(1)
    queued = [jobs.submit(bg, 1, f"a{i}") for i in range(1, 4)]
    with pytest.raises(QueueFull, match="customer 1 already has 3 background jobs waiting; not queued: a4"):
        jobs.submit(bg, 1, "a4")
    assert bg.submit(2, lambda: "b", "b").result(WAIT) == "b"  # another customer is not refused
    jobs.release_all()
    assert [f.result(WAIT) for f in queued] == ["a1", "a2", "a3"]
    assert bg.submit(1, lambda: "again", "again").result(WAIT) == "again"  # room again once the queue drains


def test_a_failure_is_logged_with_what_failed_and_the_thread_goes_on(pool: Callable[..., Background], caplog: pytest.LogCaptureFixture) -> None:
    bg = pool(workers=1)

    def boom() -> None:
        raise RuntimeError("disk on fire")

    with caplog.at_level(logging.ERROR, logger="ringflow.api"):
        failed = bg.submit(1, boom, "validating flow 7")
        after = bg.submit(1, lambda: "still here", "the next job")
        assert after.result(WAIT) == "still here"  # the one thread logged the failure, then ran the next job
    assert isinstance(failed.exception(0), RuntimeError)
    assert any(r.getMessage() == "validating flow 7 failed" and r.exc_info for r in caplog.records)


def _fill(bg: Background, tenant: Tenant, jobs: Jobs) -> Any:
    """The customer's one running job blocks and its queue is full; the last queued job's future."""
    jobs.submit(bg, tenant.id, "blocker")
    jobs.wait_started(1)
    return [bg.submit(tenant.id, lambda: None, f"filler {i}") for i in range(bg.max_queued)][-1]


def _drained(bg: Background, tenant: Tenant) -> None:
    """Everything the customer had queued is done: its jobs run one at a time, in order."""
    assert bg.submit(tenant.id, lambda: True, "last").result(WAIT)


def test_a_write_with_the_customers_queue_full_succeeds_and_skips_the_precompute(
        client: TestClient, alice: Tenant, bob: Tenant, jobs: Jobs, caplog: pytest.LogCaptureFixture) -> None:
    bg: Background = client.app.state.background  # type: ignore[attr-defined]
    last = _fill(bg, alice, jobs)
    with caplog.at_level(logging.WARNING, logger="ringflow.api"):
        flow = create(client, alice, small_flow("Saved while busy"))
    assert flow["problems"] == [] and flow["revision"] == 1
    assert f"customer {alice.id} already has {MAX_QUEUED} background jobs waiting" in caplog.text
    assert "the first open will build it" in caplog.text
    bobs = create(client, bob, small_flow("Bob's, meanwhile"))  # another customer's precompute runs meanwhile
    _drained(bg, bob)
    jobs.release_all()
    last.result(WAIT)  # the customer's jobs run one at a time, in order: all done
    assert client.app.state.precompute.idle()  # type: ignore[attr-defined]
    skeletons = client.app.state.skeletons  # type: ignore[attr-defined]
    assert skeletons.get((bob.id, bobs["id"], 1)) is not None and skeletons.get((alice.id, flow["id"], 1)) is None  # skipped
    skeleton = client.get(f"/api/v1/flows/{flow['id']}/skeleton", headers=alice.headers)
    assert skeleton.status_code == 200  # the first open builds what was skipped


def test_a_big_flow_opened_with_the_customers_queue_full_answers_and_validates_later(
        client: TestClient, alice: Tenant, jobs: Jobs, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from ringflow.api import flows as flows_module

    monkeypatch.setattr(flows_module, "PROBLEMS_INLINE_MAX_NODES", 1)
    bg: Background = client.app.state.background  # type: ignore[attr-defined]
    bad = small_flow("Huge-ish, busy")
    bad["nodes"][0]["config"] = {}
    flow = create(client, alice, bad)
    assert client.app.state.precompute.idle()  # type: ignore[attr-defined]
    client.app.state.problem_cache._items.clear()  # type: ignore[attr-defined]
    last = _fill(bg, alice, jobs)
    with caplog.at_level(logging.WARNING, logger="ringflow.api"):
        first = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers)
    assert first.status_code == 200 and first.json()["problems_pending"] is True
    assert f"not queued: background validation of flow {flow['id']} revision 1" in caplog.text
    jobs.release_all()
    last.result(WAIT)
    again = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers).json()  # asks again: now it queues
    assert again["problems_pending"] is True
    _drained(bg, alice)
    later = client.get(f"/api/v1/flows/{flow['id']}", headers=alice.headers).json()
    assert later["problems_pending"] is False and any(p["node_id"] == "hello" for p in later["problems"])
