"""Each customer's share of the event loop: heavy flows wait their turn instead of crowding others out.

Limits bound one answer (:mod:`ringflow.runtime.limits`: at most ``ANSWER_SECONDS`` of
templates and conditions), but a customer can still send answers back to back. So the
loop time each customer's *heavy* answers take (an answer over ``FREE_SECONDS``; ordinary
ones take microseconds and are never counted) is charged to a token bucket per customer;
once it is empty, that customer's next answers sleep (not blocking anyone) until it has
refilled. Another customer's webhooks then wait behind at most one bounded answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

FREE_SECONDS = 0.002  # an answer faster than this costs its customer nothing
SHARE = 0.05  # loop seconds per second a customer's heavy answers may take, on average
BURST = 0.05  # loop seconds a customer may spend at once before waiting
MAX_WAIT = 2.0  # never hold one answer longer (the provider's webhook timeout is 15 s)
MAX_CUSTOMERS = 10_000  # buckets kept; the oldest full ones go first


class LoopShare:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 share: float = SHARE, burst: float = BURST):
        self.clock, self.sleep, self.share, self.burst = clock, sleep, share, burst
        self._debt: dict[int, tuple[float, float]] = {}  # customer -> (seconds owed, when last settled)

    def owed(self, customer_id: int) -> float:
        """Seconds the customer must wait before its next answer runs (0: go ahead)."""
        got = self._debt.get(customer_id)
        if got is None:
            return 0.0
        debt, at = got
        debt -= (self.clock() - at) * self.share
        return max(0.0, (debt - self.burst) / self.share)

    async def turn(self, customer_id: int) -> float:
        """Wait until the customer may run again; returns the seconds waited."""
        wait = min(self.owed(customer_id), MAX_WAIT)
        if wait > 0:
            await self.sleep(wait)
        return wait

    def charge(self, customer_id: int, seconds: float) -> None:
        """Record loop time an answer of the customer took; fast answers are free."""
        if seconds < FREE_SECONDS:
            return
        now = self.clock()
        debt, at = self._debt.get(customer_id, (0.0, now))
        debt = max(0.0, debt - (now - at) * self.share) + seconds
        self._debt[customer_id] = (debt, now)
        if len(self._debt) > MAX_CUSTOMERS:
            for cid in [c for c in self._debt if self.owed(c) == 0][: MAX_CUSTOMERS // 10]:
                del self._debt[cid]
