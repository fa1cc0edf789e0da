"""Whole-column config checks, compiled once from the catalogue: "every config here is fine".

Checking a 500,000-node flow node by node in Python costs seconds. Here each node type gets
one checker that looks at all configs of that type at once, field by field, with C-level
builtins (map, set, min, max, all) instead of a Python call per value, a chunk of configs at a
time so that a column's later passes find its values still in the CPU cache. It answers yes or no
and builds no message: on a no, :func:`suspects` narrows down to the configs at fault and the
caller runs the exact checks of :mod:`ringflow.model.fieldcheck` on those alone.

A checker may say no to a fine config (the exact checks then find nothing), but must never say
yes to one the exact checks would reject; tests/model/test_fastcheck.py holds it to that.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from itertools import chain, compress, filterfalse, repeat
from operator import contains, eq, itemgetter, lt
from typing import Any, Callable, Mapping, Sequence

try:  # the C kernels; without a compiler at install time their Python twins below do the same
    from ringflow.model._kernels import columns as native_columns, unclear as native_unclear
except ImportError:
    native_columns = native_unclear = None

from ringflow.model.catalogue import CATALOGUE, DATE_OPS, RESERVED_CONFIG_KEYS, SPLIT_OPS, TIME_OPS, WEEKDAYS, Field, NodeType
from ringflow.model.fieldcheck import (CASE_NAME_CHARS, DIGIT_RE, LIST_ITEM_CHARS, LIST_ITEMS, MAX_TEXT_LONG, SIMPLE_TEMPLATE_RE,
                                       VAR_RE, check_cases, known_timezone, pattern, template_error)

Column = Callable[[list[Any]], bool]
"""Says whether every value of one field (across the configs that set it) is fine."""
Checker = Callable[..., bool]
"""check(configs, found=None): every config of one type and key set is fine."""

ALWAYS_REPORTED = frozenset({"unsupported"})
"""Types whose every node gets a problem (fieldcheck.check_config says so): no fast yes."""
_PLAIN_OPS = frozenset(SPLIT_OPS) - {"regex", "less_than", "greater_than", *TIME_OPS, *DATE_OPS}
_WEEKDAYS = frozenset(WEEKDAYS)
_DIGITS = itemgetter("digits")
_OPERAND_TYPES = frozenset((str, int, float))
_variable = VAR_RE.match
_TIMES = frozenset(f"{h:02}:{m:02}" for h in range(24) for m in range(60))
"""Every HH:MM that fieldcheck.TIME_RE accepts, as plain text (it accepts a few odd forms too; those go to the exact check)."""


def _only(values: Any, *types: type) -> bool:
    """Every value is exactly of one of ``types`` (a subclass takes the exact path)."""
    return set(map(type, values)) <= set(types)


def unclear_py(texts: list[Any]) -> list[Any]:
    """The texts with a brace that the simple-template regex cannot clear (``unclear`` in Python)."""
    braced = compress(texts, map(contains, texts, repeat("{")))
    return list(filterfalse(SIMPLE_TEMPLATE_RE.match, braced))


def templates_ok(texts: list[str]) -> bool:
    """Every text parses as Liquid: text with a brace must be plain text with outputs of dotted
    paths (``_templates.c``, or the regex it stands in for), and only what that cannot clear goes
    to the parser (each distinct text once)."""
    unclear = native_unclear(texts) if native_unclear is not None and type(texts) is list else unclear_py(texts)
    return all(template_error(t) is None for t in set(unclear))


@lru_cache(maxsize=4096)
def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _text(f: Field) -> Column:
    limit, required, template = f.max_length, f.required, f.kind == "template"
    match = pattern(f.pattern).fullmatch if f.pattern else None

    def check(values: list[Any]) -> bool:
        if not _only(values, str) or max(map(len, values)) > limit:
            return False
        if required and not all(map(str.strip, values)):
            return False
        if match is not None and not all(map(match, filter(None, set(values)))):
            return False
        return not template or templates_ok(values)
    return check


def _number(f: Field) -> Column:
    types = (int,) if f.kind == "integer" else (int, float)
    low, high = f.minimum, f.maximum

    def check(values: list[Any]) -> bool:
        # "not >=" rather than "<": a NaN that min() returns is refused, never let through
        return (_only(values, *types) and (low is None or min(values) >= low)
                and (high is None or max(values) <= high))
    return check


def _boolean(f: Field) -> Column:
    return lambda values: _only(values, bool)


def _enum(f: Field) -> Column:
    choices = frozenset(f.choices)
    return lambda values: _only(values, str) and choices.issuperset(values)


def _string_list(f: Field) -> Column:
    required = f.required

    def check(values: list[Any]) -> bool:
        if not _only(values, list) or max(map(len, values)) > LIST_ITEMS or (required and not all(values)):
            return False
        items = list(chain.from_iterable(values))
        return _only(items, str) and max(map(len, items), default=0) <= LIST_ITEM_CHARS
    return check


def _text_map(f: Field) -> Column:
    template = f.kind == "template_map"

    def check(values: list[Any]) -> bool:
        """Text values within the limit; for templates, variable names as keys and Liquid that parses."""
        if not _only(values, dict):
            return False
        texts = list(chain.from_iterable(map(dict.values, values)))
        if not _only(texts, str) or max(map(len, texts), default=0) > MAX_TEXT_LONG:
            return False
        if not template:
            return True
        names = set(chain.from_iterable(values))
        return _only(names, str) and all(map(_variable, names)) and templates_ok(texts)
    return check


def _case_list_fine(value: Any) -> bool:
    """One split's cases in one pass (nested values are read once each, far apart in a big flow)."""
    if type(value) is not list:
        return False
    names = set()
    for case in value:
        if type(case) is not dict:
            return False
        name = case.get("name")
        if type(name) is not str or not 0 < len(name) <= CASE_NAME_CHARS or name in names or name == "no_match":
            return False
        if case.get("op") not in _PLAIN_OPS:  # operands that need parsing (regex, dates...): the exact check
            return check_cases(value) is None
        if type(case.get("value", "")) not in _OPERAND_TYPES:
            return False
        names.add(name)
    return True


