"""A test call's steps in words: which node (by label), which outlet, and why.

The engine returns, beside its trail, only the reasons nothing else records (``Step.why``: the
value a split compared, the digits a menu did not accept). The rest is read where it already
is: the call's ``outs`` (digits and speech heard, HTTP status, dial status, recording length),
its variables (what Set set) and the node's config with the engine's ``now`` (business hours'
verdict and local time). Pure: no clock of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ringflow.runtime.compile import GATHER, HOURS, HTTP, MENU, RECORD, SET, SPLIT, TRANSFER, CompiledFlow
from ringflow.runtime.state import CallState

_OPS = {"equals": "equals", "not_equals": "does not equal", "contains": "contains", "starts_with": "starts with",
        "regex": "matches", "less_than": "is less than", "greater_than": "is greater than"}


def explain(cf: CompiledFlow, node: int, outlet: str, why: tuple[Any, ...] | None, state: CallState, now: float) -> dict[str, Any]:
    """One traversal in words: ``{"node_id", "label", "outlet", "reason", ...details}``."""
    nid = cf.ids[node]
    step: dict[str, Any] = {"node_id": nid, "label": cf.labels.get(node) or nid, "outlet": outlet or None}
    kind = cf.kinds[node]
    out = (state.outs or {}).get(nid) or {}
    if outlet == "":
        step["reason"] = "the call ends here"
    elif kind == MENU:
        _menu(step, outlet, why)
    elif kind == GATHER:
        if outlet == "keypress":
            step.update(heard=out.get("digits"), reason=f"heard “{out.get('digits', '')}”")
        elif outlet == "speech":
            step.update(heard=out.get("speech"), reason=f"heard “{out.get('speech', '')}”")
        else:
            step["reason"] = "heard nothing before the timeout"
    elif kind == SPLIT and why:
        _, value, case, op, expected = why
        step.update(value=value, case=None if case == "no_match" else case)
        if case == "no_match":
            step["reason"] = f"the value “{value}” matched no case"
        else:
            step.update(op=op, expected=expected)
            step["reason"] = f"the value “{value}” {_OPS.get(op, str(op).replace('_', ' '))} “{expected}” (case {case})"
    elif kind == HOURS:
        hours = cf.conf[node]
        tz, holidays = hours.tz, hours.holidays
        local = datetime.fromtimestamp(now, tz)
        step.update(open=outlet == "open", local_time=local.strftime("%A %H:%M"), timezone=str(tz))
        step["reason"] = (f"{outlet}: it is {local.strftime('%A %H:%M')} in {tz}"
                          + (" (a holiday)" if local.date().isoformat() in holidays else ""))
    elif kind == HTTP:
        status = out.get("status_code")
        step.update(status=status, reason=f"the server answered HTTP {status}" if status else "the request failed (no answer)")
    elif kind == TRANSFER:
        step.update(status=out.get("status"), reason=f"the dial ended: {str(out.get('status', 'failed')).replace('-', ' ')}")
    elif kind == SET:
        values = {name: (state.vars or {}).get(name, "") for name, _ in cf.conf[node].variables}
        step.update(variables_set=values, reason="set " + ", ".join(f"{k} = “{v}”" for k, v in values.items()) if values else "set nothing")
    elif kind == RECORD:
        step["reason"] = f"recorded {out.get('duration', 0)} s" if outlet == "recorded" else "no recording"
    return step


def _menu(step: dict[str, Any], outlet: str, why: tuple[Any, ...] | None) -> None:
    heard = why[1] if why else None
    if outlet == "retry":
        step.update(heard=heard, reason=f"heard “{heard}”, not a choice: the prompt is played again" if heard
                    else "heard nothing: the prompt is played again")
    elif outlet in ("invalid", "timeout"):
        step.update(heard=heard, reason=f"heard “{heard}”, which is not a choice" if heard else "heard nothing before the timeout")
    else:
        step.update(heard=outlet, reason=f"heard “{outlet}”, which matches choice {outlet}")
