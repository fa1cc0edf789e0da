"""Twilio Studio flow definition -> Ringflow flow document.

Every state becomes a node whose id is the state name (escaped if needed, see ``names``),
placed at the widget's canvas offset. Widgets Ringflow executes become native nodes; the
others become ``unsupported`` nodes that validation reports. Each node keeps the original
widget under ``config["studio"]`` (type, properties, transitions) so ``studio_export``
writes back exactly what was read. The trigger is not a node: its incomingCall target is
the flow's start, and the trigger itself rides along in the start node's stash.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ringflow.interop.errors import InteropError
from ringflow.interop.names import name_to_id
from ringflow.interop.studio_native import check_properties, import_native
from ringflow.interop.studio_widgets import (
    COND_OPS,
    KNOWN_WIDGETS,
    NATIVE_EVENTS,
    SECRET_PROPERTIES,
    TRIGGER,
    UNSUPPORTED_WIDGETS,
)
from ringflow.model.document import MAX_NAME, FlowDocument, normalize

_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\Z")
_SHORT_TIME_RE = re.compile(r"^(\d):([0-5]\d)\Z")
DEFAULT_NAME = "Imported Studio flow"


def _offset(props: dict[str, Any], state: str) -> tuple[float, float]:
    offset = props.get("offset", {"x": 0, "y": 0})
    if not isinstance(offset, dict):
        raise InteropError("must be an object {x, y}", state, "offset")
    out = []
    for axis in ("x", "y"):
        value = offset.get(axis, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InteropError(f"offset.{axis} must be a number", state, f"offset.{axis}")
        out.append(float(value))
    return out[0], out[1]


def condition_value(ctype: str, value: Any) -> Any:
    """A Studio condition operand in the form Ringflow's split op expects (dates ISO, HH:MM)."""
    if isinstance(value, str):
        if ctype in ("is_before_date", "is_after_date") and (m := _US_DATE_RE.match(value.strip())):
            return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
        if ctype in ("is_before_time", "is_after_time") and (m := _SHORT_TIME_RE.match(value.strip())):
            return f"0{m.group(1)}:{m.group(2)}"
    return "" if value is None else value


def _case_name(friendly: Any, index: int, taken: set[str]) -> str:
    base = friendly.strip()[:56] if isinstance(friendly, str) and friendly.strip() else f"match {index}"
    name, n = base, 2
    while name in taken or name == "no_match":
        name, n = f"{base} #{n}", n + 1
    taken.add(name)
    return name


def _split_cases(transitions: list[dict[str, Any]], state: str) -> list[dict[str, Any]]:
    """Fill each stashed match transition's outlet and return the split cases, in order."""
    cases: list[dict[str, Any]] = []
    taken: set[str] = set()
    for i, t in enumerate(transitions):
        if t.get("event") != "match":
            continue
        conds = t.get("conditions")
        where = f"transitions[{i}].conditions"
        if not isinstance(conds, list) or len(conds) != 1 or not isinstance(conds[0], dict):
            raise InteropError("a match transition needs exactly one condition (Ringflow tests one per branch)", state, where)
        cond = conds[0]
        ctype = cond.get("type")
        if not isinstance(ctype, str) or ctype not in COND_OPS:
            raise InteropError(f"unknown condition type {ctype!r}; known: {', '.join(COND_OPS)}", state, f"{where}[0].type")
        value = cond.get("value", "")
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            if value is not None:
                raise InteropError("must be text or a number", state, f"{where}[0].value")
        name = _case_name(cond.get("friendly_name"), len(cases) + 1, taken)
        t["_outlets"] = [name]
        cases.append({"name": name, "op": COND_OPS[ctype], "value": condition_value(ctype, value)})
    return cases


def _transitions(state: dict[str, Any], name: str, names: set[str]) -> list[dict[str, Any]]:
    raw = state.get("transitions", [])
    if not isinstance(raw, list):
        raise InteropError("must be a list", name, "transitions")
    seen: set[str] = set()
    out = []
    for i, t in enumerate(raw):
        if not isinstance(t, dict) or not isinstance(t.get("event"), str) or not t["event"]:
            raise InteropError("each transition needs an event name", name, f"transitions[{i}].event")
        nxt = t.get("next")
        if nxt is not None and (not isinstance(nxt, str) or nxt not in names):
            raise InteropError(f"goes to unknown state {nxt!r}", name, f"transitions[{i}].next")
        if t["event"] != "match":
            if t["event"] in seen:
                raise InteropError(f"event {t['event']!r} is listed twice", name, f"transitions[{i}].event")
            seen.add(t["event"])
        out.append(copy.deepcopy(t))
    return out


