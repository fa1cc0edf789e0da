from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis

from ringflow.runtime.backends import BackendUnavailable, MemoryBackend, RedisBackend, decode_state, encode_state
from ringflow.runtime.state import CallState

REDIS_URL = os.environ.get("RINGFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def make_state(sid: str, step: int = 0, deadline: int = 2_000_000_000) -> CallState:
    st = CallState((1, 2, 3), (sid, "+1555", "+1666", "inbound", "AC1"), deadline)
    st.node, st.step, st.vars = 4, step, {"a": "b"}
    st.outs = {"menu": {"digits": "1"}, "h": {"status_code": 200, "parsed": {"x": [1, {"y": None}]}}}
    st.stack = (((1, 9, 1), 3),)
    st.last = (("say", "hi", "alice", "en-US", 1), ("gather", "dtmf", 1, 5, "", ("a",), ("say", "p", "alice", "en-US", 1)), 7)
    return st


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request):
    if request.param == "memory":
        yield MemoryBackend()
        return
    prefix = f"rft{uuid.uuid4().hex[:10]}"
    be = RedisBackend(aioredis.from_url(REDIS_URL), prefix=prefix, ttl=60)
    yield be
    async for key in be.client.scan_iter(match=f"{prefix}:*"):
        await be.client.delete(key)
    await be.close()


async def test_put_get_roundtrip_is_exact(backend):
    st = make_state("CA" + uuid.uuid4().hex)
    assert await backend.get(st.sid) is None
    assert await backend.put(st, None) is True
    assert await backend.get(st.sid) == st


async def test_subflow_frames_keep_their_flow_data(backend):
    st = make_state("CA" + uuid.uuid4().hex)
    st.stack = (((1, 9, 1), 3, {"who": "Ada", "n": "2"}), ((1, 8, 1), 5), ((1, 7, 1), 0, {"x": ""}))
    assert await backend.put(st, None) is True
    got = await backend.get(st.sid)
    assert got == st and got.stack[0][2] == {"who": "Ada", "n": "2"} and len(got.stack[1]) == 2


async def test_put_is_compare_and_set_on_the_step(backend):
    st = make_state("CA" + uuid.uuid4().hex)
    assert await backend.put(st, None)
    assert await backend.put(st, None) is False  # a second "first webhook" cannot overwrite
    nxt = st.copy()
    nxt.step = 1
    assert await backend.put(nxt, 0) is True
    stale = st.copy()
    stale.step = 1
    stale.node = 99
    assert await backend.put(stale, 0) is False  # the retry lost the race: nothing written
    assert (await backend.get(st.sid)).node == 4


async def test_delete_frees_the_call(backend):
    st = make_state("CA" + uuid.uuid4().hex)
    await backend.put(st, None)
    await backend.delete(st.sid)
    assert await backend.get(st.sid) is None
    await backend.delete(st.sid)  # deleting twice is fine


def test_encoding_is_small():
    blob = encode_state(make_state("CA" + "a" * 32))
    assert decode_state(blob, "CA" + "a" * 32) == make_state("CA" + "a" * 32)
    plain = CallState((1, 2, 3), ("CA" + "a" * 32, "+15551234567", "+15557654321", "inbound", "AC" + "b" * 32), 1_800_000_000)
    plain.last = (3,)
    assert len(encode_state(plain)) < 140


def test_timing_wheel_drops_only_abandoned_calls():
    now = [1000.0]
    be = MemoryBackend(tick=1.0, slots=8, clock=lambda: now[0])
    idle, busy, far = make_state("CAidle", deadline=1005), make_state("CAbusy", deadline=1005), make_state("CAfar", deadline=1030)
    for st in (idle, busy, far):
        assert be.put_nowait(st, None)
    touched = busy.copy()
    touched.step, touched.deadline = 1, 1020
    assert be.put_nowait(touched, 0)
    now[0] = 1006
    assert be.sweep() == 1 and set(be.calls) == {"CAbusy", "CAfar"}
    now[0] = 1021
    assert be.sweep() == 1 and set(be.calls) == {"CAfar"}  # far lapped the 8-slot wheel and survived
    now[0] = 1031
    assert be.sweep() == 1 and be.calls == {}


async def test_unreachable_redis_raises_backend_unavailable():
    be = RedisBackend.from_url("redis://127.0.0.1:1/0", prefix="rfdead")
    with pytest.raises(BackendUnavailable):
        await be.get("CAx")
    with pytest.raises(BackendUnavailable):
        await be.put(make_state("CAx"), None)
    await be.close()


@pytest.mark.redis
async def test_redis_call_hash_stays_listpack_and_small():
    prefix = f"rft{uuid.uuid4().hex[:10]}"
    be = RedisBackend(aioredis.from_url(REDIS_URL), prefix=prefix, ttl=60)
    try:
        st = CallState((1, 2, 3), ("CA" + "c" * 32, "+15551234567", "+15557654321", "inbound", "AC" + "b" * 32), 1_800_000_000)
        st.node, st.step, st.last = 3, 1, ("Welcome to Sales, +15551234567.", 2)
        assert await be.put(st, None)
        key = f"{prefix}:{{{st.sid}}}:s"
        assert (await be.client.object("encoding", key)) == b"listpack"
        assert await be.memory_usage(st.sid) <= 300
        assert 0 < await be.client.ttl(key) <= 60
        big = st.copy()
        big.step, big.outs = 2, {"h": {"parsed": {"x": "y" * 500}}}
        assert await be.put(big, 1) and await be.get(st.sid) == big
        small = big.copy()
        small.step, small.outs = 3, None
        assert await be.put(small, 2) and await be.get(st.sid) == small  # no stale pieces of the bigger state left
    finally:
        await be.client.delete(f"{prefix}:{{{'CA' + 'c' * 32}}}:s")
        await be.close()


@pytest.mark.redis
async def test_two_processes_never_advance_one_call_twice():
    """Two backends on one Redis play two server processes; each has its own local copies."""
    prefix = f"rft{uuid.uuid4().hex[:10]}"
    a = RedisBackend(aioredis.from_url(REDIS_URL), prefix=prefix, ttl=60)
    b = RedisBackend(aioredis.from_url(REDIS_URL), prefix=prefix, ttl=60)
    st = make_state("CA" + uuid.uuid4().hex)
    try:
        assert await a.put(st, None)
        seen_by_b = await b.get(st.sid, 0)
        moved = seen_by_b.copy()
        moved.step, moved.node = 1, 8
        assert await b.put(moved, 0)  # process B advanced the call
        stale = await a.get(st.sid, 0)  # A still holds step 0 locally and may try to advance it too...
        assert stale.step == 0
        again = stale.copy()
        again.step, again.node = 1, 9
        assert await a.put(again, 0) is False  # ...but the compare-and-set refuses it
        assert (await a.get(st.sid, 1)).node == 8 and (await a.get(st.sid)).node == 8
    finally:
        await a.delete(st.sid)
        await a.close()
        await b.close()


def test_expired_calls_are_reported_once():
    now = [1000.0]
    gone: list[str] = []
    be = MemoryBackend(tick=1.0, slots=8, clock=lambda: now[0], on_expire=lambda st: gone.append(st.sid))
    be.put_nowait(make_state("CAa", deadline=1002), None)
    be.put_nowait(make_state("CAb", deadline=1003), None)
    now[0] = 1002.5
    be.sweep()
    now[0] = 1010
    be.sweep()
    assert gone == ["CAa", "CAb"] and be.calls == {}
