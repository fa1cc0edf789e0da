"""Rate limits counted across workers: two limiters (two processes) on one Redis share one budget."""

from __future__ import annotations

import uuid

import pytest

from ringflow.api.ratelimit import SharedRateLimiter
from ringflow.redisio import RedisLink

pytestmark = pytest.mark.redis
NOW = 1_796_000_010.0


async def test_two_workers_share_one_limit() -> None:
    link = RedisLink.from_url("redis://127.0.0.1:6379/0")
    prefix = f"rfr{uuid.uuid4().hex[:8]}"
    clock = [NOW]
    a, b = (SharedRateLimiter(10, link, prefix, clock=lambda: clock[0]) for _ in range(2))
    try:
        assert all(a.hit(7) is None for _ in range(6))
        await a.sync()
        assert b.hit(7) is None
        await b.sync()  # b adds its one request and learns the total: 7
        assert all(b.hit(7) is None for _ in range(3))  # 6 + 4: the limit reached, not passed
        assert b.hit(7) == int(60 - NOW % 60)  # the 11th request of the minute, counted over both workers: retry when the window turns
        assert b.hit(8) is None  # another key has its own budget
        await b.sync()
        assert a.hit(7) is None  # a has not heard of b's requests yet: the slack of one sync interval
        await a.sync()  # now it has: 6 + 5 + 1 + 1
        assert a.hit(7) is not None
        clock[0] += 60  # the next window
        assert a.hit(7) is None
    finally:
        client = await link.ready()
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await link.aclose()