def _cases(f: Field) -> Column:
    return lambda values: all(map(_case_list_fine, values))


def _schedule(f: Field) -> Column:
    return _schedules_fine


def _schedules_fine(values: list[Any]) -> bool:
    """Schedules as columns: weekdays to lists of [open, close] pairs of valid HH:MM times, open
    first. Flattened, a chunk's spans alternate open and close; a set lookup replaces the regex."""
    if not _only(values, dict) or not _WEEKDAYS.issuperset(chain.from_iterable(values)):
        return False
    day_spans = list(chain.from_iterable(map(dict.values, values)))
    if not _only(day_spans, list):
        return False
    spans = list(chain.from_iterable(day_spans))
    if not _only(spans, list) or not set(map(len, spans)) <= {2}:
        return False
    times = list(chain.from_iterable(spans))
    return _TIMES.issuperset(times) and all(map(lt, times[0::2], times[1::2]))


def _date_list(f: Field) -> Column:
    def check(values: list[Any]) -> bool:
        if not _only(values, list):
            return False
        items = set(chain.from_iterable(values))
        return _only(items, str) and all(map(_is_date, items))
    return check


def _object(f: Field) -> Column:
    return lambda values: _only(values, dict)


_BY_KIND: dict[str, Callable[[Field], Column]] = {
    "string": _text, "template": _text, "integer": _number, "number": _number, "boolean": _boolean,
    "enum": _enum, "string_list": _string_list, "template_map": _text_map, "string_map": _text_map,
    "cases": _cases, "schedule": _schedule, "date_list": _date_list, "object": _object,
}


def _menu_digits(configs: Sequence[Mapping[str, Any]]) -> bool:
    """fieldcheck's menu rule: each digit one of 0-9 * #, none twice (digits is required)."""
    lists = list(map(_DIGITS, configs))
    return (all(map(DIGIT_RE.match, set(chain.from_iterable(lists))))
            and all(map(eq, map(len, map(set, lists)), map(len, lists))))


def _play_source(configs: Sequence[Mapping[str, Any]]) -> bool:
    """fieldcheck's play rule: a url or digits (both already known to be text when set)."""
    return all((c.get("url") or "").strip() or (c.get("digits") or "").strip() for c in configs)


def _timezones(configs: Sequence[Mapping[str, Any]]) -> bool:
    """fieldcheck's business-hours rule: a time zone the runtime knows (few distinct ones per flow)."""
    return all(map(known_timezone, {c.get("timezone") for c in configs}))


