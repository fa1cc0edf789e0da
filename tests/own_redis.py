"""A private ``redis-server`` on a free loopback port, for tests that take Redis away.

The shared Redis on 6379 is never touched: outage tests start their own (no persistence, in a
temp dir), point an app at it and stop it (``kill``) mid-test, the way a crashed server goes.
The server runs on the machine's real clock, like any Redis a deployment talks to: in the
moved-clock runs (scripts/test-clocks) libfaketime is left out of its environment, under which
redis-server never starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import redis

from tests.api.server import free_port


class OwnRedis:
    """A private redis-server (no persistence) that can be stopped and started on the same port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_real_clock_env())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _real_clock_env() -> dict[str, str]:
    """This process's environment without libfaketime (LD_PRELOAD and its FAKETIME settings)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith(("FAKETIME", "FAKE_"))}


@contextmanager
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    r = OwnRedis(tmp_path)
    r.start()
    try:
        yield r
    finally:
        r.stop()
