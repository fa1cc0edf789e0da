"""Work the API starts off the request path (a big flow's validation, a shared skeleton's build)
runs here: a small thread pool, not a thread per job, so a burst of saves on big flows queues
instead of starting dozens of CPU-bound threads at once. The app's lifespan shuts it down."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

log = logging.getLogger("ringflow.api")
WORKERS = 2  # validation is CPU-bound under the GIL: more threads only interleave the same work


class Background:
    """A bounded executor, made on first use (again after a shutdown, for an app restarted in tests)."""

    def __init__(self, workers: int = WORKERS):
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], Any], what: str) -> Future[Any]:
        """Run ``fn`` in the pool; its failure is logged with ``what`` (the caller's own handling first)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ringflow-bg")
            future = self._pool.submit(fn)
        future.add_done_callback(lambda f: _report(f, what))
        return future

    def shutdown(self) -> None:
        """Drop queued jobs; one running finishes in its thread (nothing waits for it)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _report(future: Future[Any], what: str) -> None:
    if future.cancelled():
        log.info("%s: not run, the app shut down first", what)
    elif (exc := future.exception()) is not None:
        log.error("%s failed", what, exc_info=exc)
