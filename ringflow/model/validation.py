"""Semantic validation of a flow document against the node catalogue.

Linear in nodes plus edges: one pass over nodes (config checks, template parses memoized
by source text), one over edges, one breadth-first walk for reachability.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from functools import lru_cache
from typing import Any, Iterable, Mapping

from liquid import Environment
from liquid.exceptions import LiquidError

from ringflow.model.gcpause import gc_paused
from ringflow.model.catalogue import CATALOGUE, DATE_OPS, RESERVED_CONFIG_KEYS, SPLIT_OPS, TIME_OPS, WEEKDAYS, Field, NodeType
from ringflow.model.document import FlowDocument, Problem

_ENV = Environment()
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DIGIT_RE = re.compile(r"^[0-9*#]$")
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Text whose only Liquid is plain output of a dotted path (``{{nodes.menu.digits}}``) is
# valid by construction; recognising it skips the parser for almost every real template.
_SIMPLE_TEMPLATE_RE = re.compile(r"^(?:[^{}%]|\{\{ ?[A-Za-z_][\w.]*(?:\[\d+\])?(?:\.[\w]+)* ?\}\})*$")


@lru_cache(maxsize=65_536)
def template_error(source: str) -> str | None:
    """Why ``source`` is not a valid Liquid template, or None. Memoized: flows repeat texts."""
    if "{" not in source or _SIMPLE_TEMPLATE_RE.match(source):
        return None
    try:
        _ENV.from_string(source)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_field(f: Field, value: Any) -> str | None:
    """Why ``value`` does not fit field ``f``, or None when it does."""
    kind = f.kind
    if kind in ("string", "template"):
        if not isinstance(value, str):
            return "must be text"
        if len(value) > f.max_length:
            return f"is {len(value)} characters; the limit is {f.max_length}"
        if f.required and not value.strip():
            return "must not be empty"
        if kind == "template":
            return template_error(value)
        return None
    if kind in ("integer", "number"):
        if not (_is_int(value) if kind == "integer" else _is_num(value)):
            return "must be a whole number" if kind == "integer" else "must be a number"
        if f.minimum is not None and value < f.minimum:
            return f"must be at least {f.minimum:g}"
        if f.maximum is not None and value > f.maximum:
            return f"must be at most {f.maximum:g}"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "enum":
        return None if value in f.choices else f"must be one of {', '.join(f.choices)}"
    if kind == "string_list":
        if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 256 for v in value):
            return "must be a list of short texts"
        if len(value) > 64:
            return "holds at most 64 items"
        if f.required and not value:
            return "must not be empty"
        return None
    if kind in ("template_map", "string_map"):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return "must map names to texts"
        for key, text in value.items():
            if kind == "template_map" and not _VAR_RE.match(key):
                return f"{key!r} is not a valid variable name (letters, digits, _; not starting with a digit)"
            if len(text) > MAX_TEXT_LONG:
                return f"{key!r} is over {MAX_TEXT_LONG} characters"
            if kind == "template_map" and (why := template_error(text)):
                return f"{key!r}: {why}"
        return None
    if kind == "cases":
        return _check_cases(value)
    if kind == "schedule":
        return _check_schedule(value)
    if kind == "date_list":
        if not isinstance(value, list):
            return "must be a list of dates"
        for item in value:
            try:
                date.fromisoformat(item)
            except (TypeError, ValueError):
                return f"{item!r} is not a date like 2026-12-25"
        return None
    if kind == "object":
        return None if isinstance(value, dict) else "must be an object"
    return f"has unknown kind {kind}"  # pragma: no cover - catalogue bug


MAX_TEXT_LONG = 4096


def _check_cases(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of cases"
    names: set[str] = set()
    for i, case in enumerate(value):
        if not isinstance(case, dict):
            return f"case {i + 1} must be an object"
        name, op, operand = case.get("name"), case.get("op"), case.get("value", "")
        if not isinstance(name, str) or not name or len(name) > 64:
            return f"case {i + 1} needs a name (its outlet)"
        if name in names or name == "no_match":
            return f"case name {name!r} is used twice or reserved"
        names.add(name)
        if op not in SPLIT_OPS:
            return f"case {name!r}: op must be one of {', '.join(SPLIT_OPS)}"
        if not isinstance(operand, (str, int, float)) or isinstance(operand, bool):
            return f"case {name!r}: value must be text or a number"
        if op == "regex":
            try:
                re.compile(str(operand))
            except re.error as exc:
                return f"case {name!r}: bad regular expression ({exc})"
        if op in ("less_than", "greater_than"):
            try:
                float(operand)
            except ValueError:
                return f"case {name!r}: {op} needs a number"
        if op in TIME_OPS and not _TIME_RE.match(str(operand)):
            return f"case {name!r}: {op} needs a time like 13:30"
        if op in DATE_OPS:
            try:
                date.fromisoformat(str(operand))
            except ValueError:
                return f"case {name!r}: {op} needs a date like 2026-12-25"
    return None


def _check_schedule(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must map weekdays to [[open, close], ...]"
    for day, spans in value.items():
        if day not in WEEKDAYS:
            return f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})"
        if not isinstance(spans, list):
            return f"{day}: must be a list of [open, close] pairs"
        for span in spans:
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) and _TIME_RE.match(t) for t in span)):
                return f"{day}: {span!r} is not a pair of HH:MM times"
            if span[0] >= span[1]:
                return f"{day}: {span[0]} is not before {span[1]}"
    return None


_FIELD_MAPS: dict[str, dict[str, Field]] = {}


def check_config(nt: NodeType, config: Mapping[str, Any], node_id: str) -> Iterable[Problem]:
    fields = _FIELD_MAPS.get(nt.name)
    if fields is None:
        fields = _FIELD_MAPS[nt.name] = nt.field_map()
    for key in config.keys() - fields.keys() if len(config) > len(fields) or not config.keys() <= fields.keys() else ():
        if key not in fields and key not in RESERVED_CONFIG_KEYS:
            yield Problem("warning", "unknown_config", f"{nt.title} has no setting {key!r}; it is ignored", node_id, f"config.{key}")
    for f in nt.fields:
        if f.name not in config:
            if f.required:
                yield Problem("error", "missing_config", f"{f.name} is required", node_id, f"config.{f.name}")
            continue
        why = check_field(f, config[f.name])
        if why:
            code = "bad_template" if f.kind in ("template", "template_map") and "must" not in why else "bad_config"
            yield Problem("error", code, f"{f.name} {why}" if not why.startswith(f.name) else why, node_id, f"config.{f.name}")
    if nt.name == "menu" and isinstance(config.get("digits"), list):
        for d in config["digits"]:
            if not isinstance(d, str) or not _DIGIT_RE.match(d):
                yield Problem("error", "bad_config", f"digit {d!r} must be one of 0-9, * or #", node_id, "config.digits")
        if len(set(config["digits"])) != len(config["digits"]):
            yield Problem("error", "bad_config", "a digit is listed twice", node_id, "config.digits")
    if nt.name == "play" and not str(config.get("url") or "").strip() and not str(config.get("digits") or "").strip():
        yield Problem("error", "missing_config", "play needs a url or digits", node_id, "config.url")
    if nt.name == "unsupported":
        platform = "Amazon Connect action" if config.get("platform") == "connect" else "Studio widget"
        yield Problem("error", "unsupported_node", f"Ringflow cannot execute {platform} {config.get('original_type')!s}", node_id, "type")


@gc_paused
def validate(doc: FlowDocument) -> list[Problem]:
    """Every problem with a (normalized) flow: errors block publishing, warnings inform."""
    problems: list[Problem] = []
    nodes = doc.get("nodes", [])
    by_id: dict[str, Any] = {}
    outlets: dict[str, list[str]] = {}
    for node in nodes:
        nid = node["id"]
        if nid in by_id:
            problems.append(Problem("error", "duplicate_id", f"node id {nid!r} is used twice", nid, "id"))
            continue
        by_id[nid] = node
        nt = CATALOGUE.get(node["type"])
        if nt is None:
            problems.append(Problem("error", "unknown_type", f"unknown node type {node['type']!r}", nid, "type"))
            outlets[nid] = []
            continue
        config = node.get("config") or {}
        found = list(check_config(nt, config, nid))
        if found:
            problems.extend(found)
        outlets[nid] = nt.outlets_for(config) if nt.dynamic_outlets else nt.outlets
    start = doc.get("start")
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif start not in by_id:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    adjacency: dict[str, list[str]] = {}
    connected: set[tuple[str, str]] = set()
    for edge in doc.get("edges", []):
        src, outlet, dst = edge["source"], edge["outlet"], edge["target"]
        if src not in by_id:
            problems.append(Problem("error", "edge_unknown_source", f"edge from unknown node {src!r}", src, "source"))
            continue
        if dst not in by_id:
            problems.append(Problem("error", "edge_unknown_target", f"outlet {outlet!r} goes to unknown node {dst!r}", src, f"outlets.{outlet}"))
            continue
        if (src, outlet) in connected:
            problems.append(Problem("error", "duplicate_edge", f"outlet {outlet!r} is connected twice", src, f"outlets.{outlet}"))
            continue
        if CATALOGUE.get(by_id[src]["type"]) is not None and outlet not in outlets[src]:
            problems.append(Problem("error", "unknown_outlet", f"{by_id[src]['type']} node has no outlet {outlet!r}", src, f"outlets.{outlet}"))
            continue
        connected.add((src, outlet))
        adjacency.setdefault(src, []).append(dst)
    for nid, names in outlets.items():
        for outlet in names:
            if (nid, outlet) not in connected:
                problems.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there", nid, f"outlets.{outlet}"))
    if start in by_id:
        seen = {start}
        queue = deque([start])
        while queue:
            for nxt in adjacency.get(queue.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        for nid in by_id:
            if nid not in seen:
                problems.append(Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None))
    return problems


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
