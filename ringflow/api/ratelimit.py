"""API rate limits counted across every worker, in Redis, without a round trip per request.

Same fixed one-minute windows and the same ``hit(key_id)`` as the in-process
:class:`~ringflow.api.auth.RateLimiter`. Each process counts its own requests and, every
``SYNC_SECONDS``, adds them to the key's window in Redis (``INCRBY`` + ``EXPIRE``, one command
pair per active key, all in one pipeline) and learns the total of every worker from the reply.
A request is refused once the last known total plus this process's requests since is over the
limit: the fleet lets through at most a little more than the limit (what the other workers
accepted in the last ``SYNC_SECONDS``), never less. If Redis is unreachable the process keeps
counting alone (logged), as a single process would.
"""

from __future__ import annotations

import asyncio
import logging

from ringflow.clock import Clock, system_clock
from ringflow.redisio import RedisLink

log = logging.getLogger("ringflow.api")
SYNC_SECONDS = 0.2
WINDOW = 60


class SharedRateLimiter:
    def __init__(self, per_minute: int, link: RedisLink, prefix: str = "rf", clock: Clock = system_clock):
        self.per_minute, self.link, self.prefix, self.clock = per_minute, link, prefix, clock
        self._pending: dict[tuple[int, int], int] = {}  # (key id, window) -> requests not yet added in Redis
        self._known: dict[int, tuple[int, int]] = {}  # key id -> (window, total of every worker at the last sync)
        self._task: asyncio.Task[None] | None = None

    def key(self, key_id: int, window: int) -> str:
        return f"{self.prefix}:rl:{{{key_id}}}:{window}"

    def hit(self, key_id: int) -> int | None:
        """None when allowed, else the seconds until the window resets."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        window = int(now // WINDOW)
        pending = self._pending[(key_id, window)] = self._pending.get((key_id, window), 0) + 1
        known_window, total = self._known.get(key_id, (window, 0))
        seen = (total if known_window == window else 0) + pending
        self._ensure_sync()
        if seen > self.per_minute:
            return max(1, int(WINDOW - now % WINDOW))
        return None

    def _ensure_sync(self) -> None:
        if self._task is None or self._task.done():
            try:
                self._task = asyncio.get_running_loop().create_task(self._sync_forever())
            except RuntimeError:  # no loop (a sync caller): counted locally until one runs
                pass

    async def aclose(self) -> None:
        """Stop the sync task (the app's shutdown); counts not yet sent are this process's alone."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _sync_forever(self) -> None:
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            if self._pending:
                await self.sync()

    async def sync(self) -> None:
        """Add this process's counts to Redis and learn every worker's totals."""
        pending, self._pending = self._pending, {}
        current = int(self.clock() // WINDOW)
        sent = []
        for (key_id, window), n in pending.items():
            if window < current - 1:
                continue  # a window long gone
            k = self.key(key_id, window)
            sent.append((key_id, window, n, self.link.send("INCRBY", k, n)))
            self.link.send("EXPIRE", k, 2 * WINDOW)
        for key_id, window, n, fut in sent:
            total = await fut
            if isinstance(total, Exception):
                log.warning("rate limit counts stay local to this process: redis unavailable (%s)", total)
                known_window, known = self._known.get(key_id, (window, 0))
                self._known[key_id] = (window, (known if known_window == window else 0) + n)
                continue
            if self._known.get(key_id, (-1, 0))[0] <= window:
                self._known[key_id] = (window, int(total))
        if len(self._known) > 100_000:  # bound memory under a flood of keys
            self._known = {k: v for k, v in self._known.items() if v[0] >= current}
