"""Live traffic for the editor: calls on each node now, and traversals of each outlet.

Webhooks only bump in-process counters (a dict increment); a flush every second turns
them into one "counts" event per flow on ``app.state.events``. With Redis the deltas are
added to per-flow hashes first and the totals read back, so every process publishes the
same, correct numbers however the calls are spread.

A Redis call state that expires by TTL (abandoned, no status callback) must leave its node's
count too, and Redis tells no one. So each flush also records, per call, where it is and until
when (a per-flow hash sid -> "order|node" and a sorted set sid by deadline); the same script
sweeps calls past their deadline off their node. The order (2 x step, +1 once ended) keeps a late
flush from another process from moving a call back. All keys of a flow share one hash tag, so
the script stays atomic on Redis Cluster; whichever process flushes first sweeps.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any, Callable

from ringflow.runtime.counts_lua import FLUSH

SWEEP_EVERY = 10.0  # seconds between sweeps of flows this process has no news for
SWEEP_BATCH = 1000  # expired calls taken off per flow per flush


class LiveCounts:
    def __init__(self, publish: Callable[[Any, dict[str, Any]], Any] | None, redis: Any = None, prefix: str = "rf",
                 clock: Callable[[], float] = time.time):
        self.publish, self.redis, self.prefix, self.clock = publish, redis, prefix, clock
        self._nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # pending deltas
        self._outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._where: defaultdict[int, dict[str, tuple[int, str, int]]] = defaultdict(dict)  # sid -> (order, node, deadline)
        self._tot_nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # totals (memory mode)
        self._tot_outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._flush_script = redis.register_script(FLUSH) if redis is not None else None
        self._next_sweep = 0.0

    def record(self, flow_id: int, left: str | None, now_on: str | None, traversals: list[tuple[str, str]],
               call: tuple[str, int, int] | None = None) -> None:
        """``call`` = (sid, step, deadline): where the call is now, for the expiry sweep (Redis only)."""
        if call is not None and self.redis is not None:
            sid, step, deadline = call
            order = 2 * step + (now_on is None)
            where = self._where[flow_id]
            seen = where.get(sid)
            if seen is None or seen[0] <= order:
                where[sid] = (order, now_on or "", deadline)
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
        pending_nodes, pending_outlets, pending_where = self._nodes, self._outlets, self._where
        self._nodes, self._outlets, self._where = defaultdict(Counter), defaultdict(Counter), defaultdict(dict)
        flows = changed | set(pending_where)
        now = self.clock()
        if self.redis is not None and now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            flows |= {int(f) for f in await self.redis.smembers(self._flows_key())}
        published = 0
        totals = await self._redis_flush(flows, pending_nodes, pending_outlets, pending_where, now) if self.redis is not None else {}
        for flow_id in flows:
            dn, do = pending_nodes.get(flow_id, Counter()), pending_outlets.get(flow_id, Counter())
            if self.redis is not None:
                nodes, outlets, swept = totals[flow_id]
                if not swept and flow_id not in changed:
                    continue
            else:
                self._tot_nodes[flow_id].update(dn)
                self._tot_outlets[flow_id].update(do)
                nodes, outlets = dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
            published += 1
            if self.publish is not None:
                self.publish(flow_id, {"type": "counts", "flow_id": flow_id, "nodes": {k: v for k, v in nodes.items() if v > 0},
                                       "outlets": outlets})
        return published

    def keys(self, flow_id: int) -> list[str]:
        """Node totals, outlet totals, calls by deadline, call -> node: one hash tag per flow."""
        tag = f"{self.prefix}:{{counts:{flow_id}}}"
        return [f"{tag}:nodes", f"{tag}:outlets", f"{tag}:live", f"{tag}:where"]

    def _flows_key(self) -> str:
        return f"{self.prefix}:counts:flows"

    async def _redis_flush(self, flows: set[int], dn: dict[int, Counter[str]], do: dict[int, Counter[str]],
                           where: dict[int, dict[str, tuple[int, str, int]]], now: float) -> dict[int, tuple[dict[str, int], dict[str, int], int]]:
        """One pipeline for every flow (a script each), so a flush costs one round trip however many flows moved."""
        order = list(flows)
        async with self.redis.pipeline(transaction=False) as p:
            if where:
                p.sadd(self._flows_key(), *where)  # another slot: its own command
            for flow_id in order:
                fn, fo, fw = dn.get(flow_id, {}), do.get(flow_id, {}), where.get(flow_id, {})
                args: list[Any] = [int(now), SWEEP_BATCH, sum(1 for v in fn.values() if v)]
                args += [x for k, v in fn.items() if v for x in (k, v)]
                args.append(len(fo))
                args += [x for kv in fo.items() for x in kv]
                args += [x for sid, (rank, node, deadline) in fw.items() for x in (sid, rank, node, deadline)]
                await self._flush_script(keys=self.keys(flow_id), args=args, client=p)  # queued, not sent
            res = await p.execute()
        decode = lambda flat: {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}  # noqa: E731
        return {flow_id: (decode(r[0]), decode(r[1]), int(r[2])) for flow_id, r in zip(order, res[-len(order):] if order else [])}

    def totals(self, flow_id: int) -> tuple[dict[str, int], dict[str, int]]:
        return dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
