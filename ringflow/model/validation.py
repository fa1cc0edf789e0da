"""Semantic validation of a flow document against the node catalogue: one way, no fallback.

Every config of a node type is checked in one msgspec call against the type's Struct
(:mod:`ringflow.model.configs`); only the configs it refuses are looked at one by one, field by
field, to say what is wrong. The rules msgspec cannot say (:mod:`ringflow.model.rules`) and the
rules across nodes (:mod:`ringflow.model.structure`) follow. Problems come out in this order:
config problems (by node), start, edges (by edge), unconnected outlets (by node, then outlet),
unreachable nodes (by node).
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from itertools import compress, count, filterfalse, repeat
from operator import attrgetter, contains, is_not, itemgetter
from typing import Any, TypeVar

import msgspec

from ringflow.model.catalogue import CATALOGUE, RESERVED_CONFIG_KEYS, Field, NodeType, config_value
from ringflow.model.configs import (
    CONFIGS,
    FIELD_TYPES,
    NODE_STRUCTS,
    TypedDoc,
    field_problem,
    is_valid,
    list_type,
)
from ringflow.model.document import (
    DocShape,
    FlowDocument,
    Problem,
    check_links,
    decode,
)
from ringflow.model.gcpause import gc_paused
from ringflow.model.rules import (
    FIELD_RULES,
    NODE_RULES,
    SIMPLE_TEMPLATE_RE,
    template_error,
)
from ringflow.model.structure import edge_problems

log = logging.getLogger(__name__)
__all__ = ["check_config", "check_json", "has_errors", "template_error", "validate", "validate_shape"]

_ID, _TYPE, _SOURCE, _OUTLET, _TARGET = (itemgetter(k) for k in ("id", "type", "source", "outlet", "target"))
_SHAPE_COLUMNS = (attrgetter("id"), attrgetter("type"), attrgetter("source"), attrgetter("outlet"), attrgetter("target"))
CHUNK = 1024
"""Configs re-checked together once a type's single call refuses one: few calls, few configs one by one."""
Found = list[tuple[int, int, Problem]]
"""(node position, rank within the node, problem): sorted, the problems in the reference order."""


@gc_paused
def validate(doc: FlowDocument) -> list[Problem]:
    """Every problem with a (normalized) flow: errors block publishing, warnings inform."""
    nodes, edges = doc.get("nodes", []), doc.get("edges", [])
    configs: list[Any] = list(map(dict.get, nodes, repeat("config")))  # type: ignore[arg-type]
    if None in configs:
        configs = [c or {} for c in configs]
    return check(list(map(_ID, nodes)), list(map(_TYPE, nodes)), configs,
                 (list(map(_SOURCE, edges)), list(map(_OUTLET, edges)), list(map(_TARGET, edges))), doc.get("start"))


@gc_paused
def validate_shape(shape: DocShape, links_checked: bool = True) -> list[Problem]:
    """``validate`` of a decoded document (``document.decode``), without building its dicts.
    ``links_checked=False``: the shape came straight from msgspec (``document.decode_unlinked``),
    and a repeated id or an edge to nowhere raises DocumentError, as ``decode`` would have."""
    node_id, node_type, source, outlet, target = _SHAPE_COLUMNS
    configs = [n.config or {} for n in shape.nodes]
    problems = check(list(map(node_id, shape.nodes)), list(map(node_type, shape.nodes)), configs,
                     (list(map(source, shape.edges)), list(map(outlet, shape.edges)), list(map(target, shape.edges))),
                     shape.start)
    if not links_checked and any(p.code in _UNSTORABLE for p in problems):
        check_links(shape)  # raises DocumentError, as for any document no store can hold
    return problems


