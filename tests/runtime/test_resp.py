"""The auto-pipelined Redis connection, against the real Redis (and a silent fake for timeouts)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
import redis.asyncio as aioredis

from ringflow.runtime.resp import Pipe, RespError

pytestmark = pytest.mark.redis
REDIS_URL = os.environ.get("RINGFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def pipe():
    p = Pipe.from_url(REDIS_URL)
    prefix = f"rfr{uuid.uuid4().hex[:10]}"
    yield p, prefix
    p.close()
    client = aioredis.from_url(REDIS_URL)
    async for key in client.scan_iter(match=f"{prefix}*"):
        await client.delete(key)
    await client.aclose()


async def test_commands_from_many_callers_get_their_own_replies(pipe):
    p, prefix = pipe
    keys = [f"{prefix}:{i}" for i in range(200)]
    await asyncio.gather(*(p.call("SET", k, f"v{i}" * (i % 7)) for i, k in enumerate(keys)))
    got = await asyncio.gather(*(p.call("GET", k) for k in keys))
    assert got == [(f"v{i}" * (i % 7)).encode() for i in range(200)]
    await p.call("HSET", f"{prefix}:h", "a", 1, "b", b"\x00\r\n")  # binary-safe
    assert await p.call("HGETALL", f"{prefix}:h") == [b"a", b"1", b"b", b"\x00\r\n"]
    assert await p.call("GET", f"{prefix}:missing") is None
    assert await p.call("PING") == b"PONG"


async def test_an_error_reply_raises_for_its_caller_only(pipe):
    p, prefix = pipe
    await p.call("SET", f"{prefix}:s", "x")
    bad = p.send("HGET", f"{prefix}:s", "f")  # WRONGTYPE
    good = p.call("GET", f"{prefix}:s")
    assert isinstance(await bad, RespError) and await good == b"x"
    with pytest.raises(RespError):
        await p.call("NOSUCHCOMMAND")


async def test_a_script_is_loaded_again_after_the_server_forgets_it(pipe):
    p, prefix = pipe
    sha = p.script("return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])")
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.script_flush()
        assert await p.evalsha(sha, [f"{prefix}:n"], [10]) == 11
        assert await p.evalsha(sha, [f"{prefix}:n"], [10]) == 12
    finally:
        await client.aclose()


async def test_a_killed_connection_fails_fast_and_the_next_command_reconnects(pipe):
    p, prefix = pipe
    await p.call("SET", f"{prefix}:k", "1")
    client = aioredis.from_url(REDIS_URL)
    try:
        my_id = await p.call("CLIENT", "ID")
        await client.execute_command("CLIENT", "KILL", "ID", my_id)
    finally:
        await client.aclose()
    await asyncio.sleep(0.05)
    assert await p.call("GET", f"{prefix}:k") == b"1"  # a new connection
    assert await p.call("CLIENT", "ID") != my_id


async def test_unreachable_and_silent_servers_raise_connection_error_within_the_timeout():
    dead = Pipe("127.0.0.1", 1, connect_timeout=0.5, timeout=0.5)
    with pytest.raises(ConnectionError):
        await dead.call("PING")

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hung = Pipe("127.0.0.1", port, connect_timeout=0.5, timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(ConnectionError):
        await hung.call("PING")
    assert time.monotonic() - t0 < 2.0
    hung.close()
    server.close()