def _enqueue_target(configs: Sequence[Mapping[str, Any]]) -> bool:
    """fieldcheck's enqueue rule: a queue or a workflow_sid (both already known to be text when set)."""
    return all((c.get("queue") or "").strip() or (c.get("workflow_sid") or "").strip() for c in configs)


_TYPE_RULES: dict[str, Checker] = {"menu": _menu_digits, "play": _play_source, "business_hours": _timezones,
                                   "enqueue": _enqueue_target}


def _plan(nt: NodeType, keys: tuple[Any, ...]) -> list[tuple[int, Column]] | None:
    """The columns to check (by position in ``keys``) for configs of type ``nt`` holding exactly
    ``keys``, or None when those keys alone bring a problem (an unknown setting, a required one missing)."""
    fields = nt.field_map()
    if not all(k in fields or k in RESERVED_CONFIG_KEYS for k in keys) or not all(f.name in keys for f in nt.fields if f.required):
        return None
    return [(j, _BY_KIND[fields[k].kind](fields[k])) for j, k in enumerate(keys) if k in fields]


CHUNK = 512
"""Configs checked together: every column pass over them then finds their values still in the CPU cache."""
_PLANS: dict[tuple[str, tuple[Any, ...]], list[tuple[int, Column]] | None] = {}
_UNPLANNED: list[tuple[int, Column]] = []


def columns_py(configs: Sequence[Mapping[str, Any]], keys: tuple[Any, ...]) -> list[list[Any]] | None:
    """``columns`` in Python: a tuple per config (one read each), then a pass per key."""
    if not set(map(type, configs)) <= {dict} or not set(map(len, configs)) <= {len(keys)}:
        return None
    try:
        found = list(map(itemgetter(*keys), configs)) if keys else []
    except KeyError:
        return None
    return [found] if len(keys) == 1 else [list(map(itemgetter(j), found)) for j in range(len(keys))]


def columns(configs: Sequence[Mapping[str, Any]], keys: tuple[Any, ...]) -> list[list[Any]] | None:
    """Each key's values, one list per key, or None unless every config is a dict holding
    exactly ``keys``: a key fetch that succeeds on dicts of the same size proves the same key set.
    The C version (``_columns.c``) reads each config once, a big flow's configs lying far apart."""
    if native_columns is not None and type(configs) is list and type(keys) is tuple:
        return native_columns(configs, keys)
    return columns_py(configs, keys)


def checker(type_name: str, keys: tuple[Any, ...]) -> Checker:
    """One yes/no check over configs of one type that all hold exactly ``keys`` (in any order);
    ``found`` is their :func:`columns` when the caller already has them."""
    plan_key = (type_name, keys)
    plan = _PLANS.get(plan_key, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = None if type_name in ALWAYS_REPORTED else _plan(CATALOGUE[type_name], keys)
        if len(_PLANS) < 4096:  # flows repeat a few key sets; odd documents must not grow this forever
            _PLANS[plan_key] = plan
    rule = _TYPE_RULES.get(type_name)

    def check(configs: Sequence[Mapping[str, Any]], found: list[list[Any]] | None = None) -> bool:
        if plan is None:
            return False
        if found is None:
            found = columns(configs, keys)
            if found is None:  # not every config holds exactly these keys
                return False
        for low in range(0, len(configs), CHUNK):
            if not all(column(found[j][low:low + CHUNK]) for j, column in plan):
                return False
            if rule is not None and not rule(configs[low:low + CHUNK]):
                return False
        return True
    return check


def all_fine(check: Checker, configs: Sequence[Mapping[str, Any]], found: list[list[Any]] | None = None) -> bool:
    """``check`` with any surprise (an unhashable value, a str compared to an int) taken as a no."""
    try:
        return check(configs, found)
    except Exception:  # noqa: BLE001 - a no only sends these configs to the exact checks
        return False


def suspects(check: Checker, configs: Sequence[Mapping[str, Any]], found: list[list[Any]] | None = None, offset: int = 0) -> list[int]:
    """Positions of the configs ``check`` cannot clear, found by halving (a few bad among many);
    ``found``, when given, is their :func:`columns`."""
    if all_fine(check, configs, found):
        return []
    if len(configs) <= 8:
        return list(range(offset, offset + len(configs)))
    half = len(configs) // 2
    low = high = None
    if found is not None:
        low, high = [c[:half] for c in found], [c[half:] for c in found]
    return suspects(check, configs[:half], low, offset) + suspects(check, configs[half:], high, offset + half)
