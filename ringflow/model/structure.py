"""The structural checks of validation: edge ends to nodes, outlets to slots, reachability.

For a 500,000-node flow this is most of the fast path's time, spent on memory: 1.8 million
lookups of edge ends in a dict of node ids, then walks over integer lists. ``scan`` runs the
C version (``_structure.c``, built when the package is installed) and falls back to
``scan_py``, its pure-Python twin, when the extension is missing or declines the shape;
tests/model/test_structure.py holds the two to the same answers.

Each node's outlets get consecutive integer "slots" (the node's first slot plus the outlet's
index); an edge fills its outlet's slot with its target's position, so a duplicate outlet is
a slot filled twice and an unconnected one a slot left free.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from itertools import accumulate, compress
from operator import add, contains, indexOf, itemgetter, not_
from typing import Any, NamedTuple, Sequence

try:
    from ringflow.model import _kernels as native
except ImportError:  # no compiler at install time: the Python twin does the same, slower
    native = None  # type: ignore[assignment]

_SOURCE, _OUTLET, _TARGET = itemgetter("source"), itemgetter("outlet"), itemgetter("target")


class Structure(NamedTuple):
    """What the structural checks found in a flow whose edges all join existing nodes."""

    bad_edges: list[tuple[int, int]]
    """(edge index, source position) of each edge from an outlet its node does not have."""
    open_slots: list[tuple[int, int]]
    """(node position, outlet index) of each unconnected outlet; a name listed twice counts once."""
    start_pos: int
    """The start node's position; -1 without a start or when it is not a node."""
    reached: bytearray | None
    """1 for each node a path from the start reaches (None when start_pos is -1)."""


def scan(ids: list[str], outlets: list[Sequence[str]], edges: list[Any], start: Any) -> Structure | None:
    """The structure of a flow, or None when the reference walk must report it: duplicate node
    ids, an edge end that is not a node, an outlet connected twice. Odd shapes may raise (as the
    reference walk would); ``validate`` then asks the reference walk."""
    if native is not None:
        found = native.scan(ids, outlets, edges, start)
        if found is not None:
            return Structure(*found) if found else None
    return scan_py(ids, outlets, edges, start)


def scan_py(ids: list[str], outlets: list[Sequence[str]], edges: list[Any], start: Any) -> Structure | None:
    """``scan`` in Python, with C-level builtins (map, compress, list methods) doing the loops."""
    n = len(ids)
    position = dict(zip(ids, range(n)))
    if len(position) != n:
        return None
    try:
        sources = list(map(position.__getitem__, map(_SOURCE, edges)))
        targets = list(map(position.__getitem__, map(_TARGET, edges)))
    except KeyError:  # an edge from or to an unknown node (or without an end)
        return None
    names = list(map(_OUTLET, edges))
    bad_edges: list[tuple[int, int]] = []
    try:
        index = list(map(indexOf, map(outlets.__getitem__, sources), names))
    except ValueError:  # some edge leaves from an outlet its node does not have
        fits = list(map(contains, map(outlets.__getitem__, sources), names))
        bad_edges = [(j, sources[j]) for j in compress(range(len(edges)), map(not_, fits))]
        sources, targets, names = list(compress(sources, fits)), list(compress(targets, fits)), list(compress(names, fits))
        index = list(map(indexOf, map(outlets.__getitem__, sources), names))
    first_slot = list(accumulate(map(len, outlets), initial=0))
    slot_target = [n] * first_slot[-1]  # n: free
    deque(map(slot_target.__setitem__, map(add, map(first_slot.__getitem__, sources), index), targets), maxlen=0)
    free = slot_target.count(n)
    if len(slot_target) - free != len(sources):  # two edges filled one slot
        return None
    open_slots = _open_slots(outlets, first_slot, slot_target, n) if free else []
    start_pos = position.get(start, -1) if start else -1
    reached = _reached(start_pos, first_slot, slot_target) if start_pos >= 0 else None
    return Structure(bad_edges, open_slots, start_pos, reached)


def _open_slots(outlets: list[Sequence[str]], first_slot: list[int], slot_target: list[int], free: int) -> list[tuple[int, int]]:
    """Free slots whose outlet name's first slot is free too, in node then outlet order."""
    found = []
    for slot in compress(range(len(slot_target)), map(free.__eq__, slot_target)):
        i = bisect_right(first_slot, slot) - 1
        k = slot - first_slot[i]
        if slot_target[first_slot[i] + indexOf(outlets[i], outlets[i][k])] == free:
            found.append((i, k))
    return found


def _reached(start: int, first_slot: list[int], slot_target: list[int]) -> bytearray:
    """A 1 for every node a path from ``start`` reaches; a free slot holds n, marked seen up
    front (one byte past the nodes) so the walk steps over it."""
    n = len(first_slot) - 1
    seen = bytearray(n + 1)
    seen[n] = seen[start] = 1
    stack = [start]
    pop, push = stack.pop, stack.append
    while stack:
        i = pop()
        for nxt in slot_target[first_slot[i]:first_slot[i + 1]]:
            if not seen[nxt]:
                seen[nxt] = 1
                push(nxt)
    del seen[n]
    return seen