def _state_node(state: dict[str, Any], name: str, names: set[str]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """One Studio state as a node, plus its edges as (source id, outlet, target name)."""
    wtype = state.get("type")
    if not isinstance(wtype, str) or wtype not in KNOWN_WIDGETS:
        raise InteropError(f"unknown widget type {wtype!r}", name, "type")
    props = state.get("properties", {})
    if not isinstance(props, dict):
        raise InteropError("must be an object", name, "properties")
    x, y = _offset(props, name)
    props = {k: copy.deepcopy(v) for k, v in props.items() if k != "offset"}
    check_properties(wtype, props, name)
    transitions = _transitions(state, name, names)
    stash: dict[str, Any] = {"type": wtype}
    dropped = [k for k in SECRET_PROPERTIES if k in props]
    for key in dropped:
        del props[key]
    if dropped:
        stash["dropped_secrets"] = dropped
    if "offset" not in state.get("properties", {}):
        stash["no_offset"] = True
    extra = {k: copy.deepcopy(v) for k, v in state.items() if k not in ("name", "type", "properties", "transitions")}
    if extra:
        stash["extra"] = extra
    native = None if wtype in UNSUPPORTED_WIDGETS else import_native(wtype, props)
    if native is None:
        ntype = "unsupported"
        events = list(dict.fromkeys(t["event"] for t in transitions))
        config: dict[str, Any] = {"platform": "studio", "original_type": wtype, "properties": props, "outlets": events}
        for t in transitions:
            t["_outlets"] = [t["event"]]
    else:
        ntype, config = native
        stash["properties"] = props
        mapping = NATIVE_EVENTS.get(wtype, {})
        for t in transitions:
            if t["event"] in mapping:
                t["_outlets"] = list(mapping[t["event"]])
        if ntype == "split":
            config["cases"] = _split_cases(transitions, name)
        if ntype == "gather" and any(t["event"] == "speech" and t.get("next") for t in transitions):
            config["input"] = "both"  # Studio listens for speech once its transition is connected
    edges: list[tuple[str, str, str]] = []
    for t in transitions:
        if "_outlets" in t and isinstance(t.get("next"), str):
            edges.extend((name, outlet, t["next"]) for outlet in t["_outlets"])
            del t["next"]  # an edge now says where it goes; the export puts it back
    stash["transitions"] = transitions
    config["studio"] = stash
    node: dict[str, Any] = {"id": name_to_id(name, name), "type": ntype, "x": x, "y": y, "label": name[:200], "config": config}
    return node, edges


def _check_top(obj: Any) -> list[dict[str, Any]]:
    if not isinstance(obj, dict):
        raise InteropError("a Studio flow definition must be a JSON object")
    states = obj.get("states")
    if not isinstance(states, list) or not states:
        raise InteropError("must be a non-empty list of states", None, "states")
    if "initial_state" not in obj:
        raise InteropError("missing: the definition must name its initial_state (usually the trigger)", None, "initial_state")
    for i, s in enumerate(states):
        if not isinstance(s, dict):
            raise InteropError(f"states[{i}] must be an object", None, f"states[{i}]")
        if not isinstance(s.get("name"), str) or not s["name"]:
            raise InteropError(f"states[{i}] needs a name", None, f"states[{i}].name")
    return states


def studio_to_ringflow(obj: Any) -> FlowDocument:
    """Convert a Studio flow definition; raises :class:`InteropError` naming state and property."""
    states = _check_top(obj)
    names: set[str] = set()
    for s in states:
        if s["name"] in names:
            raise InteropError("two states have this name", s["name"], "name")
        names.add(s["name"])
    initial = obj["initial_state"]
    if not isinstance(initial, str) or initial not in names:
        raise InteropError(f"names no state ({initial!r})", None, "initial_state")
    nodes, edges, trigger, trigger_index = [], [], None, 0
    for index, s in enumerate(states):
        if s.get("type") == TRIGGER:
            if trigger is not None:
                raise InteropError("a flow has one trigger", s["name"], "type")
            trigger, trigger_index = s, index
            continue
        node, found = _state_node(s, s["name"], names)
        nodes.append(node)
        edges.extend(found)
    ids = {n["id"] for n in nodes}
    start, stash_t = _trigger(trigger, trigger_index, obj, names, initial)
    if trigger is None and initial in names:
        start = name_to_id(initial)
    if nodes:
        carrier = next((n for n in nodes if n["id"] == start), nodes[0])
        carrier["config"]["studio"]["trigger"] = stash_t
    description = obj.get("description")
    name = description.strip()[:MAX_NAME] if isinstance(description, str) and description.strip() else DEFAULT_NAME
    doc = {
        "name": name, "start": start if start in ids else None,
        "nodes": nodes,
        "edges": [{"source": name_to_id(s), "outlet": o, "target": name_to_id(t)} for s, o, t in edges],
    }
    if isinstance(description, str):
        doc["description"] = description
    return normalize(doc)


def _trigger(trigger: dict[str, Any] | None, index: int, obj: dict[str, Any], names: set[str],
             initial: str) -> tuple[str | None, dict[str, Any]]:
    """The start node id and everything an export needs to rebuild the trigger and top level."""
    top = {k: copy.deepcopy(v) for k, v in obj.items() if k != "states"}
    stash: dict[str, Any] = {"top": top, "index": index}
    if trigger is None:
        return None, stash
    name = trigger["name"]
    props = trigger.get("properties", {})
    if not isinstance(props, dict):
        raise InteropError("must be an object", name, "properties")
    _offset(props, name)
    transitions = _transitions(trigger, name, names)
    start = None
    for event in ("incomingCall", "incomingParent", "incomingMessage", "incomingRequest"):  # a messaging-only flow starts at its message
        t = next((t for t in transitions if t["event"] == event and t.get("next")), None)
        if t is not None:
            start = name_to_id(t["next"])
            t["_start"] = True
            del t["next"]
            break
    stash.update(name=name, properties=copy.deepcopy(props), transitions=transitions,
                 extra={k: copy.deepcopy(v) for k, v in trigger.items() if k not in ("name", "type", "properties", "transitions")})
    return start, stash
