"""The rules across nodes: edge ends are nodes, outlets exist and are connected once, expected
outlets are connected, every node is reachable from the start.

The per-edge work runs on integer arrays (numpy): a 500,000-node flow has about as many edges,
and a Python step per edge cost about a second. Ids become node positions and outlet names
integer codes in one dict pass each. Each node's outlets get consecutive "slots" (the node's
first slot plus the outlet's index); an edge finds its slot by looking up the key (node, name
code) among the slots' sorted keys, and fills it with its target's position, so a duplicate
outlet is a slot filled twice and an unconnected one a slot left free. Only the faulty edges and
slots (none in a sound flow) get a Python step each, to say what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, count, repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import Problem

Ints = npt.NDArray[np.int64]

_QUIET_OUTLETS = {name: frozenset(o for o in nt.outlets if not nt.warns_unconnected(o)) for name, nt in CATALOGUE.items()}
"""Fixed outlets that may stay open without a warning (``NodeType.warns_unconnected``), per type."""


def _ints(values: Any, size: int) -> Ints:
    """An int64 array of ``size`` integers (via a list: ``np.fromiter`` is slower on a ``map``)."""
    found: Ints = np.array(list(values), dtype=np.int64)
    return found.reshape(size)


def edge_problems(ids: Sequence[str], position: dict[str, int], types: Sequence[str], outlets: list[Sequence[str]],
                  edges: tuple[list[str], list[str], list[str]], start: Any) -> list[Problem]:
    """Problems of the edges (by edge), unconnected outlets (by node, then outlet) and unreachable
    nodes (by node). ``ids``: each node's id; ``position``: id -> index of the node that holds it
    (the first, when an id is repeated); ``outlets[i]``: node ``i``'s outlets (none for an unknown
    type or a repeated id); ``edges``: the edges' sources, outlets and targets."""
    sources, names, targets = edges
    n, m = len(types), len(sources)
    src = _ints(map(position.get, sources, repeat(-1)), m)
    dst = _ints(map(position.get, targets, repeat(-1)), m)
    found: list[tuple[int, Problem]] = []  # (edge index, problem): reported in edge order
    known = (src >= 0) & (dst >= 0)
    keep = np.arange(m)
    if not known.all():
        for j in np.flatnonzero(src < 0).tolist():
            found.append((j, Problem("error", "edge_unknown_source", f"edge from unknown node {sources[j]!r}", sources[j], "source")))
        for j in np.flatnonzero((src >= 0) & (dst < 0)).tolist():
            found.append((j, Problem("error", "edge_unknown_target", f"outlet {names[j]!r} goes to unknown node {targets[j]!r}",
                                     sources[j], f"outlets.{names[j]}")))
        keep = np.flatnonzero(known)
    counter = count()
    codes: dict[str, int] = {}  # outlet name -> code (the position where it was first seen)
    edge_code = _ints(map(codes.setdefault, names, counter), m)
    first_slot = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(_ints(map(len, outlets), n), out=first_slot[1:])
    total = int(first_slot[-1])
    slot_node = np.repeat(np.arange(n, dtype=np.int64), np.diff(first_slot))
    # the nodes of a type with fixed outlets share one outlet tuple: its codes are found once
    distinct = dict(zip(map(id, outlets), outlets))
    listed = {key: [codes.setdefault(o, next(counter)) for o in seq] for key, seq in distinct.items()}
    width = next(counter)
    slot_key = slot_node * width + _ints(chain.from_iterable(map(listed.__getitem__, map(id, outlets))), total)
    order = np.argsort(slot_key, kind="stable")  # equal keys (a name listed twice): the first slot first
    sorted_keys = slot_key[order]
    edge_key = src[keep] * width + edge_code[keep]
    at = np.minimum(np.searchsorted(sorted_keys, edge_key), max(total - 1, 0))
    fits = sorted_keys[at] == edge_key if total else np.zeros(len(keep), dtype=bool)
    loose: dict[int, list[int]] = {}  # edges from nodes of unknown type: no slots, still walked
    if not fits.all():
        seen_loose: set[tuple[int, str]] = set()
        for j in keep[~fits].tolist():
            s = int(src[j])
            if types[s] in CATALOGUE:
                found.append((j, Problem("error", "unknown_outlet", f"{types[s]} node has no outlet {names[j]!r}", sources[j],
                                         f"outlets.{names[j]}")))
            elif (s, names[j]) in seen_loose:
                found.append((j, Problem("error", "duplicate_edge", f"outlet {names[j]!r} is connected twice", sources[j],
                                         f"outlets.{names[j]}")))
            else:
                seen_loose.add((s, names[j]))
                loose.setdefault(s, []).append(int(dst[j]))
        keep, at = keep[fits], at[fits]
    slots = order[at]
    slot_target = np.full(total, -1, dtype=np.int64)
    if len(slots) and np.bincount(slots, minlength=total).max() > 1:  # an outlet connected twice: the first edge counts
        _, first = np.unique(slots, return_index=True)
        again = np.ones(len(slots), dtype=bool)
        again[first] = False
        for j in keep[again].tolist():
            found.append((j, Problem("error", "duplicate_edge", f"outlet {names[j]!r} is connected twice", sources[j],
                                     f"outlets.{names[j]}")))
        keep, slots = keep[first], slots[first]
    slot_target[slots] = dst[keep]
    found.sort(key=lambda f: f[0])
    problems = [p for _, p in found]
    problems += _open_outlets(ids, types, outlets, first_slot, slot_target, (slot_node, slot_key, order, sorted_keys), codes, width)
    start_pos = position.get(start, -1) if isinstance(start, str) else -1
    if start_pos >= 0:
        reached = _reached(start_pos, first_slot.tolist(), slot_target.tolist(), loose, n)
        if 0 in reached:
            problems += [Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None)
                         for nid, i in position.items() if not reached[i]]
    return problems


def _open_outlets(ids: Sequence[str], types: Sequence[str], outlets: list[Sequence[str]], first_slot: Ints,
                  slot_target: Ints, slot_index: tuple[Ints, Ints, Ints, Ints], codes: dict[str, int], width: int) -> list[Problem]:
    """Free slots whose outlet name's first slot is free too (a name listed twice counts once),
    in node then outlet order, less the outlets that may stay open. ``slot_index``: each slot's
    node and key, and the keys' sort order and sorted keys; a key is node * ``width`` + name code."""
    slot_node, slot_key, order, sorted_keys = slot_index
    free = np.flatnonzero(slot_target < 0)
    if not len(free):
        return []
    free = free[slot_target[order[np.searchsorted(sorted_keys, slot_key[free])]] < 0]
    type_code = dict(zip(dict.fromkeys(types), count()))
    quiet = [type_code[t] * width + codes[o] for t in type_code for o in _QUIET_OUTLETS.get(t, ()) if o in codes]
    node_type = _ints(map(type_code.__getitem__, types), len(types))
    nodes = slot_node[free]
    free = free[~np.isin(node_type[nodes] * width + slot_key[free] % width, quiet)]
    found = []
    for slot, i in zip(free.tolist(), slot_node[free].tolist()):
        outlet = outlets[i][slot - int(first_slot[i])]
        found.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there",
                             ids[i], f"outlets.{outlet}"))
    return found


def _reached(start: int, first_slot: list[int], slot_target: list[int], loose: dict[int, list[int]], n: int) -> bytearray:
    """A 1 for every node a path from ``start`` reaches; a free slot holds -1, which lands on the
    extra byte at the end (marked seen up front) so the walk steps over it. A walk in Python: the
    flows are long chains (thousands of levels), where a numpy step per level costs more."""
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
