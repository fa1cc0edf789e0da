"""Live traffic for the editor: calls on each node now, and traversals of each outlet.

Webhooks only bump in-process counters (a dict increment); a flush every second turns
them into one "counts" event per flow on ``app.state.events``. With Redis the deltas are
added to per-flow hashes first and the totals read back, so every process publishes the
same, correct numbers however the calls are spread.

A Redis call state that expires by TTL (abandoned, no status callback) must leave its node's
count too, and Redis tells no one. So every node delta is also filed under the minute in which
that call's state expires (deadline buckets: "minute|node" -> calls): a call moving from node A,
due at t1, to node B, due at t2, is -1 at (t1, A) and +1 at (t2, B). Whatever is left in a bucket
once its minute (plus a grace for late flushes) has passed are calls that were never heard of
again: the flush script takes them off their nodes. The deltas commute, so flushes from any
process in any order give the same totals, and Redis holds a few entries per flow and minute,
nothing per call. All keys of a flow share one hash tag: the script is atomic on Redis Cluster.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any, Callable

from ringflow.clock import Clock, system_clock
from ringflow.redisio import RedisLink
from ringflow.runtime.counts_lua import FLUSH

BUCKET = 60  # seconds per deadline bucket: an abandoned call leaves its node within BUCKET + GRACE of its expiry
GRACE = 120  # a bucket is swept only this long after it closes, so every process's deltas for it have landed
SWEEP_EVERY = 10.0  # seconds between sweeps of flows this process has no news for


class LiveCounts:
    def __init__(self, publish: Callable[[Any, dict[str, Any]], Any] | None, redis: Any = None, prefix: str = "rf",
                 clock: Clock = system_clock):
        self.publish, self.prefix, self.clock = publish, prefix, clock
        self.redis = RedisLink.of(redis) if redis is not None else None  # a redis-py client or the runtime's shared link
        self._nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # pending deltas
        self._outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._due: defaultdict[int, Counter[str]] = defaultdict(Counter)  # "bucket|node" deltas (Redis only)
        self._tot_nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # totals (memory mode)
        self._tot_outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._flush_script = self.redis.script(FLUSH) if self.redis is not None else None
        self._next_sweep = 0.0

    def record(self, flow_id: int, left: str | None, now_on: str | None, traversals: list[tuple[str, str]],
               was_due: int | None = None, due: int | None = None) -> None:
        """``was_due``/``due``: the call's state deadline while on ``left`` and from now on ``now_on``."""
        if self.redis is not None and (was_due is not None or due is not None):
            old = f"{-(-was_due // BUCKET) * BUCKET}|{left}" if left and was_due is not None else None
            new = f"{-(-due // BUCKET) * BUCKET}|{now_on}" if now_on and due is not None else None
            if old != new:
                buckets = self._due[flow_id]
                if old:
                    buckets[old] -= 1
                if new:
                    buckets[new] += 1
        if left == now_on and not traversals:
            return
        nodes = self._nodes[flow_id]
        if left:
            nodes[left] -= 1
        if now_on:
            nodes[now_on] += 1
        outlets = self._outlets[flow_id]
        for node_id, outlet in traversals:
            if outlet:
                outlets[f"{node_id}.{outlet}"] += 1

    async def flush(self) -> int:
        """Publish one event per flow that changed; returns how many flows were published."""
        changed = set(self._nodes) | set(self._outlets)
        pending_nodes, pending_outlets, pending_due = self._nodes, self._outlets, self._due
        self._nodes, self._outlets, self._due = defaultdict(Counter), defaultdict(Counter), defaultdict(Counter)
        flows = changed | set(pending_due)
        now = self.clock()
        if self.redis is not None and now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            flows |= {int(f) for f in await self.redis.call("SMEMBERS", self._flows_key())}
        published = 0
        totals = await self._redis_flush(flows, changed, pending_nodes, pending_outlets, pending_due, now) if self.redis is not None else {}
        for flow_id in flows:
            if self.redis is not None:
                nodes, outlets, swept = totals[flow_id]
                if not swept and flow_id not in changed:
                    continue
            else:
                self._tot_nodes[flow_id].update(pending_nodes.get(flow_id, Counter()))
                self._tot_outlets[flow_id].update(pending_outlets.get(flow_id, Counter()))
                nodes, outlets = dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
            published += 1
            if self.publish is not None:
                self.publish(flow_id, {"type": "counts", "flow_id": flow_id, "nodes": {k: v for k, v in nodes.items() if v > 0},
                                       "outlets": outlets})
        return published

    def keys(self, flow_id: int) -> list[str]:
        """Node totals, outlet totals, "bucket|node" -> calls, "bucket|node" by bucket: one hash tag per flow."""
        tag = f"{self.prefix}:{{counts:{flow_id}}}"
        return [f"{tag}:nodes", f"{tag}:outlets", f"{tag}:due", f"{tag}:buckets"]

    def _flows_key(self) -> str:
        return f"{self.prefix}:counts:flows"

    async def _redis_flush(self, flows: set[int], changed: set[int], dn: dict[int, Counter[str]], do: dict[int, Counter[str]],
                           due: dict[int, Counter[str]], now: float) -> dict[int, tuple[dict[str, int], dict[str, int], int]]:
        """A script per flow, all queued in one loop turn: one pipeline per shard however many flows moved."""
        assert self.redis is not None and self._flush_script is not None
        order = list(flows)
        if due:
            self.redis.send("SADD", self._flows_key(), *due)  # another slot: its own command
        calls = []
        none: Counter[str] = Counter()
        for flow_id in order:
            args: list[Any] = [int(now) - GRACE, int(flow_id in changed)]
            for deltas in (dn.get(flow_id, none), do.get(flow_id, none), due.get(flow_id, none)):
                items = [kv for kv in deltas.items() if kv[1]]
                args.append(len(items))
                args += [x for kv in items for x in kv]
            calls.append(self.redis.evalsha(self._flush_script, self.keys(flow_id), args))
        res = await asyncio.gather(*calls)

        def decode(flat: list[Any]) -> dict[str, int]:
            return {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}

        return {flow_id: (decode(r[0]), decode(r[1]), int(r[2])) for flow_id, r in zip(order, res)}

    def totals(self, flow_id: int) -> tuple[dict[str, int], dict[str, int]]:
        return dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