@gc_paused
def check_json(data: bytes | str) -> tuple[Any, list[Problem]]:
    """The decoded document and its problems, from JSON text: a sound document is decoded and
    shape-checked in one msgspec pass (``configs.TypedDoc``), then only the rules msgspec cannot
    say run. When msgspec refuses it (an unknown type, a config fault, an unknown setting) the
    document is decoded again without the configs' types, and each refused config is looked at
    field by field to name its problems: the price of a faulty document, and logged."""
    try:
        typed = msgspec.json.decode(data, type=TypedDoc)
    except msgspec.ValidationError as exc:
        log.info("config faults (%s): checking the document's configs one type at a time", exc)
        shape = decode(data)
        return shape, validate_shape(shape)
    node_id, _, source, outlet, target = _SHAPE_COLUMNS
    nodes, edges = typed.nodes, typed.edges
    configs = list(map(attrgetter("config"), nodes))
    problems = check(list(map(node_id, nodes)), list(map(NODE_STRUCTS.__getitem__, map(type, nodes))), configs,
                     (list(map(source, edges)), list(map(outlet, edges)), list(map(target, edges))), typed.start, typed=True)
    if any(p.code in _UNSTORABLE for p in problems):
        check_links(typed)  # raises DocumentError, as for any document no store can hold
    return typed, problems


_UNSTORABLE = frozenset(("duplicate_id", "edge_unknown_source", "edge_unknown_target", "duplicate_edge"))
"""Problems ``check`` reports that ``document`` refuses outright (checked there only when seen here)."""


def _group(keys: list[str]) -> dict[str, list[int]]:
    """Positions per key, in order (C-level: a Python step per node costs seconds on big flows)."""
    groups: defaultdict[str, list[int]] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), count()), maxlen=0)
    return groups


def check(ids: list[str], types: list[str], configs: list[Any], edges: tuple[list[str], list[str], list[str]],
          start: Any, typed: bool = False) -> list[Problem]:
    """Every problem of a flow given as columns: each node's id, type and config, and the edges'
    sources, outlets and targets. ``typed``: the configs are their types' Structs already."""
    found: Found = []
    position = dict(zip(ids, range(len(ids))))  # id -> the node holding it
    if len(position) == len(ids):
        by_type = _group(types)
    else:  # repeated ids (normalize refuses them): the first node holding an id counts
        position = {}
        for i, nid in enumerate(ids):
            position.setdefault(nid, i)
        by_type = defaultdict(list)
        for i, (nid, name) in enumerate(zip(ids, types)):
            if position[nid] == i:
                by_type[name].append(i)
            else:
                found.append((i, 0, Problem("error", "duplicate_id", f"node id {nid!r} is used twice", nid, "id")))
    outlets: list[Sequence[str]] = [()] * len(ids)
    for name, positions in by_type.items():
        nt = CATALOGUE.get(name)
        if nt is None:
            found += [(i, 0, Problem("error", "unknown_type", f"unknown node type {name!r}", ids[i], "type")) for i in positions]
            continue
        picked = list(map(configs.__getitem__, positions))
        found += _type_problems(nt, positions, picked, ids, typed)
        made: Iterable[Sequence[str]] = repeat(nt.outlets)
        if nt.dynamic_outlets is not None:  # worked out once per distinct value of the field they come from
            made = once_each(nt.outlets_for, picked, _keys(nt, (nt.dynamic_from,), picked, typed))
        deque(map(outlets.__setitem__, positions, made), maxlen=0)
    found.sort(key=itemgetter(0, 1))
    problems = [p for _, _, p in found]
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif start not in position:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    return problems + edge_problems(ids, position, types, outlets, edges, start)


def _refused(nt: NodeType, configs: list[Any]) -> tuple[set[int], list[Any]]:
    """Positions (in ``configs``) of the configs the type's Struct refuses, and the Structs of the
    others (in order): one call for all, then chunks, then one by one inside a refused chunk."""
    whole_list = list_type(nt.name)
    try:
        return set(), msgspec.convert(configs, whole_list)
    except msgspec.ValidationError:
        pass
    refused: set[int] = set()
    struct = CONFIGS[nt.name]
    for low in range(0, len(configs), CHUNK):
        if is_valid(configs[low:low + CHUNK], whole_list) is not None:
            refused.update(j for j in range(low, min(low + CHUNK, len(configs))) if is_valid(configs[j], struct) is not None)
    return refused, msgspec.convert([c for j, c in enumerate(configs) if j not in refused], whole_list)


