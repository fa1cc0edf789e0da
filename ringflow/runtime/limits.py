"""Resource limits on what a customer's flow makes the server compute: Liquid renders.

Every tenant's templates run on the shared event loop, so one render must stay small in
time and memory (docs/reliability.md, "Attacks of issue 14"). python-liquid already bounds
loops, namespaces and the final output; what it does not bound is the value *between*
filters (``'a' | replace: '', 'aaaaaaaaaa' | replace: ...`` grows elevenfold per filter) or
a filter over a huge lazy range (``(1..10000000) | join``). So every filter of the sandbox
environment is wrapped: it refuses inputs it would blow up *before* computing (sizes are
known in advance for the amplifying filters), checks its result, and checks a CPU deadline
for the whole render. Over a limit raises :class:`LimitError`, whose message the author
sees in the test call and the call history.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from typing import Any, Callable, Iterator

RENDER_CPU_SECONDS = 0.05  # one render's CPU budget (thread time: another tenant's work does not count)
ANSWER_SECONDS = 0.01  # loop time of all renders and split cases of one engine advance (wall clock: what others wait)
MAX_VALUE_CHARS = 64 * 1024  # a text a filter takes or makes (the HTTP node's body limit)
MAX_ITEMS = 10_000  # a list or range a filter takes or makes
MAX_INT_BITS = 4096  # a number a filter makes (times/plus chains of big integers)
_ORDER_FREE = frozenset({"size", "first", "last"})  # O(1) on a lazy range of any length

RENDER_TOO_LONG = f"the template took more than {int(RENDER_CPU_SECONDS * 1000)} ms of CPU; it was stopped"
ANSWER_TOO_LONG = (f"this answer's templates and conditions ran for more than {int(ANSWER_SECONDS * 1000)} ms; "
                   "the rest were skipped")


class LimitError(ValueError):
    """A render or a condition went over a limit; the message says which, for the author."""


class _Budget(threading.local):
    cpu = 0.0  # thread CPU time after which the render is stopped; 0: not rendering
    wall = 0.0  # perf_counter time after which the answer is stopped; 0: no answer deadline


_BUDGET = _Budget()


def answer_deadline() -> float:
    """The deadline of an answer that starts now (the engine takes one per advance, lazily).
    Wall clock on purpose: on a busy machine 10 ms of CPU can hold the loop for much longer."""
    return time.perf_counter() + ANSWER_SECONDS


def check_answer(deadline: float) -> None:
    if deadline and time.perf_counter() > deadline:
        raise LimitError(ANSWER_TOO_LONG)


class render_budget:
    """``with render_budget(answer_deadline):`` around one render: its filters stop at its own
    CPU budget or at the answer's deadline, whichever comes first. Nested, the outer one holds."""

    __slots__ = ("_answer", "_outer")

    def __init__(self, answer: float = 0.0):
        self._answer = answer

    def __enter__(self) -> None:
        b = _BUDGET
        self._outer = (b.cpu, b.wall)
        if b.cpu:
            return
        check_answer(self._answer)
        b.cpu, b.wall = time.thread_time() + RENDER_CPU_SECONDS, self._answer

    def __exit__(self, *exc: Any) -> None:
        _BUDGET.cpu, _BUDGET.wall = self._outer


def check_deadline() -> None:
    b = _BUDGET
    if b.cpu and time.thread_time() > b.cpu:
        raise LimitError(RENDER_TOO_LONG)
    if b.wall and time.perf_counter() > b.wall:
        raise LimitError(ANSWER_TOO_LONG)


def _length(value: Any) -> int | None:
    """Items of a sized container (a range's length without building it); None for scalars."""
    if isinstance(value, (str, bytes, dict)):
        return None
    try:
        return len(value)
    except TypeError:
        return None


def _check_value(name: str, value: Any, what: str) -> None:
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise LimitError(f"filter {name}: the {what} text has {len(value):,} characters; at most {MAX_VALUE_CHARS:,} "
                             "may pass between filters")
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise LimitError(f"filter {name}: the {what} number is too large (over {MAX_INT_BITS} bits)")
    else:
        n = _length(value)
        if n is not None and n > MAX_ITEMS:
            raise LimitError(f"filter {name}: the {what} list has {n:,} items; at most {MAX_ITEMS:,} may pass between filters")


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value)) if value is not None else 0


def _predict(name: str, left: Any, args: tuple[Any, ...]) -> int:
    """The length of the text an amplifying filter would make, computed before making it."""
    if name == "replace" and isinstance(left, str) and len(args) >= 1:
        old, new = str(args[0]), (str(args[1]) if len(args) > 1 and args[1] is not None else "")
        hits = len(left) + 1 if old == "" else left.count(old)
        return len(left) + hits * (len(new) - len(old))
    if name in ("replace_first", "replace_last", "append", "prepend") and args:
        return _text_size(left) + sum(_text_size(a) for a in args)
    if name == "join":
        n = _length(left) or 0
        sep = str(args[0]) if args and args[0] is not None else " "
        return n * len(sep) + (sum(_text_size(x) for x in left) if n and n <= MAX_ITEMS else 0)
    return 0


def _guard(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(left: Any, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if name not in _ORDER_FREE:
            _check_value(name, left, "input")
        for a in args:
            _check_value(name, a, "argument")
        if _predict(name, left, args) > MAX_VALUE_CHARS:
            raise LimitError(f"filter {name}: the result would be over {MAX_VALUE_CHARS:,} characters")
        out = func(left, *args, **kwargs)
        if isinstance(out, Iterator):  # a lazy result is counted as it is made
            out = list(_bounded(name, out))
        _check_value(name, out, "result")
        return out

    for attr in ("with_context", "with_environment", "validate"):
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    return guarded


def _bounded(name: str, items: Iterator[Any]) -> Iterator[Any]:
    for i, item in enumerate(items):
        if i >= MAX_ITEMS:
            raise LimitError(f"filter {name}: the result list has over {MAX_ITEMS:,} items")
        yield item


def guard_filters(filters: dict[str, Callable[..., Any]]) -> None:
    """Wrap every filter of an environment (in place) with the checks above."""
    for name, func in list(filters.items()):
        filters[name] = _guard(name, func)


_RANGE = re.compile(r"\(\s*(-?\d{1,30})\s*\.\.\s*(-?\d{1,30})\s*\)")


def static_template_limit(source: str) -> str | None:
    """What a template is sure to go over, known without running it (its constant ranges)."""
    for m in _RANGE.finditer(source):
        n = int(m.group(2)) - int(m.group(1)) + 1
        if n > MAX_ITEMS:
            return f"uses the range {m.group(0)} of {n:,} items; a template may use at most {MAX_ITEMS:,}"
    return None
