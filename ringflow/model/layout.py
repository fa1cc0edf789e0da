"""Automatic layered layout: readable, non-overlapping positions in linear time.

Layers come from a breadth-first walk from the start (or from every root); each layer is
ordered by the mean position of its parents (one barycentre sweep), then nodes are spread
on a grid. Good enough to read a call flow top to bottom; the editor can run it on a
selection or the whole flow.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from ringflow.model.catalogue import NODE_HEIGHT, NODE_WIDTH

H_GAP = 60.0
V_GAP = 88.0


def layer_nodes(ids: Sequence[str], edges: Iterable[tuple[str, str]], start: str | None = None) -> list[list[str]]:
    """Group ``ids`` into layers by breadth-first depth; unreached nodes start new roots."""
    present = set(ids)
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for src, dst in edges:
        if src in present and dst in present and src != dst:
            children.setdefault(src, []).append(dst)
            has_parent.add(dst)
    depth: dict[str, int] = {}
    roots = ([start] if start in present else []) + [i for i in ids if i not in has_parent] + list(ids)
    for root in roots:
        if root in depth:
            continue
        depth[root] = 0
        queue = deque([root])
        while queue:
            cur = queue.popleft()
            for nxt in children.get(cur, ()):
                if nxt not in depth:
                    depth[nxt] = depth[cur] + 1
                    queue.append(nxt)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for nid in ids:
        layers[depth[nid]].append(nid)
    # one barycentre sweep: order each layer by the mean index of its parents above
    parents: dict[str, list[str]] = {}
    for src, kids in children.items():
        for k in kids:
            parents.setdefault(k, []).append(src)
    index: dict[str, float] = {nid: i for i, nid in enumerate(layers[0])} if layers else {}
    for layer in layers[1:]:
        def key(nid: str) -> float:
            ps = [index[p] for p in parents.get(nid, ()) if p in index]
            return sum(ps) / len(ps) if ps else float("inf")
        layer.sort(key=key)
        for i, nid in enumerate(layer):
            index[nid] = i
    return layers


def layered_layout(ids: Sequence[str], edges: Iterable[tuple[str, str]], start: str | None = None,
                   origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for ``ids``, layer by layer, each layer centred."""
    layers = layer_nodes(ids, list(edges), start)
    widest = max((len(layer) for layer in layers), default=0)
    step_x, step_y = NODE_WIDTH + H_GAP, NODE_HEIGHT + V_GAP
    ox, oy = origin
    positions: dict[str, tuple[float, float]] = {}
    for depth, layer in enumerate(layers):
        offset = (widest - len(layer)) * step_x / 2
        for i, nid in enumerate(layer):
            positions[nid] = (ox + offset + i * step_x, oy + depth * step_y)
    return positions


def bounds(positions: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(min_x, min_y, max_x, max_y) of node boxes placed at ``positions``."""
    xs, ys = [], []
    for x, y in positions:
        xs.append(x)
        ys.append(y)
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs) + NODE_WIDTH, max(ys) + NODE_HEIGHT)
