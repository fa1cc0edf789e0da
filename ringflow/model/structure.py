"""The rules across nodes: edge ends are nodes, outlets exist and are connected once, expected
outlets are connected, every node is reachable from the start.

Plain Python over integer lists, the per-edge work done by C-level builtins (map, compress,
set) rather than a Python step per edge: a 500,000-node flow has about as many edges. Each
node's outlets get consecutive integer "slots" (the node's first slot plus the outlet's index);
an edge fills its outlet's slot with its target's position, so a duplicate outlet is a slot
filled twice and an unconnected one a slot left free.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from itertools import accumulate, compress
from operator import add, contains, indexOf, is_, not_
from typing import Any

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import Problem

_QUIET_OUTLETS = {name: frozenset(o for o in nt.outlets if not nt.warns_unconnected(o)) for name, nt in CATALOGUE.items()}
"""Fixed outlets that may stay open without a warning (``NodeType.warns_unconnected``), per type."""


def _where(flags: Any) -> list[int]:
    """The positions of the true flags."""
    return list(compress(range(len(flags)), flags))


def edge_problems(ids: Sequence[str], position: dict[str, int], types: Sequence[str], outlets: list[Sequence[str]],
                  edges: tuple[list[str], list[str], list[str]], start: Any) -> list[Problem]:
    """Problems of the edges (by edge), unconnected outlets (by node, then outlet) and unreachable
    nodes (by node). ``ids``: each node's id; ``position``: id -> index of the node that holds it
    (the first, when an id is repeated); ``outlets[i]``: node ``i``'s outlets (none for an unknown
    type or a repeated id); ``edges``: the edges' sources, outlets and targets."""
    sources, names, targets = edges
    src: list[Any] = list(map(position.get, sources))  # None: not a node
    dst: list[Any] = list(map(position.get, targets))
    found: list[tuple[int, Problem]] = []  # (edge index, problem): reported in edge order
    keep: Sequence[int] = range(len(sources))
    if None in src or None in dst:
        for j in _where(list(map(is_, src, [None] * len(src)))):
            found.append((j, Problem("error", "edge_unknown_source", f"edge from unknown node {sources[j]!r}", sources[j], "source")))
        for j in _where([s is not None and t is None for s, t in zip(src, dst)]):
            found.append((j, Problem("error", "edge_unknown_target", f"outlet {names[j]!r} goes to unknown node {targets[j]!r}",
                                     sources[j], f"outlets.{names[j]}")))
        keep = _where([s is not None and t is not None for s, t in zip(src, dst)])
        src, dst, names_kept = [src[j] for j in keep], [dst[j] for j in keep], [names[j] for j in keep]
    else:
        names_kept = names
    node_outlets = list(map(outlets.__getitem__, src))
    try:  # each edge's outlet's index among its node's outlets; ValueError: a node without that outlet
        index = list(map(indexOf, node_outlets, names_kept))
    except ValueError:
        index = None
    loose: dict[int, list[int]] = {}  # edges from nodes of unknown type: no slots, still walked
    if index is None:
        fits = list(map(contains, node_outlets, names_kept))
        seen_loose: set[tuple[int, str]] = set()
        for k in _where(list(map(not_, fits))):
            j, s = keep[k], src[k]
            if types[s] in CATALOGUE:
                found.append((j, Problem("error", "unknown_outlet", f"{types[s]} node has no outlet {names[j]!r}", sources[j],
                                         f"outlets.{names[j]}")))
            elif (s, names[j]) in seen_loose:
                found.append((j, Problem("error", "duplicate_edge", f"outlet {names[j]!r} is connected twice", sources[j],
                                         f"outlets.{names[j]}")))
            else:
                seen_loose.add((s, names[j]))
                loose.setdefault(s, []).append(dst[k])
        slotted = _where(fits)
        keep = [keep[k] for k in slotted]
        src, dst = [src[k] for k in slotted], [dst[k] for k in slotted]
        names_kept, node_outlets = [names_kept[k] for k in slotted], [node_outlets[k] for k in slotted]
        index = list(map(indexOf, node_outlets, names_kept))
    first_slot = list(accumulate(map(len, outlets), initial=0))
    slots = list(map(add, map(first_slot.__getitem__, src), index))
    slot_target = [-1] * first_slot[-1]
    deque(map(slot_target.__setitem__, slots, dst), maxlen=0)
    if first_slot[-1] - slot_target.count(-1) != len(slots):  # fewer slots filled than edges: an outlet connected twice
        slot_target = [-1] * first_slot[-1]
        used: set[int] = set()
        for k, slot in enumerate(slots):  # the first edge on an outlet counts
            if slot in used:
                j = keep[k]
                found.append((j, Problem("error", "duplicate_edge", f"outlet {names[j]!r} is connected twice", sources[j],
                                         f"outlets.{names[j]}")))
            else:
                used.add(slot)
                slot_target[slot] = dst[k]
    found.sort(key=lambda f: f[0])
    problems = [p for _, p in found]
    problems += _open_outlets(ids, types, outlets, first_slot, slot_target)
    start_pos = position.get(start, -1) if isinstance(start, str) else -1
    if start_pos >= 0:
        reached = _reached(start_pos, first_slot, slot_target, loose, len(types))
        if 0 in reached:
            problems += [Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None)
                         for nid, i in position.items() if not reached[i]]
    return problems


def _open_outlets(ids: Sequence[str], types: Sequence[str], outlets: list[Sequence[str]], first_slot: list[int],
                  slot_target: list[int]) -> list[Problem]:
    """Free slots whose outlet name's first slot is free too (a name listed twice counts once),
    in node then outlet order, less the outlets that may stay open."""
    found = []
    for slot in compress(range(len(slot_target)), map((-1).__eq__, slot_target)):
        i = bisect_right(first_slot, slot) - 1
        names = outlets[i]
        outlet = names[slot - first_slot[i]]
        if slot_target[first_slot[i] + indexOf(names, outlet)] >= 0 or outlet in _QUIET_OUTLETS[types[i]]:
            continue
        found.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there",
                             ids[i], f"outlets.{outlet}"))
    return found


def _reached(start: int, first_slot: list[int], slot_target: list[int], loose: dict[int, list[int]], n: int) -> bytearray:
    """A 1 for every node a path from ``start`` reaches; a free slot holds -1, which lands on the
    extra byte at the end (marked seen up front) so the walk steps over it."""
    seen = bytearray(n + 1)
    seen[n] = seen[start] = 1
    stack = [start]
    pop, push = stack.pop, stack.append
    while stack:
        i = pop()
        for nxt in slot_target[first_slot[i]:first_slot[i + 1]] if not loose else \
                slot_target[first_slot[i]:first_slot[i + 1]] + loose.get(i, []):
            if not seen[nxt]:
                seen[nxt] = 1
                push(nxt)
    return seen
