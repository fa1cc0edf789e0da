"""Studio state names and Connect identifiers as Ringflow node ids, reversibly.

Node ids must match ``ID_RE`` and stay equal to the state name so that templates such as
``{{widgets.NAME.Digits}}`` keep resolving. Names that already fit are used unchanged; any
other character (and ``:`` itself, our escape) becomes ``:`` plus two hex digits per UTF-8 byte.
"""

from __future__ import annotations

import re

from ringflow.interop.errors import InteropError
from ringflow.model.document import MAX_ID

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_ESCAPE_RE = re.compile(r"(?::[0-9a-f]{2})+|:")


def name_to_id(name: str, state: str | None = None) -> str:
    """The node id for a state name; raises when even the escaped form is too long."""
    if not isinstance(name, str) or not name:
        raise InteropError("a state needs a non-empty name", state, "name")
    if all(c in _SAFE for c in name):
        out = name
    else:
        out = "".join(c if c in _SAFE else "".join(f":{b:02x}" for b in c.encode()) for c in name)
    if len(out) > MAX_ID:
        raise InteropError(f"the name is too long to become a node id (at most {MAX_ID} characters once escaped)", name, "name")
    return out


def id_to_name(node_id: str) -> str:
    """The state name for a node id (the inverse of :func:`name_to_id`)."""
    if ":" not in node_id:
        return node_id

    def unescape(m: re.Match[str]) -> str:
        if m.group(0) == ":":
            return "_"  # a native id's own colon: Studio names do not take one
        raw = bytes(int(h, 16) for h in m.group(0).split(":")[1:])
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return m.group(0).replace(":", "_")

    return _ESCAPE_RE.sub(unescape, node_id)
