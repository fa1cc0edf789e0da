"""The config rules msgspec cannot say alone: templates, split cases, schedules, time zones and
the rules that span two fields of a node. Written once, in plain Python, on config dicts whose
shape :mod:`ringflow.model.configs` already checked (each rule reads defensively all the same).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ringflow.model.catalogue import DATE_OPS, TIME_OPS, WEEKDAYS, config_value
from ringflow.model.configs import TIME_PATTERN, VAR_PATTERN, Case, whole
from ringflow.model.saferegex import PatternError, compile_pattern
from ringflow.runtime.limits import static_template_limit

TIME_RE = re.compile(whole(TIME_PATTERN))
DIGIT_RE = re.compile(r"\A[0-9*#]\Z")
VAR_RE = re.compile(whole(VAR_PATTERN))
# Text whose only Liquid is plain output of a dotted path (``{{nodes.menu.digits}}``) is
# valid by construction; recognising it skips the parser for almost every real template.
# a path Liquid surely parses: names joined by single dots, one optional [index] (no "a..b", "a.", "a.0")
SIMPLE_TEMPLATE_RE = re.compile(r"\A[^{}%]*(?:\{\{ ?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\[\d+\](?:\.[A-Za-z_]\w*)*)? ?\}\}[^{}%]*)*\Z")


@lru_cache(maxsize=1)
def _liquid() -> Any:
    """The Liquid parser, loaded on the first template the simple form cannot clear: importing
    python-liquid costs 0.1 s, a third of ``ringflow validate``'s start-up, and most flows
    never need it."""
    from liquid import Environment

    return Environment()


@lru_cache(maxsize=4096)  # texts are at most 4 KB: at most ~17 MB however many distinct texts customers send
def template_error(source: str) -> str | None:
    """Why ``source`` is not a valid Liquid template, or None. Memoized: flows repeat texts."""
    if "{" not in source or SIMPLE_TEMPLATE_RE.match(source):
        return None
    from liquid.exceptions import LiquidError

    try:
        _liquid().from_string(source)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return static_template_limit(source)


@lru_cache(maxsize=64)
def pattern(source: str) -> re.Pattern[str]:
    """A catalogue pattern compiled (the catalogue holds a handful)."""
    return re.compile(source)


_TYPED_OPS = frozenset(("less_than", "greater_than", *TIME_OPS, *DATE_OPS))
"""Ops whose operand must parse (number, time, date) unless it is a template rendered at call time."""


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_cases(cases: list[Case]) -> str | None:
    """Rules across a split's cases (each already of the right shape): names are outlets, so
    unique and not ``no_match``; typed operands parse; regexes run on RE2."""
    names: set[str] = set()
    for case in cases:
        name, op, operand = case.name, case.op, case.value
        if name in names or name == "no_match":
            return f"case name {name!r} is used twice or reserved"
        names.add(name)
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
        if op in DATE_OPS and not _is_date(str(operand)):
            return f"case {name!r}: {op} needs a date like 2026-12-25"
    return None


def check_schedule(schedule: dict[str, list[list[str]]]) -> str | None:
    """Each opening interval opens before it closes (the times are already HH:MM)."""
    for day, spans in schedule.items():
        for start, end in spans:
            if start >= end:
                return f"{day}: {start} is not before {end}"
    return None


def check_template_map(values: dict[str, str]) -> str | None:
    for key, text in values.items():
        if why := template_error(text):
            return f"{key!r}: {why}"
    return None


FIELD_RULES: dict[str, Callable[[Any], str | None]] = {
    "template": template_error, "template_map": check_template_map, "cases": check_cases, "schedule": check_schedule,
}
"""Kind -> the rule a value of that kind must also pass once its shape is right."""


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


Finding = tuple[str, str, str, str]
"""(severity, code, message, field) of one node's problem."""


@dataclass(frozen=True)
class NodeRule:
    """A rule across the fields of a node. ``reads`` names every field ``check`` reads, so
    validation runs it once per distinct combination of their values (``check`` may get any
    config with those values)."""

    reads: tuple[str, ...]
    check: Callable[[Any], list[Finding]]


def _menu(config: Any) -> list[Finding]:
    digits = config_value(config, "digits")
    if not isinstance(digits, list):
        return []
    found: list[Finding] = [("error", "bad_config", f"digit {d!r} must be one of 0-9, * or #", "config.digits")
                            for d in digits if not isinstance(d, str) or not DIGIT_RE.match(d)]
    if all(isinstance(d, str) for d in digits) and len(set(digits)) != len(digits):
        found.append(("error", "bad_config", "a digit is listed twice", "config.digits"))
    return found


def _hours(config: Any) -> list[Finding]:
    zone = config_value(config, "timezone", "UTC")
    if known_timezone(zone):
        return []
    return [("error", "bad_config", f"timezone {zone!r} is not a known IANA time zone (e.g. Europe/Paris, America/New_York)",
             "config.timezone")]


def _either(first: str, second: str, message: str) -> NodeRule:
    """A rule across two fields: at least one of them is set."""
    def rule(config: Any) -> list[Finding]:
        if str(config_value(config, first) or "").strip() or str(config_value(config, second) or "").strip():
            return []
        return [("error", "missing_config", message, f"config.{first}")]
    return NodeRule((first, second), rule)


def _unsupported(config: Any) -> list[Finding]:
    platform = "Amazon Connect action" if config_value(config, "platform") == "connect" else "Studio widget"
    return [("error", "unsupported_node", f"Ringflow cannot execute {platform} {config_value(config, 'original_type')!s}", "type")]


NODE_RULES: dict[str, NodeRule] = {
    "menu": NodeRule(("digits",), _menu),
    "business_hours": NodeRule(("timezone",), _hours),
    "play": _either("url", "digits", "play needs a url or digits"),
    "enqueue": _either("queue", "workflow_sid", "enqueue needs a queue or a workflow_sid"),
    "unsupported": NodeRule(("platform", "original_type"), _unsupported),
}
"""Type -> the rule across its fields, run on every node of the type after its fields."""

__all__ = [
    "FIELD_RULES",
    "NODE_RULES",
    "NodeRule",
    "WEEKDAYS",
    "check_cases",
    "check_schedule",
    "known_timezone",
    "pattern",
    "template_error",
]
