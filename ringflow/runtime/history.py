"""Per-call step history (node, outlet, event, time), bounded, readable through the API.

Kept apart from the call state so the state stays tiny: memory keeps the most recent
calls (10,000 by default) with at most 100 entries each; Redis keeps a capped list per
call (same hash tag as the state) and a capped sorted set of calls per flow. Every read
is filtered by customer: another tenant's call is simply not found.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from ringflow.bytelru import ByteLRU
from ringflow.redisio import RedisLink, as_dict

MAX_ENTRIES = 100
MAX_CALLS = 10_000


class History(Protocol):
    async def begin(self, sid: str, customer_id: int, flow_id: int, revision: int, test: bool, now: float) -> None: ...
    async def add(self, sid: str, entries: list[tuple[str, str, str]], node_id: str | None, ended: bool, now: float) -> None: ...
    async def get(self, customer_id: int, sid: str) -> dict[str, Any] | None: ...
    async def list(self, customer_id: int, flow_id: int, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]: ...


def encode_cursor(seq: float, sid: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([seq, sid])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """Raises ValueError on anything this module did not hand out."""
    try:
        seq, sid = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(seq), str(sid)
    except Exception as exc:  # noqa: BLE001 - any junk is the caller's bad cursor
        raise ValueError("bad cursor") from exc


def _summary(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in ("call_sid", "flow_id", "revision", "test", "started_at", "ended", "node_id")}


class MemoryHistory:
    def __init__(self, max_calls: int = MAX_CALLS, max_entries: int = MAX_ENTRIES):
        self.max_calls, self.max_entries = max_calls, max_entries
        self.calls: ByteLRU[dict[str, Any]] = ByteLRU(max_calls)  # cost 1 each: the oldest calls go first
        self._seq = 0

    async def begin(self, sid: str, customer_id: int, flow_id: int, revision: int, test: bool, now: float) -> None:
        self._seq += 1
        self.calls.put(sid, {"call_sid": sid, "customer_id": customer_id, "flow_id": flow_id, "revision": revision, "test": test,
                             "started_at": now, "ended": False, "node_id": None, "seq": self._seq,
                             "history": deque(maxlen=self.max_entries)}, 1)

    async def add(self, sid: str, entries: list[tuple[str, str, str]], node_id: str | None, ended: bool, now: float) -> None:
        rec = self.calls.get(sid, touch=False)
        if rec is None:
            return
        rec["history"].extend({"node_id": n, "outlet": o, "event": e, "at": now} for n, o, e in entries)
        rec["node_id"], rec["ended"] = node_id, rec["ended"] or ended

    async def get(self, customer_id: int, sid: str) -> dict[str, Any] | None:
        rec = self.calls.get(sid, touch=False)
        if rec is None or rec["customer_id"] != customer_id:
            return None
        return {**_summary(rec), "history": list(rec["history"])}

    async def list(self, customer_id: int, flow_id: int, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        before = decode_cursor(cursor)[0] if cursor else float("inf")
        items: list[dict[str, Any]] = []
        for rec in reversed(self.calls.values()):  # newest first (a snapshot)
            if rec["seq"] >= before or rec["customer_id"] != customer_id or rec["flow_id"] != flow_id:
                continue
            items.append(rec)
            if len(items) > limit:
                break
        more = len(items) > limit
        items = items[:limit]
        nxt = encode_cursor(items[-1]["seq"], items[-1]["call_sid"]) if more else None
        return [_summary(r) for r in items], nxt


@dataclass(frozen=True, slots=True)
class InlineLog:
    meta_key: str
    log_key: str
    meta: list[Any]  # field, value, field, value...
    items: list[bytes]
    ttl: int
    max_entries: int


async def _raised(reply: Any) -> Any:
    if isinstance(reply, Exception):
        raise reply
    return reply


class RedisHistory:
    """The same records in Redis, so any process can answer for any call."""

    def __init__(self, client: Any, prefix: str = "rf", ttl: int = 24 * 3600, max_entries: int = MAX_ENTRIES,
                 max_calls: int = MAX_CALLS):
        self.link = RedisLink.of(client)  # share the state backend's link: one pipeline per loop turn for both
        self.prefix, self.ttl = prefix, ttl
        self.max_entries, self.max_calls = max_entries, max_calls

    @property
    def client(self) -> Any:
        """The redis-py client under the link (standalone or cluster), for tools and tests."""
        return self.link.client

    def _meta(self, sid: str) -> str:
        return f"{self.prefix}:{{{sid}}}:m"

    def _log(self, sid: str) -> str:
        return f"{self.prefix}:{{{sid}}}:h"

    def _flow(self, customer_id: int, flow_id: int) -> str:
        return f"{self.prefix}:calls:{customer_id}:{flow_id}"

    def inline_log(self, sid: str, begin: tuple[int, int, int, bool] | None, entries: list[tuple[str, str, str]],
                   node_id: str | None, ended: bool, now: float) -> "InlineLog":
        """The same writes as begin/add, as arguments for the state backend's compare-and-set
        script: the history then changes in the same atomic step as the call, in one round trip."""
        meta: list[Any] = ["n", node_id or ""]
        if begin is not None:
            c, f, r, t = begin
            meta += ["c", c, "f", f, "r", r, "t", int(t), "s", now, "e", 0]
        if ended:
            meta += ["e", 1]
        items = [orjson.dumps([n, o, e, round(now, 3)]) for n, o, e in entries]
        return InlineLog(self._meta(sid), self._log(sid), meta, items, self.ttl, self.max_entries)

    def index_nowait(self, sid: str, customer_id: int, flow_id: int, now: float) -> None:
        """List the call under its flow (another key, so another cluster slot: a separate command).
        Queued on the link, not awaited: history is best effort and must not cost the caller a wait."""
        key = self._flow(customer_id, flow_id)
        self.link.send("ZADD", key, repr(now), sid)
        self.link.send("ZREMRANGEBYRANK", key, 0, -self.max_calls - 1)

    async def begin(self, sid: str, customer_id: int, flow_id: int, revision: int, test: bool, now: float) -> None:
        send = self.link.send
        wrote = (send("HSET", self._meta(sid), "c", customer_id, "f", flow_id, "r", revision, "t", int(test), "s", repr(now), "e", 0,
                      "n", ""), send("EXPIRE", self._meta(sid), self.ttl))
        self.index_nowait(sid, customer_id, flow_id, now)
        for reply in await asyncio.gather(*wrote):
            await _raised(reply)

    async def add(self, sid: str, entries: list[tuple[str, str, str]], node_id: str | None, ended: bool, now: float) -> None:
        res = await self.add_nowait(sid, entries, node_id, ended, now)  # Redis answers in order: the last reply comes last
        if isinstance(res, Exception):
            raise res

    def add_nowait(self, sid: str, entries: list[tuple[str, str, str]], node_id: str | None, ended: bool, now: float) -> Any:
        """Queue the writes on the link (sent with every other command of this loop turn); the
        returned future is the last reply, for callers that want to wait."""
        send, log = self.link.send, self._log(sid)
        if entries:
            send("RPUSH", log, *(orjson.dumps([n, o, e, round(now, 3)]) for n, o, e in entries))
            send("LTRIM", log, -self.max_entries, -1)
            send("EXPIRE", log, self.ttl)
        return send("HSET", self._meta(sid), "n", node_id or "", *(("e", 1) if ended else ()))

    async def get(self, customer_id: int, sid: str) -> dict[str, Any] | None:
        flat, log = await asyncio.gather(self.link.call("HGETALL", self._meta(sid)), self.link.call("LRANGE", self._log(sid), 0, -1))
        meta = as_dict(flat)
        if not meta or int(meta[b"c"]) != customer_id:
            return None
        history = [{"node_id": n, "outlet": o, "event": e, "at": at} for n, o, e, at in map(orjson.loads, log)]
        return {**self._summary(sid, meta), "history": history}

    def _summary(self, sid: str, meta: dict[bytes, bytes]) -> dict[str, Any]:
        return {"call_sid": sid, "flow_id": int(meta[b"f"]), "revision": int(meta[b"r"]), "test": meta[b"t"] == b"1",
                "started_at": float(meta[b"s"]), "ended": meta[b"e"] == b"1", "node_id": meta[b"n"].decode() or None}

    async def list(self, customer_id: int, flow_id: int, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        before = f"({decode_cursor(cursor)[0]!r}" if cursor else "+inf"
        flat = await self.link.call("ZREVRANGEBYSCORE", self._flow(customer_id, flow_id), before, "-inf", "WITHSCORES", "LIMIT", 0, limit + 1)
        if flat and isinstance(flat[0], (list, tuple)):  # the cluster client pairs member and score
            sids = [(m, float(sc)) for m, sc in flat]
        else:
            sids = [(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]
        metas = await asyncio.gather(*(self.link.call("HGETALL", self._meta(raw.decode())) for raw, _ in sids[:limit]))  # one pipeline
        items = []
        for (raw, score), mflat in zip(sids[:limit], metas):
            sid = raw.decode()
            meta = as_dict(mflat)
            items.append(self._summary(sid, meta) if meta else {"call_sid": sid, "flow_id": flow_id, "revision": None, "test": False,
                                                                 "started_at": score, "ended": True, "node_id": None})
        nxt = encode_cursor(sids[limit - 1][1], sids[limit - 1][0].decode()) if len(sids) > limit else None
        return items, nxt
