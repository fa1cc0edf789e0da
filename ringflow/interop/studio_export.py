"""Ringflow flow document -> Twilio Studio flow definition.

Native nodes become the matching widgets. A node imported from Studio is written back
from its stash (``config["studio"]``): properties are a three-way merge (the original,
what the import made of it, what the node says now) so untouched widgets come back
byte-for-byte equal while settings edited in Ringflow win. Edges give every ``next``.
"""

from __future__ import annotations

import copy
from typing import Any

from ringflow.interop.errors import InteropError
from ringflow.interop.names import id_to_name
from ringflow.interop.shapes import as_dict
from ringflow.interop.studio_import import DEFAULT_NAME, condition_value
from ringflow.interop.studio_native import export_native, import_native, to_studio_text
from ringflow.interop.studio_widgets import COND_TYPES, EXPORT_EVENTS, TRIGGER_EVENTS, WIDGET_ALIASES
from ringflow.model.catalogue import RESERVED_CONFIG_KEYS, outlets_of
from ringflow.model.document import MAX_NAME, FlowDocument

Props = dict[str, Any]


def merge_properties(original: Props, base: Props, current: Props) -> Props:
    """Original properties, with every setting that differs between base and current applied."""
    out = copy.deepcopy(original)
    for key, value in current.items():
        if key not in base or base[key] != value:
            out[key] = copy.deepcopy(value)
    for key in base:
        if key not in current:
            out.pop(key, None)
    return out


