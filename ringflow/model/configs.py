"""Each node type's config as a typed ``msgspec.Struct``, built from the catalogue's fields.

A field's declaration in :mod:`ringflow.model.catalogue` (kind, limits, pattern, choices) is
turned into one annotated type here, so every shape check of a config (types, lengths,
ranges, enums, full-match patterns) runs inside msgspec's C decoder, for all configs of a type
in one call. What msgspec says on a refusal is mapped to the field and a sentence a person
understands (:func:`field_problem`). Rules that span fields or nodes are in
:mod:`ringflow.model.rules`; the JSON Schema and the editor's node types read the same types
(:mod:`ringflow.model.schema`), and the runtime compiles from them (``ringflow.runtime.compile``).
"""

from __future__ import annotations

import copy
import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

import msgspec

from ringflow.model.catalogue import (
    CATALOGUE,
    RESERVED_CONFIG_KEYS,
    SPLIT_OPS,
    WEEKDAYS,
    Field,
    NodeType,
)
from ringflow.model.document import MAX_NODES, EdgeShape, FlowName, NodeBase

MAX_TEXT_LONG = 4096  # one value of a template_map / string_map
LIST_ITEMS = 64  # entries of a string_list
LIST_ITEM_CHARS = 256
CASE_NAME_CHARS = 64
VAR_PATTERN = r"[A-Za-z_][A-Za-z0-9_]{0,63}"
TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]"


def whole(pattern: str) -> str:
    """``pattern`` as a full match: msgspec (like ``re.search``) looks anywhere in the text, and
    ``$`` also matches before a final newline, so "a\\n" passed ``^a$`` (issue 14, L5)."""
    core = pattern.removeprefix("^").removesuffix("$")
    return rf"\A(?:{core})\Z"


def _m(**limits: Any) -> msgspec.Meta:
    return msgspec.Meta(**{k: v for k, v in limits.items() if v is not None})


CaseName = Annotated[str, msgspec.Meta(min_length=1, max_length=CASE_NAME_CHARS)]


class Case(msgspec.Struct, gc=False):
    """One split case; its name is an outlet. Rules across cases are in ``rules.check_cases``."""

    name: CaseName
    op: Literal[SPLIT_OPS]  # type: ignore[valid-type]
    value: str | int | float = ""


Span = Annotated[list[Annotated[str, msgspec.Meta(pattern=whole(TIME_PATTERN))]], msgspec.Meta(min_length=2, max_length=2)]
Schedule: Any = dict[Literal[WEEKDAYS], list[Span]]  # type: ignore[valid-type]


def field_type(f: Field) -> Any:
    """The annotated type of one config field: everything msgspec can check about a value alone."""
    kind = f.kind
    if kind in ("string", "template"):
        pattern = whole(rf"(?:{f.pattern.removeprefix('^').removesuffix('$')})?") if f.pattern else None
        if f.required:  # not only spaces (the editor says "must not be empty")
            pattern = r"\S"
        return Annotated[str, _m(max_length=f.max_length, pattern=pattern)]
    if kind == "integer":
        return Annotated[int, _m(ge=f.minimum, le=f.maximum)]
    if kind == "number":
        return Annotated[int | float, _m(ge=f.minimum, le=f.maximum)]
    if kind == "boolean":
        return bool
    if kind == "enum":
        return Literal[f.choices]
    if kind == "string_list":
        item = Annotated[str, msgspec.Meta(max_length=LIST_ITEM_CHARS)]
        return Annotated[list[item], _m(max_length=LIST_ITEMS, min_length=1 if f.required else None)]
    if kind == "template_map":
        return dict[Annotated[str, msgspec.Meta(pattern=whole(VAR_PATTERN))], Annotated[str, msgspec.Meta(max_length=MAX_TEXT_LONG)]]
    if kind == "string_map":
        return dict[str, Annotated[str, msgspec.Meta(max_length=MAX_TEXT_LONG)]]
    if kind == "cases":
        return list[Case]
    if kind == "schedule":
        return Schedule
    if kind == "date_list":
        return list[date]
    if kind == "object":
        return dict[str, Any]
    raise ValueError(f"field {f.name} has unknown kind {kind}")  # pragma: no cover - catalogue bug


