"""Validation of a whole flow in a few C-level passes (benchmarks/model.py times it against the reference).

The reference walk (``validation.validate_slow``) spends Python steps on every node, edge and
outlet. Here configs are cleared in bulk by the column checkers of
:mod:`ringflow.model.fastcheck` (per node type and set of config keys), and the structure
(edge ends, outlets, reachability) is one call to :func:`ringflow.model.structure.scan`.
Problems come out in the reference's order: config problems (by node), start, edges (by
edge), unconnected outlets (by node, then outlet), unreachable nodes (by node).

``validate_fast`` returns None (or raises, as the reference would) for what it leaves to the
reference walk: duplicate node ids, unknown node types, edges from or to unknown nodes, an
outlet connected twice (all refused by ``normalize`` anyway), and anything not lists of dicts.
"""

from __future__ import annotations

from collections import defaultdict, deque
from itertools import compress, count
from operator import itemgetter, not_
from typing import Any, Hashable, Iterable, Sequence

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import FlowDocument, Problem
from ringflow.model.fastcheck import ALWAYS_REPORTED, checker, columns, suspects
from ringflow.model.fieldcheck import check_config
from ringflow.model.structure import scan

try:
    from ringflow.model._kernels import group_nodes as native_group_nodes
except ImportError:  # no compiler at install time: _nodes_by_type_py does the same
    native_group_nodes = None

_ID, _TYPE = itemgetter("id"), itemgetter("type")
_STATIC_OUTLETS = {name: nt.outlets for name, nt in CATALOGUE.items()}
_QUIET_OUTLETS = {name: frozenset(o for o in nt.outlets if not nt.warns_unconnected(o)) for name, nt in CATALOGUE.items()}
"""Fixed outlets that may stay open without a warning (``NodeType.warns_unconnected``), per type."""
_EMPTY: dict[str, Any] = {}


def _node_columns(nodes: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """Each node's id, type and config (``{}`` for a missing or empty one, as the reference reads
    it); a node without an id or type raises, as the reference walk would."""
    ids, types = list(map(_ID, nodes)), list(map(_TYPE, nodes))
    configs = [node.get("config") for node in nodes]
    return ids, types, configs if set(map(type, configs)) <= {dict} else [c or _EMPTY for c in configs]


def _group(keys: Iterable[Hashable]) -> dict[Any, list[int]]:
    """Positions per key, in order."""
    groups: defaultdict[Any, list[int]] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), count()), maxlen=0)
    return groups


ByType = dict[Any, Sequence[Any]]
"""type -> (positions, their configs, the first config's keys, each key's values or None):
None when the type's configs do not all hold exactly those keys."""


def _nodes_by_type_py(nodes: list[Any]) -> tuple[list[Any], list[Any], list[Any], ByType]:
    """ids, types, configs and the nodes by type, in passes over the nodes (the kernel's twin)."""
    ids, types, configs = _node_columns(nodes)
    by_type: ByType = {}
    for name, positions in _group(types).items():
        picked = list(map(configs.__getitem__, positions))
        keys = tuple(picked[0])
        by_type[name] = positions, picked, keys, columns(picked, keys)
    return ids, types, configs, by_type


def _nodes_by_type(nodes: list[Any]) -> tuple[list[Any], list[Any], list[Any], ByType]:
    """ids, types, configs and the nodes by type: the C kernel reads each node and its config
    once (``_groups.c``); odd shapes (a missing config...) go to the Python twin."""
    found = native_group_nodes(nodes) if native_group_nodes is not None else None
    return found if found is not None else _nodes_by_type_py(nodes)


Groups = dict[tuple[str, tuple[Any, ...]], tuple[list[int], list[Any], list[list[Any]] | None]]
"""(type, config keys) -> (positions, their configs, their columns): the unit a column checker clears."""


def _key_groups(by_type: ByType) -> Groups:
    """Each type's nodes split by config keys. A type's configs nearly always share one key set,
    so that is tried first; a tuple of keys per config costs more than the rest of the grouping."""
    groups: Groups = {}
    for name, (positions, picked, keys, found) in by_type.items():
        if found is not None:
            groups[name, keys] = positions, picked, found
            continue
        for keys, sub in _group(map(tuple, picked)).items():
            groups[name, keys] = list(map(positions.__getitem__, sub)), list(map(picked.__getitem__, sub)), None
    return groups


def _config_problems(groups: Groups, ids: Sequence[str], configs: list[Any]) -> list[Problem]:
    """The exact checks, run only on the nodes a column checker could not clear."""
    found: list[tuple[int, list[Problem]]] = []
    for (name, keys), (positions, picked, columns_known) in groups.items():
        if name in ALWAYS_REPORTED:
            doubtful = positions
        else:
            doubtful = [positions[k] for k in suspects(checker(name, keys), picked, columns_known)]
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


def validate_fast(doc: FlowDocument) -> list[Problem] | None:
    """``validate_slow(doc)``, or None when ``doc`` has a shape only the reference walk reports.

    An exception from here (a node without an id, an unhashable id) also means "ask the
    reference walk", which then reports or raises exactly: ``validate`` catches it.
    """
    nodes, edges = doc.get("nodes", []), doc.get("edges", [])
    if type(nodes) is not list or type(edges) is not list:
        return None
    ids, types, configs, by_type = _nodes_by_type(nodes)
    if not CATALOGUE.keys() >= by_type.keys():
        return None
    groups = _key_groups(by_type)
    outlets = _outlets(groups, types)
    start = doc.get("start")
    found = scan(ids, outlets, edges, start)
    if found is None:
        return None
    problems = _config_problems(groups, ids, configs)
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif found.start_pos < 0:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    for j, i in found.bad_edges:
        name = edges[j]["outlet"]
        problems.append(Problem("error", "unknown_outlet", f"{types[i]} node has no outlet {name!r}", ids[i], f"outlets.{name}"))
    for i, k in found.open_slots:
        outlet = outlets[i][k]
        if outlet in _QUIET_OUTLETS[types[i]]:
            continue
        problems.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there",
                                ids[i], f"outlets.{outlet}"))
    if found.reached is not None and found.reached.count(0):
        problems += [Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None)
                     for nid in compress(ids, map(not_, found.reached))]
    return problems
