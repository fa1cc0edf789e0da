"""Validation of a whole flow in a few C-level passes (benchmarks/model.py times it against the reference).

The reference walk (``validation.validate_slow``) spends Python steps on every node, edge and
outlet. Here configs are cleared in bulk by the column checkers of
:mod:`ringflow.model.fastcheck` (per node type and set of config keys), node ids become list
positions once, and edges are checked as integer "outlet slots" (a node's first slot plus the
outlet's index) with ``map`` and sets; reachability is one depth-first walk over positions.
Problems come out in the reference's order: config problems (by node), start, edges (by
edge), unconnected outlets (by node, then outlet), unreachable nodes (by node).

``validate_fast`` returns None (or raises, as the reference would) for what it leaves to the
reference walk: duplicate node ids, unknown node types, edges from or to unknown nodes, an
outlet connected twice (all refused by ``normalize`` anyway), and anything not lists of dicts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict, deque
from itertools import accumulate, compress, count
from operator import add, contains, indexOf, itemgetter, not_
from typing import Any, Hashable, Iterable, Sequence

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import FlowDocument, Problem
from ringflow.model.fastcheck import ALWAYS_REPORTED, checker, rows, suspects
from ringflow.model.fieldcheck import check_config

_ID, _TYPE, _CONFIG = itemgetter("id"), itemgetter("type"), itemgetter("config")
_SOURCE, _OUTLET, _TARGET = itemgetter("source"), itemgetter("outlet"), itemgetter("target")
_STATIC_OUTLETS = {name: nt.outlets for name, nt in CATALOGUE.items()}
_EMPTY: dict[str, Any] = {}


def _configs(nodes: list[Any]) -> list[Any]:
    """Each node's config, ``{}`` for a missing or empty one (as the reference reads it)."""
    try:
        configs = list(map(_CONFIG, nodes))
    except KeyError:
        configs = [node.get("config") for node in nodes]
    return configs if set(map(type, configs)) <= {dict} else [c or _EMPTY for c in configs]


def _group(keys: Iterable[Hashable]) -> dict[Any, list[int]]:
    """Positions per key, in order."""
    groups: defaultdict[Any, list[int]] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), count()), maxlen=0)
    return groups


Groups = dict[tuple[str, tuple[Any, ...]], tuple[list[int], list[Any], list[Any] | None]]
"""(type, config keys) -> (positions, their configs, their rows): the unit a column checker clears."""


def _uniform_rows(configs: list[Any], keys: tuple[Any, ...]) -> list[Any] | None:
    """The checker's rows (see fastcheck.rows) when every config holds exactly ``keys``, else None:
    a key fetch that succeeds on configs of the same size proves the same key set."""
    if not set(map(len, configs)) <= {len(keys)}:
        return None
    try:
        return rows(configs, keys)
    except KeyError:
        return None


def _key_groups(by_type: dict[str, list[int]], configs: list[Any]) -> Groups:
    """Each type's nodes split by config keys. A type's configs nearly always share one key set,
    so that is tried first; a tuple of keys per config costs more than the rest of the grouping."""
    groups: Groups = {}
    for name, positions in by_type.items():
        picked = list(map(configs.__getitem__, positions))
        keys = tuple(picked[0])
        found = _uniform_rows(picked, keys)
        if found is not None:
            groups[name, keys] = positions, picked, found
            continue
        for keys, sub in _group(map(tuple, picked)).items():
            groups[name, keys] = list(map(positions.__getitem__, sub)), list(map(picked.__getitem__, sub)), None
    return groups


def _config_problems(groups: Groups, ids: Sequence[str], configs: list[Any]) -> list[Problem]:
    """The exact checks, run only on the nodes a column checker could not clear."""
    found: list[tuple[int, list[Problem]]] = []
    for (name, keys), (positions, picked, rows_known) in groups.items():
        if name in ALWAYS_REPORTED:
            doubtful = positions
        else:
            doubtful = [positions[k] for k in suspects(checker(name, keys), picked, rows_known)]
        for i in doubtful:
            problems = list(check_config(CATALOGUE[name], configs[i], ids[i]))
            if problems:
                found.append((i, problems))
    found.sort(key=itemgetter(0))
    return [p for _, problems in found for p in problems]


