"""Semantic validation of a flow document against the node catalogue: one way, no fallback.

Every config of a node type is checked in one msgspec call against the type's Struct
(:mod:`ringflow.model.configs`); only the configs it refuses are looked at one by one, field by
field, to say what is wrong. The rules msgspec cannot say (:mod:`ringflow.model.rules`) and the
rules across nodes (:mod:`ringflow.model.structure`) follow. Problems come out in this order:
config problems (by node), start, edges (by edge), unconnected outlets (by node, then outlet),
unreachable nodes (by node).
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from typing import Any, Iterable, Mapping, Sequence

import msgspec

from ringflow.model.catalogue import CATALOGUE, RESERVED_CONFIG_KEYS, Field, NodeType
from ringflow.model.configs import CONFIGS, FIELD_TYPES, field_problem, is_valid, list_type
from ringflow.model.document import FlowDocument, Problem
from ringflow.model.gcpause import gc_paused
from ringflow.model.rules import FIELD_RULES, NODE_RULES, template_error
from ringflow.model.structure import edge_problems

__all__ = ["validate", "has_errors", "check_config", "template_error"]

_ID, _TYPE = itemgetter("id"), itemgetter("type")
CHUNK = 1024
"""Configs re-checked together once a type's single call refuses one: few calls, few configs one by one."""
Found = list[tuple[int, int, Problem]]
"""(node position, rank within the node, problem): sorted, the problems in the reference order."""


@gc_paused
def validate(doc: FlowDocument) -> list[Problem]:
    """Every problem with a (normalized) flow: errors block publishing, warnings inform."""
    nodes = doc.get("nodes", [])
    ids: list[str] = list(map(_ID, nodes))
    types: list[str] = list(map(_TYPE, nodes))
    found: Found = []
    position = dict(zip(ids, range(len(ids))))  # id -> the node holding it
    by_type: defaultdict[str, list[int]] = defaultdict(list)
    if len(position) == len(ids):
        for i, name in enumerate(types):
            by_type[name].append(i)
    else:  # repeated ids (normalize refuses them): the first node holding an id counts
        position = {}
        for i, nid in enumerate(ids):
            position.setdefault(nid, i)
        for i, (nid, name) in enumerate(zip(ids, types)):
            if position[nid] == i:
                by_type[name].append(i)
            else:
                found.append((i, 0, Problem("error", "duplicate_id", f"node id {nid!r} is used twice", nid, "id")))
    outlets: list[Sequence[str]] = [()] * len(nodes)
    for name, positions in by_type.items():
        nt = CATALOGUE.get(name)
        if nt is None:
            found += [(i, 0, Problem("error", "unknown_type", f"unknown node type {name!r}", ids[i], "type")) for i in positions]
            continue
        configs = [nodes[i].get("config") or {} for i in positions]
        found += _type_problems(nt, positions, configs, ids)
        if nt.dynamic_outlets is None:
            for i in positions:
                outlets[i] = nt.outlets
        else:
            for i, config in zip(positions, configs):
                outlets[i] = nt.outlets_for(config)
    found.sort(key=itemgetter(0, 1))
    problems = [p for _, _, p in found]
    start = doc.get("start")
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif start not in position:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    return problems + edge_problems(ids, position, types, outlets, doc.get("edges", []), start)


def _refused(nt: NodeType, configs: list[Any]) -> set[int]:
    """Positions (in ``configs``) of the configs the type's Struct refuses: one call for all,
    then chunks, then one by one inside a refused chunk."""
    whole_list = list_type(nt.name)
    try:
        msgspec.convert(configs, whole_list)
        return set()
    except msgspec.ValidationError:
        pass
    refused: set[int] = set()
    struct = CONFIGS[nt.name]
    for low in range(0, len(configs), CHUNK):
        if is_valid(configs[low:low + CHUNK], whole_list) is not None:
            refused.update(j for j in range(low, min(low + CHUNK, len(configs))) if is_valid(configs[j], struct) is not None)
    return refused


def _type_problems(nt: NodeType, positions: list[int], configs: list[Any], ids: list[str]) -> Found:
    """The problems of every node of one type: the refused configs field by field, the rules
    msgspec cannot say on the others (each distinct value once), then the rules across fields."""
    refused = _refused(nt, configs)
    found: Found = []
    for j in refused:
        i = positions[j]
        found += [(i, rank, problem) for rank, problem in _field_problems(nt, configs[j], ids[i])]
    for rank, f in enumerate(nt.fields, start=1):
        rule = FIELD_RULES.get(f.kind)
        if rule is None:
            continue
        values = [(j, c[f.name]) for j, c in enumerate(configs) if j not in refused and f.name in c] if refused else \
            [(j, c[f.name]) for j, c in enumerate(configs) if f.name in c]
        bad = _failing(rule, [v for _, v in values])
        for j, value in values:
            why = bad.get(_key(value)) if bad else None
            if why is not None:
                i = positions[j]
                found.append((i, rank, Problem("error", code(f, why), _say(f.name, why), ids[i], f"config.{f.name}")))
    node_rule = NODE_RULES.get(nt.name)
    if node_rule is not None:
        for i, config in zip(positions, configs):
            found += [(i, 1000, Problem(sev, code, message, ids[i], field)) for sev, code, message, field in node_rule(config)]
    return found


def _key(value: Any) -> Any:
    """A hashable stand-in for a config value (texts are themselves; maps and lists their JSON)."""
    return value if isinstance(value, str) else msgspec.json.encode(value)


def _failing(rule: Any, values: list[Any]) -> dict[Any, str]:
    """Each distinct value the rule refuses -> why."""
    distinct = {_key(v): v for v in values}
    return {k: why for k, v in distinct.items() if (why := rule(v)) is not None}


def code(f: Field, why: str) -> str:
    """A template that does not parse is ``bad_template``; a value of the wrong shape ``bad_config``."""
    return "bad_template" if f.kind in ("template", "template_map") and "must" not in why else "bad_config"


def _say(name: str, why: str) -> str:
    return why if why.startswith(name) else f"{name} {why}"


def _field_problems(nt: NodeType, config: Any, node_id: str) -> list[tuple[int, Problem]]:
    """A refused config, field by field: unknown settings, missing ones, and each field's first fault."""
    if not isinstance(config, Mapping):
        return [(1, Problem("error", "bad_config", "config must be an object", node_id, "config"))]
    found: list[tuple[int, Problem]] = []
    known = FIELD_TYPES[nt.name]
    for key in config:
        if key not in known and key not in RESERVED_CONFIG_KEYS:
            found.append((0, Problem("warning", "unknown_config", f"{nt.title} has no setting {key!r}; it is ignored", node_id,
                                     f"config.{key}")))
    for rank, f in enumerate(nt.fields, start=1):
        if f.name not in config:
            if f.required:
                found.append((rank, Problem("error", "missing_config", f"{f.name} is required", node_id, f"config.{f.name}")))
            continue
        value = config[f.name]
        error = is_valid(value, known[f.name])
        why = field_problem(f, value, error) if error is not None else \
            rule(value) if (rule := FIELD_RULES.get(f.kind)) is not None else None
        if why is not None:
            found.append((rank, Problem("error", code(f, why), _say(f.name, why), node_id, f"config.{f.name}")))
    return found


def check_config(nt: NodeType, config: Mapping[str, Any], node_id: str) -> list[Problem]:
    """Every problem of one node's config (the editor's and the interop's per-node check)."""
    found = _type_problems(nt, [0], [config], [node_id])
    found.sort(key=itemgetter(1))
    return [p for _, _, p in found]


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
