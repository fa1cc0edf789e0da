"""A test call's steps in words: which node (by label), which outlet, and why.

The engine returns cheap tuples beside its trail (``Step.why``); this module turns one into
the ``{"node_id", "label", "outlet", "reason", ...}`` a person reads in the test panel and the
API answer. Pure: the business-hours local time comes from the ``now`` the engine was given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ringflow.runtime.compile import CompiledFlow

_OPS = {"equals": "equals", "not_equals": "does not equal", "contains": "contains", "starts_with": "starts with",
        "regex": "matches", "less_than": "is less than", "greater_than": "is greater than"}


def _label(cf: CompiledFlow, node: int) -> str:
    return cf.labels.get(node) or cf.ids[node]


def explain(cf: CompiledFlow, node: int, outlet: str, why: tuple[Any, ...] | None, variables: dict[str, str] | None) -> dict[str, Any]:
    """One traversal in words; ``variables``: the call's variables after the step (for Set's values)."""
    step: dict[str, Any] = {"node_id": cf.ids[node], "label": _label(cf, node), "outlet": outlet or None}
    kind = why[0] if why else None
    if kind == "digits":
        heard = why[1]  # type: ignore[index]
        step["heard"] = heard
        step["reason"] = (f"heard “{heard}”, which matches choice {outlet}" if outlet not in ("invalid", "timeout", "keypress")
                          else f"heard “{heard}”" if outlet == "keypress"
                          else f"heard “{heard}”, which is not a choice" if heard else "heard nothing before the timeout")
    elif kind == "retry":
        step["heard"] = why[1]  # type: ignore[index]
        step["reason"] = f"heard “{why[1]}”, not a choice: the prompt is played again" if why[1] else "heard nothing: the prompt is played again"  # type: ignore[index]
    elif kind == "speech":
        step["heard"] = why[1]  # type: ignore[index]
        step["reason"] = f"heard “{why[1]}”"  # type: ignore[index]
    elif kind == "split":
        _, value, case, op, expected = why  # type: ignore[misc]
        step.update(value=value, case=None if case == "no_match" else case)
        if case == "no_match":
            step["reason"] = f"the value “{value}” matched no case"
        else:
            step.update(op=op, expected=expected)
            step["reason"] = f"the value “{value}” {_OPS.get(op, op.replace('_', ' '))} “{expected}” (case {case})"
    elif kind == "hours":
        tz = cf.conf[node][0]
        local = datetime.fromtimestamp(why[1], tz)  # type: ignore[index]
        step.update(open=outlet == "open", local_time=local.strftime("%A %H:%M"), timezone=str(tz))
        holiday = local.date().isoformat() in cf.conf[node][2]
        step["reason"] = (f"{'open' if outlet == 'open' else 'closed'}: it is {local.strftime('%A %H:%M')} in {tz}"
                          + (" (a holiday)" if holiday else ""))
    elif kind == "http":
        step["status"] = why[1]  # type: ignore[index]
        step["reason"] = f"the server answered HTTP {why[1]}" if why[1] else "the request failed (no answer)"  # type: ignore[index]
    elif kind == "dial":
        step["status"] = why[1]  # type: ignore[index]
        step["reason"] = f"the dial ended: {str(why[1]).replace('-', ' ')}"  # type: ignore[index]
    elif kind == "set":
        values = {name: (variables or {}).get(name, "") for name in why[1]}  # type: ignore[index]
        step["variables_set"] = values
        step["reason"] = "set " + ", ".join(f"{k} = “{v}”" for k, v in values.items()) if values else "set nothing"
    elif kind == "record":
        step["reason"] = f"recorded {why[1]} s" if outlet == "recorded" else "no recording"  # type: ignore[index]
    elif outlet == "":
        step["reason"] = "the call ends here"
    return step
