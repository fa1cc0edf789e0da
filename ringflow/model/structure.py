"""The rules across nodes: edge ends are nodes, outlets exist and are connected once, expected
outlets are connected, every node is reachable from the start. One plain-Python pass over the
edges, then C-level builtins over integer lists.

Each node's outlets get consecutive integer "slots" (the node's first slot plus the outlet's
index); an edge fills its outlet's slot with its target's position, so a duplicate outlet is a
slot filled twice and an unconnected one a slot left free.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, compress
from operator import indexOf
from typing import Any, Sequence

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import EdgeDict, Problem

_QUIET_OUTLETS = {name: frozenset(o for o in nt.outlets if not nt.warns_unconnected(o)) for name, nt in CATALOGUE.items()}
"""Fixed outlets that may stay open without a warning (``NodeType.warns_unconnected``), per type."""


def edge_problems(ids: Sequence[str], position: dict[str, int], types: Sequence[str], outlets: Sequence[Sequence[str]],
                  edges: Sequence[EdgeDict], start: Any) -> list[Problem]:
    """Problems of the edges (by edge), unconnected outlets (by node, then outlet) and unreachable
    nodes (by node). ``ids``: each node's id; ``position``: id -> index of the node that holds it
    (the first, when an id is repeated); ``outlets[i]``: node ``i``'s outlets (none for an unknown
    type or a repeated id)."""
    n = len(types)
    first_slot = list(accumulate(map(len, outlets), initial=0))
    slot_target = [-1] * first_slot[-1]
    loose: dict[tuple[int, str], int] = {}  # edges from nodes of unknown type: no slots, still walked
    problems: list[Problem] = []
    get = position.get
    for edge in edges:
        src, outlet, dst = edge["source"], edge["outlet"], edge["target"]
        s = get(src)
        if s is None:
            problems.append(Problem("error", "edge_unknown_source", f"edge from unknown node {src!r}", src, "source"))
            continue
        t = get(dst)
        if t is None:
            problems.append(Problem("error", "edge_unknown_target", f"outlet {outlet!r} goes to unknown node {dst!r}", src,
                                    f"outlets.{outlet}"))
            continue
        names = outlets[s]
        if outlet in names:
            slot = first_slot[s] + indexOf(names, outlet)
            if slot_target[slot] < 0:
                slot_target[slot] = t
                continue
        elif types[s] not in CATALOGUE:
            if (s, outlet) not in loose:
                loose[s, outlet] = t
                continue
        else:
            problems.append(Problem("error", "unknown_outlet", f"{types[s]} node has no outlet {outlet!r}", src,
                                    f"outlets.{outlet}"))
            continue
        problems.append(Problem("error", "duplicate_edge", f"outlet {outlet!r} is connected twice", src, f"outlets.{outlet}"))
    problems += _open_outlets(ids, types, outlets, first_slot, slot_target)
    start_pos = get(start, -1) if isinstance(start, str) else -1
    if start_pos >= 0:
        reached = _reached(start_pos, first_slot, slot_target, loose, n)
        problems += [Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None)
                     for nid, i in position.items() if not reached[i]]
    return problems


def _open_outlets(ids: Sequence[str], types: Sequence[str], outlets: Sequence[Sequence[str]],
                  first_slot: list[int], slot_target: list[int]) -> list[Problem]:
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


def _reached(start: int, first_slot: list[int], slot_target: list[int], loose: dict[tuple[int, str], int], n: int) -> bytearray:
    """A 1 for every node a path from ``start`` reaches; a free slot holds -1, which lands on the
    extra byte at the end (marked seen up front) so the walk steps over it."""
    seen = bytearray(n + 1)
    seen[n] = seen[start] = 1
    extra: dict[int, list[int]] = {}
    for (s, _), t in loose.items():
        extra.setdefault(s, []).append(t)
    stack = [start]
    pop, push = stack.pop, stack.append
    while stack:
        i = pop()
        for nxt in slot_target[first_slot[i]:first_slot[i + 1]]:
            if not seen[nxt]:
                seen[nxt] = 1
                push(nxt)
        for nxt in extra.get(i, ()):
            if not seen[nxt]:
                seen[nxt] = 1
                push(nxt)
    return seen
