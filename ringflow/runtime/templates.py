"""Liquid templates for flow configs, parsed once per flow and rendered in a sandbox.

Flows are written by customers, so a template must never read files, loop forever or
produce megabytes: the environment has no loader, no include/render tags, and bounded
loops, namespaces and output. Text without ``{{``/``{%`` is kept as a plain string, so
the common case costs nothing at call time.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

from liquid import Environment
from liquid.exceptions import LiquidError, ResourceLimitError

from ringflow.runtime.limits import LimitError, guard_filters, render_budget

MAX_OUTPUT = 16 * 1024
_ALIASES = {"Digits": "digits", "SpeechResult": "speech", "StatusCode": "status_code", "Parsed": "parsed"}


class _SandboxEnv(Environment):
    loop_iteration_limit = 1000
    local_namespace_limit = 64 * 1024
    output_stream_limit = MAX_OUTPUT
    context_depth_limit = 10


def _make_env() -> Environment:
    env = _SandboxEnv(strict_filters=False)
    for tag in ("include", "render"):  # nothing to include, and no file system either way
        env.tags.pop(tag, None)
    guard_filters(env.filters)  # values between filters and the render's CPU time (ringflow.runtime.limits)
    return env


ENV = _make_env()


class TemplateError(ValueError):
    """A template that cannot be parsed; raised at compile time so publishing can say where."""


_OUTPUT = re.compile(r"\{\{-?\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*-?\}\}")
_SCALARS = (str, int, float)


class Template:
    """A parsed template; ``render`` raises only LimitError (anything else broken renders empty).

    Most call-flow templates are plain ``{{ a.b.c }}`` substitutions. Those are resolved
    directly (about 50x faster than a full Liquid render); anything else, or a value that
    is not a plain scalar, goes through Liquid so the output is always Liquid's.
    """

    __slots__ = ("source", "_bound", "_parts")

    def __init__(self, source: str):
        self.source = source
        try:
            self._bound = ENV.from_string(source)
        except LiquidError as exc:
            raise TemplateError(str(exc)) from exc
        self._parts = _fast_parts(source)

    def render(self, context: Mapping[str, Any]) -> str:
        return self.render_with(context.get, lambda: context)

    def render_with(self, root: Callable[[str], Any], context: Callable[[], Mapping[str, Any]], deadline: float = 0.0) -> str:
        """Render resolving top-level names through ``root``; ``context`` builds the full
        context only when Liquid itself is needed (tags, filters, lists, booleans).
        ``deadline``: the answer's CPU deadline (see :mod:`ringflow.runtime.limits`), if any."""
        if self._parts is not None:
            out = []
            for part in self._parts:
                if isinstance(part, str):
                    out.append(part)
                    continue
                value = _lookup(root(part[0]), part)
                if type(value) is str:
                    out.append(value)
                    continue
                if value is None:
                    continue
                if value is _SLOW or isinstance(value, bool) or not isinstance(value, _SCALARS):
                    break  # let Liquid decide how lists, dicts, booleans and .size print
                out.append(str(value))
            else:
                return "".join(out)[:MAX_OUTPUT]
        try:
            with render_budget(deadline):
                return self._bound.render(**context())
        except LimitError:
            raise
        except ResourceLimitError as exc:  # Liquid's own loop, output and namespace limits
            raise LimitError(f"the template went over a limit: {str(exc).splitlines()[0]}") from None
        except RecursionError:
            raise LimitError("the template nests too deeply") from None
        except (LiquidError, ValueError, TypeError):
            return ""


def _fast_parts(source: str) -> list[str | tuple[str, ...]] | None:
    if "{%" in source:
        return None
    parts: list[str | tuple[str, ...]] = []
    pos = 0
    for m in _OUTPUT.finditer(source):
        if m.start() > pos:
            parts.append(source[pos:m.start()])
        parts.append(tuple(m.group(1).split(".")))
        pos = m.end()
    rest = source[pos:]
    if "{{" in rest or any(isinstance(p, str) and "{{" in p for p in parts):
        return None
    if rest:
        parts.append(rest)
    return parts


_SLOW = object()
_SPECIAL = frozenset({"size", "first", "last"})


def _lookup(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path[1:]`` from the root value; _SLOW when only Liquid knows the answer."""
    for key in path[1:]:
        try:
            value = value[key]  # None, numbers, strings and lists raise TypeError on a name
        except (KeyError, TypeError, IndexError):
            return _SLOW if key in _SPECIAL else None
    return value


def compile_text(source: Any) -> str | Template:
    """Plain text stays a str (shared by every call); anything with Liquid markup is parsed."""
    text = "" if source is None else str(source)
    if "{{" in text or "{%" in text:
        return Template(text)
    return text


def render(value: str | Template, context: Mapping[str, Any] | None) -> str:
    if isinstance(value, str):
        return value
    return value.render(context or {})


class NodeView(Mapping[str, Any]):
    """One node's results as templates see them, with Twilio Studio's names as aliases.

    Imported Studio flows say ``widgets.NAME.Digits`` or ``.SpeechResult``; Ringflow stores
    ``digits``/``speech`` once per call and answers both spellings here, at render time.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        return self._data[_ALIASES[key]] if key in _ALIASES and _ALIASES[key] in self._data else _missing(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class NodesView(Mapping[str, Any]):
    __slots__ = ("_outs",)

    def __init__(self, outs: Mapping[str, Any] | None):
        self._outs = outs or {}

    def __getitem__(self, key: str) -> Any:
        return NodeView(self._outs[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._outs)

    def __len__(self) -> int:
        return len(self._outs)


def _missing(key: str) -> Any:
    raise KeyError(key)


def build_context(call: tuple[str, ...], variables: Mapping[str, Any] | None, outs: Mapping[str, Any] | None,
                  data: Mapping[str, Any] | None = None, flow_key: Any = None) -> dict[str, Any]:
    """The render context: trigger.call, flow.* (variables, data, flow_sid, sid, channel), nodes.* and widgets.*."""
    from ringflow.runtime import callinfo  # trigger.*, contact.* and flow.channel as Studio names them

    nodes = NodesView(outs)
    return {
        "trigger": callinfo.trigger(call),
        "contact": callinfo.contact(call),
        "flow": {"variables": dict(variables or {}), "data": dict(data or {}), **callinfo.flow_context(call, flow_key)},
        "nodes": nodes,
        "widgets": nodes,
    }
