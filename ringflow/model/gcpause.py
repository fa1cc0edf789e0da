"""Pause the cyclic garbage collector around bulk, acyclic allocation.

Normalizing or validating a 500,000-node flow allocates millions of small containers; each
allocation burst triggers a full collection that re-scans every object already alive, which
makes the pass several times slower than its work. Nothing built there forms cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import orjson

F = TypeVar("F", bound=Callable[..., Any])


def gc_paused(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return wrapper  # type: ignore[return-value]


@gc_paused
def loads(raw: bytes | str) -> Any:
    """``orjson.loads`` with the collector paused: a 500,000-node document is millions of fresh
    containers, and collections during the parse doubled its time (2.2 -> 1.1 s measured)."""
    return orjson.loads(raw)
