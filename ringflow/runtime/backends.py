"""Where call states live between webhooks: in this process, or in Redis for many processes.

Both backends offer the same four coroutines and pass the same tests. ``put`` is a
compare-and-set on the step counter, so a retried webhook racing the original (or two
server processes) can never advance one call twice.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Hashable, Protocol

import orjson

from ringflow.bytelru import ByteLRU
from ringflow.clock import Clock, system_clock
from ringflow.redisio import OUTAGE, RedisLink, as_dict
from ringflow.runtime.state import CallState

logger = logging.getLogger("ringflow.runtime")


class BackendUnavailable(RuntimeError):
    """The state store cannot be reached; the webhook apologises and hangs up."""


async def reached(pending: Awaitable[Any], what: str = "call state store") -> Any:
    """The result of a Redis command, with an outage (connection refused, timeout, failover
    under way) raised as BackendUnavailable: callers catch the runtime's one outage exception,
    never the Redis client's, whichever runtime state (calls, executions) they were reading."""
    try:
        return await pending
    except OUTAGE as exc:
        raise BackendUnavailable(f"{what} unreachable: {exc}") from exc


class StateBackend(Protocol):
    async def get(self, sid: str, expect_step: int | None = None) -> CallState | None: ...
    async def put(self, state: CallState, expect_step: int | None, log: Any = None, ttl: int | None = None) -> bool: ...
    async def delete(self, sid: str) -> None: ...
    async def count(self) -> int: ...


class MemoryBackend:
    """Calls in a dict; abandoned ones expire through a hashed timing wheel.

    One timer per call would cost ~216 B and O(log n) each; the wheel is a list of lists of
    call ids (8 bytes per call), one per tick. A call sits in the bucket of its deadline; when the bucket comes
    round, calls whose deadline moved on (they were touched since) are re-filed, the others
    dropped. Touching a call only rewrites its deadline: O(1), no allocation.
    """

    def __init__(self, tick: float = 1.0, slots: int = 512, clock: Clock = system_clock,
                 on_expire: Callable[[CallState], None] | None = None):
        self.on_expire = on_expire  # e.g. take an abandoned call off the live counts
        self.calls: dict[str, tuple[Any, ...]] = {}  # CallState.freeze(): invisible to the GC
        self.tick, self.slots, self.clock = tick, slots, clock
        self.wheel: list[list[str]] = [[] for _ in range(slots)]
        self._cursor = int(clock() / tick)

    def _file(self, sid: str, deadline: float) -> None:
        self.wheel[int(deadline / self.tick) % self.slots].append(sid)

    async def get(self, sid: str, expect_step: int | None = None) -> CallState | None:
        t = self.calls.get(sid)
        return CallState.thaw(t) if t is not None else None

    def put_nowait(self, state: CallState, expect_step: int | None) -> bool:
        sid = state.call[0]
        current = self.calls.get(sid)
        if (current is None) != (expect_step is None) or (current is not None and current[2] != expect_step):
            return False
        self.calls[sid] = state.freeze()
        if current is None:
            self._file(sid, state.deadline)
        return True

    async def put(self, state: CallState, expect_step: int | None, log: Any = None, ttl: int | None = None) -> bool:
        return self.put_nowait(state, expect_step)  # the state's deadline says how long it is kept

    async def delete(self, sid: str) -> None:
        self.calls.pop(sid, None)  # its wheel entry is dropped when the bucket comes round

    async def count(self) -> int:
        return len(self.calls)

    def sweep(self, now: float | None = None) -> int:
        """Turn the wheel up to ``now``; returns how many abandoned calls were dropped."""
        now = self.clock() if now is None else now
        target = int(now / self.tick)
        dropped = 0
        steps = min(target - self._cursor, self.slots)
        for i in range(max(steps, 0) + 1):
            bucket_index = (self._cursor + i) % self.slots
            bucket = self.wheel[bucket_index]
            if not bucket:
                continue
            keep: dict[str, float] = {}  # a dict, so an id filed twice is kept once
            for sid in bucket:
                t = self.calls.get(sid)
                if t is None:
                    continue
                if t[10] <= now:  # the deadline
                    del self.calls[sid]
                    dropped += 1
                    if self.on_expire is not None:
                        self.on_expire(CallState.thaw(t))
                else:
                    keep[sid] = t[10]
            self.wheel[bucket_index] = []
            for sid, deadline in keep.items():
                self._file(sid, deadline)
        self._cursor = target
        return dropped


# --- Redis -------------------------------------------------------------------------------

_CAS = """
local cur = redis.call('HGET', KEYS[1], 'n')
if ARGV[1] == '' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
local blob, fields = ARGV[4], {}
for at = 1, #blob, 60 do  -- CHUNK
  fields[#fields + 1] = tostring((at - 1) / 60)
  fields[#fields + 1] = string.sub(blob, at, at + 59)
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'n', ARGV[2], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[3])
if #KEYS > 1 then
  local hist_ttl, max_entries, nmeta = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
  local i = 8
  if nmeta > 0 then
    redis.call('HSET', KEYS[2], unpack(ARGV, i, i + nmeta - 1))
    redis.call('EXPIRE', KEYS[2], hist_ttl)
  end
  i = i + nmeta
  if #ARGV >= i then
    redis.call('RPUSH', KEYS[3], unpack(ARGV, i, #ARGV))
    redis.call('LTRIM', KEYS[3], -max_entries, -1)
    redis.call('EXPIRE', KEYS[3], hist_ttl)
  end
end
return 1
"""
CHUNK = 60
"""Redis keeps a hash compact (listpack) only while every value is at most 64 bytes
(``hash-max-listpack-value``), so the encoded state is stored in fields of 60 bytes:
~250 B per call instead of ~450 B for one long field (measured). The script above cuts the
blob, so a webhook sends one argument instead of one per piece."""