def _default(f: Field) -> Any:
    """The field's default; a new list or dict for each config (called per decoded config: cheap)."""
    value = f.default
    if isinstance(value, (list, dict)):
        return msgspec.field(default_factory=(type(value) if not value else lambda: copy.deepcopy(value)))
    return value


def _schema_extras(f: Field) -> dict[str, Any]:
    """What the JSON Schema says of a field beyond its type: the editor's widget (``x-kind``),
    Liquid text, suggested values."""
    extras: dict[str, Any] = {"x-kind": f.kind}
    if f.kind == "template":
        extras["x-template"] = "liquid"
    if f.kind in ("string", "template") and f.choices:
        extras["examples"] = list(f.choices)
    return extras


def _struct(nt: NodeType) -> type[msgspec.Struct]:
    """The config Struct of one node type: unknown keys are refused (validation warns about them),
    required fields have no default; ``studio``/``connect`` may carry an import's original."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in nt.fields:
        typ: Any = Annotated[field_type(f), msgspec.Meta(title=f.label, description=f.description,
                                                        extra_json_schema=_schema_extras(f))]
        fields.append((f.name, typ) if f.required else (f.name, typ, _default(f)))
    fields += [(key, Any, None) for key in RESERVED_CONFIG_KEYS]
    ordered = [f for f in fields if len(f) == 2] + [f for f in fields if len(f) == 3]  # required first
    name = "".join(part.capitalize() for part in nt.name.split("_")) + "Config"
    return msgspec.defstruct(name, ordered, forbid_unknown_fields=True, module=__name__, gc=False)


CONFIGS: dict[str, type[msgspec.Struct]] = {name: _struct(nt) for name, nt in CATALOGUE.items()}
"""Node type -> its config Struct."""
FIELD_TYPES: dict[str, dict[str, Any]] = {name: {f.name: field_type(f) for f in nt.fields} for name, nt in CATALOGUE.items()}


def _node_struct(nt: NodeType) -> Any:
    """A node of this type with its config typed: one variant of ``TypedDoc``'s tagged union. The
    config may be left out only when the type has no required field."""
    config = CONFIGS[nt.name]
    required = any(f.required for f in nt.fields)
    field: tuple[str, Any] | tuple[str, Any, Any] = ("config", config) if required else ("config", Union[config, None], None)  # noqa: UP007 - a Union built at run time
    name = "".join(part.capitalize() for part in nt.name.split("_")) + "Node"
    return msgspec.defstruct(name, [field], bases=(NodeBase,), tag_field="type", tag=nt.name, kw_only=True,
                             forbid_unknown_fields=True, module=__name__, gc=False)


NODE_STRUCTS: dict[type[msgspec.Struct], str] = {_node_struct(nt): name for name, nt in CATALOGUE.items()}
"""Each typed node Struct and its type's name (the tag is not an attribute of a decoded node)."""
TypedNode = Union[tuple(NODE_STRUCTS)]  # type: ignore[valid-type]  # noqa: UP007 - a Union built at run time
"""Any node of a known type, its config checked by its type's Struct (tagged on ``type``)."""


class TypedDoc(msgspec.Struct, forbid_unknown_fields=True):
    """A document whose every node has a known type and a config without a fault msgspec can
    see: decoding into it is the whole shape check of a sound document, in one pass."""

    name: FlowName = "Untitled flow"
    start: str | None = None
    description: Any = None
    nodes: Annotated[list[TypedNode], msgspec.Meta(max_length=MAX_NODES)] = []  # type: ignore[valid-type]
    edges: list[EdgeShape] = []


@lru_cache(maxsize=64)
def list_type(type_name: str) -> Any:
    """``list[Config]`` of a node type: all its configs are checked in one msgspec call."""
    return list[CONFIGS[type_name]]  # type: ignore[valid-type]


def is_valid(value: Any, typ: Any) -> msgspec.ValidationError | None:
    """msgspec's refusal of ``value`` as ``typ``, or None when it fits."""
    try:
        msgspec.convert(value, typ)
    except msgspec.ValidationError as exc:
        return exc
    return None


