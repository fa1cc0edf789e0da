"""Live traffic for the editor: calls on each node now, and traversals of each outlet.

Webhooks only bump in-process counters (a dict increment); a flush every second turns
them into one "counts" event per flow on ``app.state.events``. With Redis the deltas are
added to per-flow hashes first and the totals read back, so every process publishes the
same, correct numbers however the calls are spread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Callable


class LiveCounts:
    def __init__(self, publish: Callable[[Any, dict[str, Any]], Any] | None, redis: Any = None, prefix: str = "rf"):
        self.publish, self.redis, self.prefix = publish, redis, prefix
        self._nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # pending deltas
        self._outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._tot_nodes: defaultdict[int, Counter[str]] = defaultdict(Counter)  # totals (memory mode)
        self._tot_outlets: defaultdict[int, Counter[str]] = defaultdict(Counter)

    def record(self, flow_id: int, left: str | None, now_on: str | None, traversals: list[tuple[str, str]]) -> None:
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
        flows = set(self._nodes) | set(self._outlets)
        pending_nodes, pending_outlets = self._nodes, self._outlets
        self._nodes, self._outlets = defaultdict(Counter), defaultdict(Counter)
        for flow_id in flows:
            dn, do = pending_nodes.get(flow_id, Counter()), pending_outlets.get(flow_id, Counter())
            if self.redis is not None:
                nodes, outlets = await self._redis_totals(flow_id, dn, do)
            else:
                self._tot_nodes[flow_id].update(dn)
                self._tot_outlets[flow_id].update(do)
                nodes, outlets = dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
            if self.publish is not None:
                self.publish(flow_id, {"type": "counts", "flow_id": flow_id, "nodes": {k: v for k, v in nodes.items() if v > 0},
                                       "outlets": outlets})
        return len(flows)

    async def _redis_totals(self, flow_id: int, dn: Counter[str], do: Counter[str]) -> tuple[dict[str, int], dict[str, int]]:
        kn, ko = f"{self.prefix}:counts:{flow_id}:nodes", f"{self.prefix}:counts:{flow_id}:outlets"
        async with self.redis.pipeline(transaction=False) as p:
            for k, v in dn.items():
                if v:
                    p.hincrby(kn, k, v)
            for k, v in do.items():
                p.hincrby(ko, k, v)
            p.hgetall(kn)
            p.hgetall(ko)
            res = await p.execute()
        decode = lambda h: {k.decode(): int(v) for k, v in h.items()}  # noqa: E731
        return decode(res[-2]), decode(res[-1])

    def totals(self, flow_id: int) -> tuple[dict[str, int], dict[str, int]]:
        return dict(self._tot_nodes[flow_id]), dict(self._tot_outlets[flow_id])