def state_key(sid: str, prefix: str = "rf") -> str:
    """``rf:{CAxxx}:s``: the braces make Redis Cluster keep all of a call's keys on one shard."""
    return f"{prefix}:{{{sid}}}:s"


def _key_out(key: Hashable) -> Any:
    return list(key) if isinstance(key, tuple) else key


def _key_in(raw: Any) -> Hashable:
    return tuple(raw) if isinstance(raw, list) else raw


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def encode_state(st: CallState) -> bytes:
    """A compact JSON array (no field names): ~100-200 bytes for a call in a menu."""
    return orjson.dumps([
        _key_out(st.flow), st.node, st.step, st.steps, st.same, st.retry, st.vars, st.outs, list(st.call[1:]),  # the sid is the key
        [[_key_out(f[0]), *f[1:]] for f in st.stack] if st.stack else None, int(st.deadline), st.last,
    ])


def decode_state(blob: bytes, sid: str) -> CallState:
    f = orjson.loads(blob)
    st = CallState(_key_in(f[0]), (sid, *f[8]), f[10])
    st.node, st.step, st.steps, st.same, st.retry, st.vars, st.outs = f[1], f[2], f[3], f[4], f[5], f[6], f[7]
    st.stack = tuple((_key_in(r[0]), *r[1:]) for r in f[9]) if f[9] else None  # (flow, node[, flow.data])
    st.last = _tuples(f[11])
    return st


def join_blob(fields: dict[bytes, bytes]) -> bytes | None:
    parts = [(int(k), v) for k, v in fields.items() if k != b"n"]
    return b"".join(v for _, v in sorted(parts)) if parts else None


class RedisBackend:
    """One small hash per call (``n`` = step counter, ``0``..``k`` = the encoded state in
    60-byte pieces so Redis keeps the hash listpack-encoded) with a TTL."""

    def __init__(self, client: Any, prefix: str = "rf", ttl: int = 4 * 3600, local: int = 50_000, wait_replicas: int = 0,
                 wait_ms: int = 100):
        self.link = RedisLink.of(client)  # a redis-py client or a shared link; commands of one loop turn leave together
        self.prefix, self.ttl = prefix, ttl
        # WAIT after each state write: the webhook is answered once a replica holds the new state too,
        # so a primary's failover no longer loses acknowledged steps (unless WAIT timed out: logged)
        self.wait_replicas, self.wait_ms = wait_replicas, wait_ms
        self._cas = self.link.script(_CAS)
        self._local: ByteLRU[CallState] = ByteLRU(local)  # states this process wrote (cost 1 each)

    @property
    def client(self) -> Any:
        """The redis-py client under the link (standalone or cluster), for tools and tests."""
        return self.link.client

    def _remember(self, state: CallState) -> None:
        sid = state.call[0]
        self._local.put(sid, state, 1)

    @classmethod
    def from_url(cls, url: str, prefix: str = "rf", ttl: int = 4 * 3600) -> "RedisBackend":
        return cls(RedisLink.from_url(url), prefix, ttl)

    async def get(self, sid: str, expect_step: int | None = None) -> CallState | None:
        """With ``expect_step``, a state this process wrote at that step is used without a round
        trip: the compare-and-set in ``put`` still rejects it if another process moved the call on."""
        if expect_step is not None:
            mine = self._local.get(sid)
            if mine is not None and (mine.step == expect_step or expect_step == -1):  # -1: any recent copy
                return mine
        flat = await reached(self.link.call("HGETALL", state_key(sid, self.prefix)))
        blob = join_blob(as_dict(flat))
        return decode_state(blob, sid) if blob else None

    accepts_log = True

    async def put(self, state: CallState, expect_step: int | None, log: Any = None, ttl: int | None = None) -> bool:
        """Compare-and-set; ``log`` (an InlineLog) is the call's history written in the same script;
        ``ttl`` keeps this state longer than ``self.ttl`` (a conversation with a long reply timeout)."""
        args: list[Any] = ["" if expect_step is None else expect_step, state.step, max(ttl or 0, self.ttl), encode_state(state)]
        keys = [state_key(state.call[0], self.prefix)]
        if log is not None:
            keys += [log.meta_key, log.log_key]
            args += [log.ttl, log.max_entries, len(log.meta), *log.meta, *log.items]
        written = self.link.evalsha(self._cas, keys, args)
        if self.wait_replicas:
            synced = self.link.wait_nowait(keys[0], self.wait_replicas, self.wait_ms)  # same loop turn: right after the script
        ok = bool(await reached(written))
        if self.wait_replicas:
            got = await synced
            if isinstance(got, Exception) or int(got) < self.wait_replicas:
                logger.warning("call %s: state written but not confirmed on %d replica(s) within %d ms (%s)", state.call[0],
                            self.wait_replicas, self.wait_ms, got)
        if ok:
            self._remember(state)
        else:
            self._local.pop(state.call[0])
        return ok

    async def delete(self, sid: str) -> None:
        self._local.pop(sid)
        await reached(self.link.call("DEL", state_key(sid, self.prefix)))

    async def count(self) -> int:
        return int(await reached(self.link.count_keys(f"{self.prefix}:{{*}}:s")))

    async def memory_usage(self, sid: str) -> int:
        return int(await reached(self.link.call("MEMORY", "USAGE", state_key(sid, self.prefix), "SAMPLES", 0)) or 0)

    async def close(self) -> None:
        await self.link.aclose()