_KIND_TYPE_MESSAGE = {
    "string": "must be text", "template": "must be text", "integer": "must be a whole number", "number": "must be a number",
    "boolean": "must be true or false", "string_list": "must be a list of short texts", "template_map": "must map names to texts",
    "string_map": "must map names to texts", "cases": "must be a list of cases", "date_list": "must be a list of dates",
    "schedule": "must map weekdays to [[open, close], ...]", "object": "must be an object",
}
_LENGTH = re.compile(r"Expected `(str|array)` of length (<=|>=) (\d+)")
_RANGE = re.compile(r"Expected `(?:int|float)` (>=|<=) (\S+)")


def field_problem(f: Field, value: Any, error: msgspec.ValidationError) -> str:
    """What is wrong with ``value`` for field ``f``, for people, from msgspec's refusal."""
    said = str(error)
    nested = "at `$[" in said or "at `$." in said
    if f.kind == "enum":
        return f"must be one of {', '.join(f.choices)}"
    if f.kind in ("string", "template") and not nested:
        if not isinstance(value, str):
            return "must be text"
        if (found := _LENGTH.search(said)) and found.group(2) == "<=":
            return f"is {len(value)} characters; the limit is {f.max_length}"
        if f.required:
            return "must not be empty"
        hint = f" (e.g. {', '.join(f.choices[:4])})" if f.choices else ""
        return f"{value[:64]!r} is not a value Twilio accepts{hint}"
    if f.kind in ("integer", "number") and (found := _RANGE.search(said)):
        return f"must be at {'least' if found.group(1) == '>=' else 'most'} {float(found.group(2)):g}"
    if f.kind == "string_list" and not nested and isinstance(value, list):
        return f"holds at most {LIST_ITEMS} items" if len(value) > LIST_ITEMS else "must not be empty"
    if f.kind in ("template_map", "string_map") and isinstance(value, dict):
        return _map_problem(f, value)
    if f.kind == "cases":
        return _case_problem(value)
    if f.kind == "schedule":
        return _schedule_problem(value)
    if f.kind == "date_list" and isinstance(value, list):
        bad = next((v for v in value if is_valid(v, date) is not None), None)
        return f"{bad!r} is not a date like 2026-12-25"
    return _KIND_TYPE_MESSAGE[f.kind]


def _map_problem(f: Field, value: dict[Any, Any]) -> str:
    for key, text in value.items():
        if not isinstance(text, str):
            return "must map names to texts"
        if f.kind == "template_map" and is_valid(key, Annotated[str, msgspec.Meta(pattern=whole(VAR_PATTERN))]) is not None:
            return f"{key!r} is not a valid variable name (letters, digits, _; not starting with a digit)"
        if len(text) > MAX_TEXT_LONG:
            return f"{key!r} is over {MAX_TEXT_LONG} characters"
    return "must map names to texts"


def _case_problem(value: Any) -> str:
    if not isinstance(value, list):
        return "must be a list of cases"
    for i, case in enumerate(value):
        if not isinstance(case, dict):
            return f"case {i + 1} must be an object"
        name = case.get("name")
        if is_valid(name, CaseName) is not None:
            return f"case {i + 1} needs a name (its outlet)"
        if case.get("op") not in SPLIT_OPS:
            return f"case {name!r}: op must be one of {', '.join(SPLIT_OPS)}"
        if is_valid(case.get("value", ""), Union[str, int, float]) is not None:  # noqa: UP007 - a Union built at run time
            return f"case {name!r}: value must be text or a number"
    return "must be a list of cases"


def _schedule_problem(value: Any) -> str:
    if not isinstance(value, dict):
        return "must map weekdays to [[open, close], ...]"
    for day, spans in value.items():
        if day not in WEEKDAYS:
            return f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})"
        if not isinstance(spans, list):
            return f"{day}: must be a list of [open, close] pairs"
        for span in spans:
            if is_valid(span, Span) is not None:
                return f"{day}: {span!r} is not a pair of HH:MM times"
    return "must map weekdays to [[open, close], ...]"