def _cases(config: Props) -> list[Props]:
    """The split's cases; one that is not {name, op, value} cannot become a Studio condition."""
    cases = config.get("cases") or []
    if not isinstance(cases, list):
        raise InteropError("must be a list of cases", None, "config.cases")
    for i, case in enumerate(cases):
        if not (isinstance(case, dict) and isinstance(case.get("name"), str) and isinstance(case.get("op"), str)
                and case["op"] in COND_TYPES and isinstance(case.get("value", ""), (str, int, float))):
            raise InteropError(f"case {i + 1} is not a valid split case (name, op, value)", None, f"config.cases[{i}]")
    return cases


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Exporter:
    def __init__(self, doc: FlowDocument):
        self.doc = doc
        self.nodes = {n["id"]: n for n in doc.get("nodes", [])}
        self.edges = {(e["source"], e["outlet"]): e["target"] for e in doc.get("edges", [])}
        self.names = {nid: id_to_name(nid) for nid in self.nodes}
        self.state_names = {self.names[nid] for nid, n in self.nodes.items() if n["type"] != "hangup"}

    def target(self, node_id: str | None) -> str | None:
        """The state name a transition to this node writes as ``next`` (hang-ups have none)."""
        node = self.nodes.get(node_id or "")
        return None if node is None or node["type"] == "hangup" else self.names[node["id"]]

    def next_of(self, node_id: str, outlets: Any) -> str | None:
        for outlet in outlets:
            found = self.target(self.edges.get((node_id, outlet)))
            if found:
                return found
        return None

    def transition(self, node_id: str, event: str, outlets: Any, extra: Props | None = None) -> Props:
        out: Props = {"event": event, **(extra or {})}
        nxt = self.next_of(node_id, outlets)
        if nxt:
            out["next"] = nxt
        return out

    # -- one node -------------------------------------------------------------------

    def node_states(self, node: Any) -> list[Props]:
        ntype, config = node["type"], node.get("config") or {}
        if ntype == "hangup":
            return []
        if ntype == "menu":
            return self.menu_states(node)
        plain = {k: v for k, v in config.items() if k not in RESERVED_CONFIG_KEYS}
        stash = config.get("studio") if isinstance(config.get("studio"), dict) else None
        like = stash.get("type") if stash and WIDGET_ALIASES.get(stash.get("type")) == ntype else None
        wtype, current = export_native(ntype, plain, like)
        if stash and not (isinstance(stash.get("properties", {}), dict) and isinstance(stash.get("transitions", []), list)):
            stash = None  # not what an import wrote: export the node as it is now
        if stash and stash.get("type") == wtype:
            props, base_input = self.merged(ntype, wtype, stash, current)
            transitions = self.stashed_transitions(node, stash, plain, base_input)
        else:
            stash, props = None, current
            transitions = self.fresh_transitions(node, wtype, plain)
        if not (stash and stash.get("no_offset") and node["x"] == 0 and node["y"] == 0):
            props["offset"] = {"x": _num(node["x"]), "y": _num(node["y"])}
        state: Props = {"name": self.names[node["id"]], "type": wtype, "transitions": transitions, "properties": props}
        if stash and isinstance(stash.get("extra"), dict):
            state.update(copy.deepcopy(stash["extra"]))
        return [state]

    def merged(self, ntype: str, wtype: str, stash: Props, current: Props) -> tuple[Props, str | None]:
        if ntype == "unsupported":
            return current, None
        original = stash.get("properties") or {}
        native = import_native(wtype, original)
        if native is None or native[0] != ntype:
            return current, None
        base = export_native(*native, like=wtype)[1]
        return merge_properties(original, base, current), native[1].get("input")

    def stashed_transitions(self, node: Any, stash: Props, config: Props, base_input: str | None) -> list[Props]:
        nid, ntype = node["id"], node["type"]
        outlets = outlets_of(ntype, config)
        out: list[Any] = []
        covered: set[str] = set()
        for t in stash.get("transitions") or []:
            if not isinstance(t, dict):
                continue
            clean = {k: copy.deepcopy(v) for k, v in t.items() if not k.startswith("_")}
            if "_outlets" not in t:  # an event Ringflow does not run: kept as it was
                if isinstance(clean.get("next"), str) and clean["next"] not in self.state_names:
                    del clean["next"]
                out.append(clean)
                continue
            if ntype == "split" and t.get("event") == "match":
                out.append(t)  # a slot, filled below in the current case order
                continue
            live = [o for o in t["_outlets"] if o in outlets]
            if not live:
                continue  # the outlet was removed in Ringflow
            covered.update(live)
            nxt = self.next_of(nid, live)
            if nxt:
                clean["next"] = nxt
            out.append(clean)
        if ntype == "split":
            out = self.fill_matches(node, config, out, base_input, covered)
        for outlet in outlets:
            if outlet not in covered and (nid, outlet) in self.edges:
                out.append(self.transition(nid, self.event_for(ntype, outlet), [outlet]))
        return out

    def fill_matches(self, node: Any, config: Props, slots: list[Any], base_input: str | None, covered: set[str]) -> list[Props]:
        stashed = {t["_outlets"][0]: t for t in slots if isinstance(t, dict) and t.get("event") == "match" and t.get("_outlets")}
        cases = _cases(config)
        pending = iter(cases)
        out: list[Props] = []
        for item in slots:
            if isinstance(item, dict) and "_outlets" in item and item.get("event") == "match":
                case = next(pending, None)
                if case is not None:
                    out.append(self.match(node, config, case, stashed.get(str(case.get("name"))), base_input))
                    covered.add(str(case.get("name")))
            else:
                out.append(item)
        for case in pending:
            out.append(self.match(node, config, case, stashed.get(str(case.get("name"))), base_input))
            covered.add(str(case.get("name")))
        return out

    def match(self, node: Any, config: Props, case: Props, original: Props | None, base_input: str | None) -> Props:
        name = case.get("name")
        cond = None
        if original is not None:
            first = original["conditions"][0]
            ctype = first.get("type")
            unchanged = (COND_TYPES.get(str(case.get("op"))) == ctype and condition_value(ctype, first.get("value", "")) == case.get("value", "")
                         and config.get("input") == base_input)
            if unchanged:
                cond = copy.deepcopy(first)
        if cond is None:
            value = case.get("value", "")
            cond = {"friendly_name": name, "arguments": [to_studio_text(str(config.get("input", "")))],
                    "type": COND_TYPES.get(str(case.get("op")), "equal_to"), "value": value if isinstance(value, str) else str(value)}
        extra = {k: copy.deepcopy(v) for k, v in (original or {}).items() if k not in ("event", "next", "conditions") and not k.startswith("_")}
        out = self.transition(node["id"], "match", [name], {"conditions": [cond], **extra})
        if "next" not in out and original is not None and "next" in original:
            out["next"] = None  # an older export's explicit null stays as it was
        return out

    def event_for(self, ntype: str, outlet: str) -> str:
        """The Studio event a newly connected outlet is written as."""
        if ntype == "unsupported":
            return outlet
        if ntype == "split":
            return "noMatch" if outlet == "no_match" else "match"
        for event, outlets in EXPORT_EVENTS.get(export_native(ntype, {})[0], ()):
            if outlet in outlets:
                return event
        return outlet

    def fresh_transitions(self, node: Any, wtype: str, config: Props) -> list[Props]:
        nid, ntype = node["id"], node["type"]
        if ntype == "split":
            out = [self.transition(nid, "noMatch", ["no_match"])]
            return out + [self.match(node, config, c, None, None) for c in _cases(config)]
        if ntype == "unsupported":
            outlets = outlets_of(ntype, config)
            if config.get("platform", "studio") == "studio":
                return [self.transition(nid, o, [o]) for o in outlets]
            # D6: a Connect action Studio has no widget for: NextAction (else a condition) is success, its errors fail
            success = [o for o in outlets if not o.startswith("Error ")]
            return [self.transition(nid, "success", success), self.transition(nid, "fail", [o for o in outlets if o.startswith("Error ")])]
        return [self.transition(nid, event, outlets) for event, outlets in EXPORT_EVENTS.get(wtype, ())]

    def menu_states(self, node: Any) -> list[Props]:
        """A menu is a gather (one digit) followed by a split on the digit pressed."""
        nid, config = node["id"], node.get("config") or {}
        name = self.names[nid]
        choice = f"{name}_choice"
        while choice in self.state_names:
            choice += "_"
        self.state_names.add(choice)
        props = export_native("menu", config)[1]
        props["offset"] = {"x": _num(node["x"]), "y": _num(node["y"])}
        gather = {"name": name, "type": "gather-input-on-call", "properties": props, "transitions": [
            {"event": "keypress", "next": choice}, {"event": "speech"}, self.transition(nid, "timeout", ["timeout"])]}
        matches = [self.transition(nid, "match", [d], {"conditions": [{
            "friendly_name": f"Pressed {d}", "arguments": [f"{{{{widgets.{name}.Digits}}}}"], "type": "equal_to", "value": d}]})
            for d in outlets_of("menu", config) if d not in ("invalid", "timeout")]
        split = {"name": choice, "type": "split-based-on",
                 "properties": {"input": f"{{{{widgets.{name}.Digits}}}}", "offset": {"x": _num(node["x"]), "y": _num(node["y"] + 200)}},
                 "transitions": [self.transition(nid, "noMatch", ["invalid"]), *matches]}
        return [gather, split]

    # -- the whole flow -------------------------------------------------------------

    def trigger_stash(self) -> Props | None:
        start = self.nodes.get(self.doc.get("start") or "")
        ordered = ([start] if start else []) + list(self.nodes.values())
        for node in ordered:
            stash = (node.get("config") or {}).get("studio")
            trigger = stash.get("trigger") if isinstance(stash, dict) else None
            if isinstance(trigger, dict):
                return trigger
        return None

    def trigger_state(self, stash: Props | None) -> Props:
        start = self.target(self.doc.get("start"))
        if stash and stash.get("name"):
            transitions = []
            for t in stash.get("transitions") or []:
                clean = {k: copy.deepcopy(v) for k, v in t.items() if not k.startswith("_")}
                if t.get("_start") and start:
                    clean["next"] = start
                elif isinstance(clean.get("next"), str) and clean["next"] not in self.state_names:
                    del clean["next"]
                transitions.append(clean)
            if start and not any(t.get("_start") for t in stash.get("transitions") or []):
                for t in transitions:
                    if t["event"] == "incomingCall":
                        t["next"] = start
            state = {"name": stash["name"], "type": "trigger", "transitions": transitions,
                     "properties": copy.deepcopy(stash.get("properties") or {})}
            state.update(copy.deepcopy(stash.get("extra") or {}))
            return state
        name = "Trigger"
        while name in self.state_names:
            name += "_"
        first = self.nodes.get(self.doc.get("start") or "")
        offset = {"x": _num(first["x"]), "y": _num(first["y"] - 200)} if first else {"x": 0, "y": 0}
        transitions = [{"event": e, **({"next": start} if e == "incomingCall" and start else {})} for e in TRIGGER_EVENTS]
        return {"name": name, "type": "trigger", "transitions": transitions, "properties": {"offset": offset}}

    def definition(self) -> Props:
        states: list[Props] = []
        for node in self.nodes.values():
            try:
                states.extend(self.node_states(node))
            except InteropError as exc:
                if exc.state is not None:
                    raise
                raise InteropError(exc.message, self.names[node["id"]], exc.property) from exc
            except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
                # a draft's config can hold anything; say which node, never fail with a 500
                raise InteropError(f"cannot be written as a Studio widget ({exc})", self.names[node["id"]], "config") from exc
        stash = self.trigger_stash()
        try:
            trigger = self.trigger_state(stash)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise InteropError(f"the stored Studio trigger is damaged ({exc})", None, "config.studio.trigger") from exc
        index = stash.get("index", 0) if stash else 0
        index = index if isinstance(index, int) else 0
        states.insert(max(0, min(int(index), len(states))), trigger)
        top: Props = copy.deepcopy(as_dict(stash.get("top"))) if stash else {}
        description = top.get("description")
        imported_name = description.strip()[:MAX_NAME] if isinstance(description, str) and description.strip() else DEFAULT_NAME
        if not stash or self.doc.get("name") != imported_name:
            top["description"] = self.doc.get("name", "")
        top["states"] = states
        top["initial_state"] = trigger["name"]
        top.setdefault("flags", {"allow_concurrent_calls": True})
        return top


MAX_STATES = 1000
"""Studio's flow definition schema allows at most this many states (``states`` maxItems)."""


def ringflow_to_studio(doc: FlowDocument) -> dict[str, Any]:
    """A Studio flow definition for any (normalized) Ringflow document Studio can hold."""
    nodes = doc.get("nodes", [])
    needed = 1 + sum(2 if n["type"] == "menu" else 0 if n["type"] == "hangup" else 1 for n in nodes)
    if needed > MAX_STATES:
        raise InteropError(f"Twilio Studio holds at most {MAX_STATES:,} widgets per flow; this flow would need {needed:,}",
                           None, "nodes")
    return _Exporter(doc).definition()
