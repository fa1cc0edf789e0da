"""The one notion of "now" that every component is handed, so tests and simulations set it.

A clock is any zero-argument callable answering seconds since the epoch (UTC). Production
passes :func:`system_clock`; tests pass a fixed or stepped one, so no test depends on today's
date, weekday, hour or time zone. Durations measured inside one process (timeouts, cache
lifetimes) use ``time.monotonic`` and are not clocks in this sense.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], float]


def system_clock() -> float:
    """The machine's wall clock: the default wherever a component is not handed one."""
    return time.time()


def iso_utc(clock: Clock) -> str:
    """The clock's instant as an ISO 8601 UTC timestamp to the millisecond (what the store writes)."""
    return datetime.fromtimestamp(clock(), timezone.utc).isoformat(timespec="milliseconds")
