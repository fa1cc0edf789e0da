"""Split ``regex`` cases on a linear-time engine (RE2), so no pattern can stall the server.

Python's ``re`` backtracks: ``^(a+)+$`` against thirty ``a`` and a ``!`` runs for seconds,
and caller speech reaches split inputs. RE2 matches in time linear in the text times the
pattern's program size and in bounded memory, so both are capped here: the text a case
looks at (``MAX_INPUT``), the compiled program (``MAX_PROGRAM``) and RE2's own memory
budget (``MAX_MEM``). The same compile runs at publish (the problems list says why a
pattern is refused: backreferences and lookaround have no linear-time form) and when a
published flow is compiled for calls.
"""

from __future__ import annotations

from typing import Any

import re2  # type: ignore[import-untyped]

MAX_INPUT = 4096  # characters of the value a case is matched against
MAX_PROGRAM = 1000  # RE2 program size: 1000 x 4096 steps stay under a few ms
MAX_MEM = 8 << 20  # bytes RE2 may use for one pattern (its DFA cache included)


class PatternError(ValueError):
    """A pattern RE2 refuses, or one too large to run within the limits."""


def _options(ignore_case: bool) -> Any:
    opts = re2.Options()
    opts.log_errors = False  # the reason is raised to the author, not printed on the server's stderr
    opts.max_mem = MAX_MEM
    opts.case_sensitive = not ignore_case
    return opts


def compile_pattern(pattern: str, ignore_case: bool = False) -> Any:
    """The compiled pattern (``.search(text)``), or PatternError saying why it cannot run."""
    try:
        rx = re2.compile(pattern, _options(ignore_case))
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        hint = " (backreferences and lookaround are not supported: matching must take linear time)" \
            if "perl operator" in why or "escape sequence" in why else ""
        raise PatternError(f"{why}{hint}") from None
    if rx.programsize > MAX_PROGRAM:
        raise PatternError(f"the pattern is too complex ({rx.programsize} steps; at most {MAX_PROGRAM})")
    return rx


def search(rx: Any, text: str) -> bool:
    """Does ``rx`` match anywhere in the first MAX_INPUT characters of ``text``?"""
    return rx.search(text[:MAX_INPUT]) is not None
