"""Work the API starts off the request path (a big flow's validation, a revision's editor data)
runs here: a few threads, not a thread per job, so a burst of saves on big flows queues instead
of starting dozens of CPU-bound threads at once. The app's lifespan shuts it down.

The threads are shared by every customer, and tenants must never slow each other, so the queue
is fair rather than first come, first served (where one customer's 20 big saves put another's one
small save minutes back):

- each customer (tenant) has its own FIFO queue, and a free thread takes the next job of the
  next tenant in turn (round robin over the tenants with queued work; a tenant served goes to
  the back of the turn, one skipped keeps its place);
- a tenant runs at most one job at a time, always. The weaker rule "at most one while another
  tenant has queued work" can only look at who is waiting now: a tenant alone takes both threads,
  and the next tenant to arrive then waits out a whole job (seconds at 500,000 nodes), the very
  delay this module removes. The stricter rule keeps one thread for everyone else, and costs a
  lone tenant little: the jobs are CPU-bound under the GIL (why WORKERS is 2), so a second
  thread of its own would mostly interleave the same work;
- a tenant holds at most ``max_queued`` waiting jobs: beyond, ``submit`` raises
  :class:`QueueFull` (memory stays bounded by tenants x cap) and the caller skips the work,
  which is always rebuilt on demand.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger("ringflow.api")
WORKERS = 2  # validation is CPU-bound under the GIL: more threads only interleave the same work
MAX_QUEUED = 50  # waiting jobs per tenant: each caller dedupes per flow, so this is 50 flows' worth


class QueueFull(RuntimeError):
    """The tenant already has ``max_queued`` jobs waiting: the job was not queued."""


@dataclass(frozen=True, slots=True)
class _Job:
    tenant: int
    fn: Callable[[], Any]
    future: Future[Any]


class Background:
    """A bounded, tenant-fair executor; its threads start on first use (again after a shutdown,
    for an app restarted in tests)."""

    def __init__(self, workers: int = WORKERS, max_queued: int = MAX_QUEUED):
        self.workers, self.max_queued = workers, max_queued
        self._cond = threading.Condition()
        self._queues: dict[int, deque[_Job]] = {}  # tenants with queued work, in turn order (dicts keep insertion order)
        self._running: dict[int, int] = {}  # tenant -> jobs running (1 at most, but a shutdown's leftovers may overlap a restart)
        self._generation = 0  # bumped by shutdown: threads of an older generation exit
        self._started = False

    def submit(self, customer_id: int, fn: Callable[[], Any], what: str) -> Future[Any]:
        """Queue ``fn`` for ``customer_id``; its failure is logged with ``what`` (the caller's own handling
        first). Raises :class:`QueueFull` when that tenant already has ``max_queued`` jobs waiting."""
        future: Future[Any] = Future()
        future.add_done_callback(lambda f: _report(f, what))
        with self._cond:
            queue = self._queues.get(customer_id)
            if queue is not None and len(queue) >= self.max_queued:
                raise QueueFull(f"customer {customer_id} already has {len(queue)} background jobs waiting; not queued: {what}")
            if queue is None:
                queue = self._queues[customer_id] = deque()  # joins the turn at its end
            queue.append(_Job(customer_id, fn, future))
            if not self._started:
                self._start()
            self._cond.notify()
        return future

    def shutdown(self) -> None:
        """Drop queued jobs (their futures cancelled, logged as not run); a running job finishes in
        its thread, and nothing waits for it."""
        with self._cond:
            dropped = [job for queue in self._queues.values() for job in queue]
            self._queues.clear()
            self._generation += 1
            self._started = False
            self._cond.notify_all()
        for job in dropped:
            job.future.cancel()

    def _start(self) -> None:
        """Called with the lock held. Daemon threads: a process exiting does not wait for a job whose
        result only fills caches (the next open rebuilds it)."""
        self._started = True
        for i in range(self.workers):
            threading.Thread(target=self._work, args=(self._generation,), name=f"ringflow-bg-{i}", daemon=True).start()

    def _next(self) -> _Job | None:
        """The next tenant's next job, or None; called with the lock held."""
        tenant = next((t for t in self._queues if not self._running.get(t)), None)  # one running keeps its turn
        if tenant is None:
            return None
        queue = self._queues.pop(tenant)
        job = queue.popleft()
        if queue:
            self._queues[tenant] = queue  # to the back of the turn
        self._running[tenant] = self._running.get(tenant, 0) + 1
        return job

    def _work(self, generation: int) -> None:
        while True:
            with self._cond:
                job = None
                while self._generation == generation and (job := self._next()) is None:
                    self._cond.wait()
                if job is None:
                    return  # shut down
            try:
                _run(job)
            finally:
                with self._cond:
                    if self._running[job.tenant] > 1:
                        self._running[job.tenant] -= 1
                    else:
                        del self._running[job.tenant]
                    self._cond.notify_all()  # that tenant's next job may now run, on whichever thread is free


def _run(job: _Job) -> None:
    if not job.future.set_running_or_notify_cancel():
        return  # cancelled by its caller while queued
    try:
        result = job.fn()
    except BaseException as exc:  # noqa: BLE001 - handed to the future (and logged by _report); the thread goes on
        job.future.set_exception(exc)
    else:
        job.future.set_result(result)


def _report(future: Future[Any], what: str) -> None:
    if future.cancelled():
        log.info("%s: not run, the app shut down first", what)
    elif (exc := future.exception()) is not None:
        log.error("%s failed", what, exc_info=exc)
