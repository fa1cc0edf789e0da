"""Per-node config checks that say exactly what is wrong, field by field.

These build the messages users see. They are the reference the fast path in
:mod:`ringflow.model.fastcheck` must agree with: a node the fast path cannot clear comes here.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liquid import Environment
from liquid.exceptions import LiquidError

from ringflow.model.catalogue import DATE_OPS, RESERVED_CONFIG_KEYS, SPLIT_OPS, TIME_OPS, WEEKDAYS, Field, NodeType
from ringflow.model.document import Problem
from ringflow.model.saferegex import PatternError, compile_pattern
from ringflow.runtime.limits import static_template_limit

_ENV = Environment()
# \Z, never $: $ also matches before a final newline, so "09:00\n" passed (issue 14, L5)
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d\Z")
DIGIT_RE = re.compile(r"^[0-9*#]\Z")
VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
# Text whose only Liquid is plain output of a dotted path (``{{nodes.menu.digits}}``) is
# valid by construction; recognising it skips the parser for almost every real template.
# Written as runs of plain text between outputs, which the regex engine scans far faster than
# one alternation per character (tests/model/test_fastcheck.py checks it against that form).
SIMPLE_TEMPLATE_RE = re.compile(r"^[^{}%]*(?:\{\{ ?[A-Za-z_][\w.]*(?:\[\d+\])?(?:\.[\w]+)* ?\}\}[^{}%]*)*\Z")
MAX_TEXT_LONG = 4096  # one value of a template_map / string_map
LIST_ITEMS = 64  # entries of a string_list
LIST_ITEM_CHARS = 256
CASE_NAME_CHARS = 64


@lru_cache(maxsize=4096)  # texts are at most 4 KB: at most ~17 MB however many distinct texts customers send
def template_error(source: str) -> str | None:
    """Why ``source`` is not a valid Liquid template, or None. Memoized: flows repeat texts."""
    if "{" not in source or SIMPLE_TEMPLATE_RE.match(source):
        return None
    try:
        _ENV.from_string(source)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return static_template_limit(source)


@lru_cache(maxsize=64)
def pattern(source: str) -> re.Pattern[str]:
    """A field's compiled ``pattern`` (the catalogue holds a handful)."""
    return re.compile(source)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
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
        if f.pattern and value and not pattern(f.pattern).fullmatch(value):
            hint = f" (e.g. {', '.join(f.choices[:4])})" if f.choices else ""
            return f"{value[:64]!r} is not a value Twilio accepts{hint}"
        return None
    if kind in ("integer", "number"):
        if not (is_int(value) if kind == "integer" else is_num(value)):
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
        if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= LIST_ITEM_CHARS for v in value):
            return "must be a list of short texts"
        if len(value) > LIST_ITEMS:
            return f"holds at most {LIST_ITEMS} items"
        if f.required and not value:
            return "must not be empty"
        return None
    if kind in ("template_map", "string_map"):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return "must map names to texts"
        for key, text in value.items():
            if kind == "template_map" and not VAR_RE.match(key):
                return f"{key!r} is not a valid variable name (letters, digits, _; not starting with a digit)"
            if len(text) > MAX_TEXT_LONG:
                return f"{key!r} is over {MAX_TEXT_LONG} characters"
            if kind == "template_map" and (why := template_error(text)):
                return f"{key!r}: {why}"
        return None
    if kind == "cases":
        return check_cases(value)
    if kind == "schedule":
        return check_schedule(value)
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



_TYPED_OPS = frozenset(("less_than", "greater_than", *TIME_OPS, *DATE_OPS))
"""Ops whose operand must parse (number, time, date) unless it is a template rendered at call time."""


def check_cases(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of cases"
    names: set[str] = set()
    for i, case in enumerate(value):
        if not isinstance(case, dict):
            return f"case {i + 1} must be an object"
        name, op, operand = case.get("name"), case.get("op"), case.get("value", "")
        if not isinstance(name, str) or not name or len(name) > CASE_NAME_CHARS:
            return f"case {i + 1} needs a name (its outlet)"
        if name in names or name == "no_match":
            return f"case name {name!r} is used twice or reserved"
        names.add(name)
        if op not in SPLIT_OPS:
            return f"case {name!r}: op must be one of {', '.join(SPLIT_OPS)}"
        if not isinstance(operand, (str, int, float)) or isinstance(operand, bool):
            return f"case {name!r}: value must be text or a number"
        if op in _TYPED_OPS and isinstance(operand, str) and ("{{" in operand or "{%" in operand):
            # a template operand (``{{flow.variables.max}}``) is only known at call time: the
            # engine renders it then (a value that is not a number, time or date never matches)
            if why := template_error(operand):
                return f"case {name!r}: {why}"
            continue
        if op == "regex":
            try:
                compile_pattern(str(operand))
            except PatternError as exc:
                return f"case {name!r}: bad regular expression ({exc})"
        if op in ("less_than", "greater_than"):
            try:
                float(operand)
            except ValueError:
                return f"case {name!r}: {op} needs a number"
        if op in TIME_OPS and not TIME_RE.match(str(operand)):
            return f"case {name!r}: {op} needs a time like 13:30"
        if op in DATE_OPS:
            try:
                date.fromisoformat(str(operand))
            except ValueError:
                return f"case {name!r}: {op} needs a date like 2026-12-25"
    return None


@lru_cache(maxsize=4096)
def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not even a zone key ("../x", "/abs")
        return False
    return True


def known_timezone(value: Any) -> bool:
    """An IANA zone the runtime can load, or empty (UTC): an unknown one ran as "always closed"."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and len(value) <= 64 and "\x00" not in value and _zone_exists(value)


def check_schedule(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must map weekdays to [[open, close], ...]"
    for day, spans in value.items():
        if day not in WEEKDAYS:
            return f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})"
        if not isinstance(spans, list):
            return f"{day}: must be a list of [open, close] pairs"
        for span in spans:
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) and TIME_RE.match(t) for t in span)):
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
            if not isinstance(d, str) or not DIGIT_RE.match(d):
                yield Problem("error", "bad_config", f"digit {d!r} must be one of 0-9, * or #", node_id, "config.digits")
        if len(set(config["digits"])) != len(config["digits"]):
            yield Problem("error", "bad_config", "a digit is listed twice", node_id, "config.digits")
    if nt.name == "business_hours" and not known_timezone(config.get("timezone", "UTC")):
        yield Problem("error", "bad_config", f"timezone {config.get('timezone')!r} is not a known IANA time zone "
                      "(e.g. Europe/Paris, America/New_York)", node_id, "config.timezone")
    if nt.name == "play" and not str(config.get("url") or "").strip() and not str(config.get("digits") or "").strip():
        yield Problem("error", "missing_config", "play needs a url or digits", node_id, "config.url")
    if nt.name == "enqueue" and not str(config.get("queue") or "").strip() and not str(config.get("workflow_sid") or "").strip():
        yield Problem("error", "missing_config", "enqueue needs a queue or a workflow_sid", node_id, "config.queue")
    if nt.name == "unsupported":
        platform = "Amazon Connect action" if config.get("platform") == "connect" else "Studio widget"
        yield Problem("error", "unsupported_node", f"Ringflow cannot execute {platform} {config.get('original_type')!s}", node_id, "type")
