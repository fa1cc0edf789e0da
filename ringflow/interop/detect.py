"""Which platform a parsed JSON document comes from, by the keys each format requires."""

from __future__ import annotations

from typing import Any, Literal

from ringflow.interop.errors import InteropError

Format = Literal["ringflow", "studio", "connect"]
FORMATS: tuple[str, ...] = ("ringflow", "studio", "connect")


def detect_format(obj: Any) -> Format:
    """``studio`` (states + initial_state/flags), ``connect`` (Actions + StartAction/Version) or ``ringflow`` (nodes)."""
    if isinstance(obj, dict):
        if isinstance(obj.get("states"), list) and ("initial_state" in obj or "flags" in obj):
            return "studio"
        if isinstance(obj.get("Actions"), list) and ("StartAction" in obj or "Version" in obj):
            return "connect"
        if "nodes" in obj or "edges" in obj:
            return "ringflow"
        if isinstance(obj.get("states"), list):
            return "studio"
    raise InteropError("not a Ringflow, Twilio Studio or Amazon Connect flow document "
                       "(expected 'nodes', Studio's 'states' and 'initial_state', or Connect's 'Actions' and 'StartAction')")
