"""Background work (big flows' validation, shared skeleton builds) runs on a small pool that the
app's shutdown stops, not on a new thread per job."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from ringflow.api.background import WORKERS, Background


def test_a_burst_runs_two_at_a_time_and_shutdown_drops_the_queue(caplog: pytest.LogCaptureFixture) -> None:
    bg = Background()
    release, lock = threading.Event(), threading.Lock()
    running, peak, ran = [0], [0], []

    def job(i: int) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
            ran.append(i)

    jobs = [bg.submit(lambda i=i: job(i), f"job {i}") for i in range(8)]
    time.sleep(0.2)
    assert peak[0] == WORKERS == 2
    with caplog.at_level(logging.INFO, logger="ringflow.api"):
        bg.shutdown()
        release.set()
        time.sleep(0.2)
    assert sorted(ran) == [0, 1] and sum(j.cancelled() for j in jobs) == 6
    assert "job 7: not run, the app shut down first" in caplog.text


def test_a_failure_is_logged_with_what_failed(caplog: pytest.LogCaptureFixture) -> None:
    bg = Background()

    def boom() -> None:
        raise RuntimeError("disk on fire")

    with caplog.at_level(logging.ERROR, logger="ringflow.api"):
        bg.submit(boom, "validating flow 7").exception(5)
        time.sleep(0.05)
    bg.shutdown()
    assert any(r.getMessage() == "validating flow 7 failed" and r.exc_info for r in caplog.records)
    assert bg.submit(lambda: 1, "after a restart").result(5) == 1  # the app's next lifespan gets a fresh pool
    bg.shutdown()
