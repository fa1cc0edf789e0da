"""Opaque keyset cursors: base64 of the last row's sort key, so a deep page costs what the
first one does (no OFFSET) and clients cannot depend on what is inside."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from ringflow.store.base import BadCursor


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """The sort key inside ``cursor`` (checked against ``types``), None for no cursor."""
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str) or len(cursor) > 512:
        raise BadCursor("the cursor is not one this server gave out")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise BadCursor("the cursor is not one this server gave out") from None
    if not isinstance(key, list) or len(key) != len(types):
        raise BadCursor("the cursor is not one this server gave out")
    for value, kind in zip(key, types):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadCursor("the cursor is not one this server gave out")
        if isinstance(value, int) and not -(2**63) <= value < 2**63:  # the database's BIGINT would overflow (a 500)
            raise BadCursor("the cursor is not one this server gave out")
    return tuple(key)