def _outlets(groups: Groups, types: Sequence[str]) -> list[Sequence[str]]:
    """Each node's outlets: its type's fixed ones, or the ones its config makes (menus, splits)."""
    outlets: list[Sequence[str]] = list(map(_STATIC_OUTLETS.__getitem__, types))
    for (name, _), (positions, picked, _) in groups.items():
        nt = CATALOGUE[name]
        if nt.dynamic_outlets:
            deque(map(outlets.__setitem__, positions, map(nt.outlets_for, picked)), maxlen=0)
    return outlets


def _unconnected(ids: Sequence[str], outlets: list[Sequence[str]], first_slot: list[int], slot_target: list[int], free: int) -> list[Problem]:
    """Warnings for outlets no edge leaves from; an outlet name listed twice is one slot (its first)."""
    problems = []
    for slot in compress(range(len(slot_target)), map(free.__eq__, slot_target)):
        i = bisect_right(first_slot, slot) - 1
        outlet = outlets[i][slot - first_slot[i]]
        if slot_target[first_slot[i] + indexOf(outlets[i], outlet)] == free:
            problems.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there",
                                    ids[i], f"outlets.{outlet}"))
    return problems


def _reached(start: int, first_slot: list[int], slot_target: list[int]) -> bytearray:
    """A 1 at the position of every node a path from ``start`` reaches, and at position n: an
    open outlet's slot holds n, marked seen up front so the walk steps over it."""
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
    return seen


def validate_fast(doc: FlowDocument) -> list[Problem] | None:
    """``validate_slow(doc)``, or None when ``doc`` has a shape only the reference walk reports.

    An exception from here (a node without an id, an unhashable id) also means "ask the
    reference walk", which then reports or raises exactly: ``validate`` catches it.
    """
    nodes, edges = doc.get("nodes", []), doc.get("edges", [])
    if type(nodes) is not list or type(edges) is not list:
        return None
    ids, types, configs = list(map(_ID, nodes)), list(map(_TYPE, nodes)), _configs(nodes)
    by_type = _group(types)
    if not CATALOGUE.keys() >= by_type.keys():
        return None
    groups = _key_groups(by_type, configs)
    n = len(ids)
    position = dict(zip(ids, range(n)))
    if len(position) != n:
        return None
    outlets = _outlets(groups, types)
    try:
        sources = list(map(position.__getitem__, map(_SOURCE, edges)))
        targets = list(map(position.__getitem__, map(_TARGET, edges)))
    except KeyError:  # an edge from or to an unknown node (or without an end)
        return None
    names = list(map(_OUTLET, edges))
    edge_problems: list[Problem] = []
    try:
        index = list(map(indexOf, map(outlets.__getitem__, sources), names))
    except ValueError:  # some edge leaves from an outlet its node does not have
        fits = list(map(contains, map(outlets.__getitem__, sources), names))
        edge_problems = [Problem("error", "unknown_outlet", f"{types[sources[j]]} node has no outlet {names[j]!r}", ids[sources[j]],
                                 f"outlets.{names[j]}") for j in compress(range(len(edges)), map(not_, fits))]
        sources, targets, names = list(compress(sources, fits)), list(compress(targets, fits)), list(compress(names, fits))
        index = list(map(indexOf, map(outlets.__getitem__, sources), names))
    # each node's outlets get consecutive slots; an edge fills its outlet's slot with its target
    first_slot = list(accumulate(map(len, outlets), initial=0))
    slot_target = [n] * first_slot[-1]  # n: free
    deque(map(slot_target.__setitem__, map(add, map(first_slot.__getitem__, sources), index), targets), maxlen=0)
    free = slot_target.count(n)
    if len(slot_target) - free != len(sources):  # two edges filled one slot: an outlet connected twice
        return None
    problems = _config_problems(groups, ids, configs)
    start = doc.get("start")
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif start not in position:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    problems += edge_problems
    if free:
        problems += _unconnected(ids, outlets, first_slot, slot_target, n)
    if start in position:
        seen = _reached(position[start], first_slot, slot_target)
        if seen.count(1) <= n:
            problems += [Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None)
                         for nid in compress(ids, map(not_, seen))]
    return problems