def _type_problems(nt: NodeType, positions: list[int], configs: list[Any], ids: list[str], typed: bool = False) -> Found:
    """The problems of every node of one type: the refused configs field by field, the rules
    msgspec cannot say on the others (each distinct value once), then the rules across fields."""
    if typed:
        refused: set[int] = set()
        structs = configs if None not in configs else [c if c is not None else CONFIGS[nt.name]() for c in configs]
    else:
        refused, structs = _refused(nt, configs)
    found: Found = []
    for j in refused:
        i = positions[j]
        found += [(i, rank, problem) for rank, problem in _field_problems(nt, configs[j], ids[i])]
    accepted = [p for j, p in enumerate(positions) if j not in refused] if refused else positions
    for rank, f in enumerate(nt.fields, start=1):
        rule = FIELD_RULES.get(f.kind)
        if rule is None:
            continue
        values = list(map(attrgetter(f.name), structs))
        whys = _template_whys(rule, values) if f.kind == "template" else list(map(rule, values))
        for k in _where(map(is_not, whys, repeat(None))):
            i, why = accepted[k], str(whys[k])
            found.append((i, rank, Problem("error", code(f, why), _say(f.name, why), ids[i], f"config.{f.name}")))
    node_rule = NODE_RULES.get(nt.name)
    if node_rule is not None:
        results = once_each(node_rule.check, structs, _keys(nt, node_rule.reads, structs, typed=True))
        said = [(accepted[k], results[k]) for k in _where(results)]
        said += [(positions[j], node_rule.check(configs[j])) for j in refused]  # a refused config: the rule on what was sent
        for i, findings in said:
            found += [(i, 1000, Problem(sev, code_, message, ids[i], field)) for sev, code_, message, field in findings]
    return found


def _template_whys(rule: Callable[[str], str | None], values: list[Any]) -> list[str | None]:
    """Why each text is not a valid template (None when it is): each distinct text once, and the
    parser only for those the simple form cannot clear."""
    distinct = set(values)
    unclear = filterfalse(SIMPLE_TEMPLATE_RE.match, compress(distinct, map(contains, distinct, repeat("{"))))
    bad = {text: why for text in unclear if (why := rule(text)) is not None}
    return list(map(bad.get, values)) if bad else [None] * len(values)


_encode = msgspec.json.Encoder().encode
_SCALAR_KINDS = frozenset(("string", "template", "enum", "integer", "number", "boolean"))
R = TypeVar("R")


def once_each(fn: Callable[[Any], R], values: Sequence[Any], keys: Iterable[Hashable]) -> list[R]:
    """``[fn(v) for v in values]``, ``fn`` run once per distinct key: a flow repeats its menus'
    digits, its cases, its queues (the 500,000-node demo: 25,000 menus, a handful of digit lists)."""
    keyed = list(keys)
    memo = {key: fn(value) for key, value in dict(zip(keyed, values)).items()}
    return list(map(memo.__getitem__, keyed))


def _keys(nt: NodeType, names: tuple[str, ...], configs: list[Any], typed: bool) -> Iterable[Hashable]:
    """Keys equal only for configs whose fields ``names`` hold equal values: the values themselves
    when they are scalars of their declared type, a list of texts as a tuple, anything else (or
    a config not checked against its type) as its JSON text, which keeps "1", 1 and [1] apart."""
    declared = {f.name: f.kind for f in nt.fields}
    kinds = {declared.get(name, "undeclared") for name in names}
    if not typed:
        return map(_encode, map(config_value, configs, repeat(names[0]))) if len(names) == 1 else \
            map(_encode, zip(*(map(config_value, configs, repeat(name)) for name in names)))
    values = map(attrgetter(*names), configs)
    if kinds <= _SCALAR_KINDS:
        return values
    if kinds == {"string_list"} and len(names) == 1:
        return map(tuple, values)
    return map(_encode, values)


def _where(flags: Iterable[Any]) -> list[int]:
    """The positions of the true flags."""
    return list(compress(count(), flags))


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
        try:
            typed = msgspec.convert(value, known[f.name])
        except msgspec.ValidationError as error:
            why: str | None = field_problem(f, value, error)
        else:
            why = rule(typed) if (rule := FIELD_RULES.get(f.kind)) is not None else None
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
