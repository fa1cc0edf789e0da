"""Amazon Connect flow language -> Ringflow flow document (import only).

Voice actions map to native nodes; every other action becomes an ``unsupported`` node
that keeps its parameters and transitions, so nothing is dropped. Connect's dynamic
values (``$.Attributes.x``, ``$.CustomerEndpoint.Address``, ``$.StoredCustomerInput``)
become the Liquid Ringflow's runtime resolves. The original action is kept under
``config["connect"]``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ringflow.interop.errors import InteropError
from ringflow.interop.names import name_to_id
from ringflow.interop.shapes import as_dict, as_list
from ringflow.model.document import FlowDocument, normalize

_PATH_RE = re.compile(r"\$\.(Attributes|External|CustomerEndpoint\.Address|SystemEndpoint\.Address|StoredCustomerInput|Name)(?:\.([A-Za-z_][\w]*))?")
_DIGIT_RE = re.compile(r"^[0-9*#]\Z")
_SPEAK_RE = re.compile(r"<speak>(.*)</speak>", re.S)
COMPARE_OPS = {"Equals": "equals", "NumberGreaterThan": "greater_than", "NumberLessThan": "less_than",
               "TextContains": "contains", "TextStartsWith": "starts_with"}
NATIVE_ACTIONS = ("MessageParticipant", "GetParticipantInput", "Compare", "UpdateContactAttributes", "CheckHoursOfOperation",
                  "TransferParticipantToThirdParty", "TransferContactToQueue", "UpdateContactTargetQueue",
                  "UpdateContactData", "UpdateContactRecordingBehavior", "DisconnectParticipant", "EndFlowExecution")
UNSUPPORTED_WHY = {
    "InvokeLambdaFunction": "Lambda functions run in the customer's AWS account; replace the node with an HTTP request "
                            "or function node of the same id ($.External.x then reads its parsed answer)",
    "GetCustomerProfile": "Customer Profiles is an Amazon Connect data store Ringflow cannot reach",
}
"""Connect actions kept as unsupported nodes (error branches kept), and why."""
QUEUE_VARIABLE = "connect_queue"


MAX_QUEUE_NAME = 64  # Twilio's <Enqueue> queue names
RECORDING_VARIABLE = "connect_recording"


class _Ctx:
    def __init__(self, stored_input_id: str | None, external_id: str | None = None, meta: dict[str, Any] | None = None):
        self.stored_input_id = stored_input_id
        self.external_id = external_id  # the InvokeLambdaFunction whose answer $.External reads (replace it, same id)
        self.meta = meta or {}

    def liquid(self, text: Any) -> str:
        """Connect's ``$.`` references in a text, as Liquid."""
        if not isinstance(text, str):
            return "" if text is None else str(text)

        def sub(m: re.Match[str]) -> str:
            root, key = m.group(1), m.group(2)
            if root == "Attributes":
                return f"{{{{flow.variables.{key}}}}}" if key else m.group(0)
            if root == "External" and key and self.external_id:
                return f"{{{{widgets.{self.external_id}.parsed.{key}}}}}"
            if root == "StoredCustomerInput" and self.stored_input_id:
                return f"{{{{widgets.{self.stored_input_id}.Digits}}}}"
            return {"CustomerEndpoint.Address": "{{trigger.call.From}}", "SystemEndpoint.Address": "{{trigger.call.To}}"}.get(root, m.group(0))

        return _PATH_RE.sub(sub, text)


def _unwrap_speak(ssml: Any) -> Any:
    """TwiML's <Say> takes SSML tags but not the <speak> root Connect wraps them in."""
    if isinstance(ssml, str) and (m := _SPEAK_RE.fullmatch(ssml.strip())):
        return m.group(1)
    return ssml


def _seconds(value: Any, low: int, high: int) -> int | None:
    try:
        n = int(str(value).strip())
    except ValueError:
        return None
    return min(max(n, low), high)


def _transitions(action: dict[str, Any], aid: str) -> tuple[str | None, list[tuple[dict[str, Any], str | None]], dict[str, str | None]]:
    """(NextAction, [(condition, next)], {ErrorType: next}) with the shapes checked."""
    t = action.get("Transitions", {}) or {}
    if not isinstance(t, dict):
        raise InteropError("must be an object", aid, "Transitions", noun="action")
    nxt = t.get("NextAction")
    for key in ("Conditions", "Errors"):
        if not isinstance(t.get(key) or [], list):
            raise InteropError("must be a list", aid, f"Transitions.{key}", noun="action")
    conds = []
    for i, c in enumerate(t.get("Conditions") or []):
        if not isinstance(c, dict) or not isinstance(c.get("Condition"), dict):
            raise InteropError("each condition needs a Condition object", aid, f"Transitions.Conditions[{i}]", noun="action")
        conds.append((c["Condition"], c.get("NextAction")))
    errors: dict[str, str | None] = {}
    for i, e in enumerate(t.get("Errors") or []):
        if not isinstance(e, dict) or not isinstance(e.get("ErrorType"), str):
            raise InteropError("each error needs an ErrorType", aid, f"Transitions.Errors[{i}]", noun="action")
        errors[e["ErrorType"]] = e.get("NextAction")
    return nxt, conds, errors


def _operand(cond: dict[str, Any]) -> str:
    ops = cond.get("Operands") or [""]
    return str(ops[0]) if isinstance(ops, list) and ops else ""


def _convert(action: dict[str, Any], aid: str, ctx: _Ctx) -> tuple[str, dict[str, Any], list[tuple[str, str | None]]]:
    """(node type, config, [(outlet, next action)]) for one action."""
    atype, p = action.get("Type"), action.get("Parameters") or {}
    if not isinstance(p, dict):
        raise InteropError("must be an object", aid, "Parameters", noun="action")
    nxt, conds, errors = _transitions(action, aid)
    if atype == "MessageParticipant" and ("Text" in p or "SSML" in p):
        return "say", {"text": ctx.liquid(p["Text"] if "Text" in p else _unwrap_speak(p["SSML"]))}, [("next", nxt)]
    if atype == "GetParticipantInput":
        prompt = ctx.liquid(p["Text"] if "Text" in p else _unwrap_speak(p.get("SSML", "")))
        timeout = _seconds(p.get("InputTimeLimitSeconds", 5), 1, 60) or 5
        if str(p.get("StoreInput", "False")).lower() == "true":
            dtmf = p.get("DTMFConfiguration") or {}
            cfg: dict[str, Any] = {"prompt": prompt, "input": "dtmf", "num_digits": _seconds(p.get("MaxDigits", 0), 0, 32) or 0, "timeout": timeout,
                   "finish_on_key": str(dtmf.get("InputTerminationSequence", "#"))[:1] if isinstance(dtmf, dict) else "#"}
            return "gather", cfg, [("keypress", nxt), ("timeout", errors.get("InputTimeLimitExceeded"))]
        if not conds and prompt:  # D2: no conditions: the prompt, one key, and NextAction kept as where input goes
            return "gather", {"prompt": prompt, "input": "dtmf", "num_digits": 1, "timeout": timeout}, \
                [("keypress", nxt), ("timeout", errors.get("InputTimeLimitExceeded") or nxt)]
        digits = [_operand(c) for c, _ in conds]
        if all(_DIGIT_RE.match(d) for d in digits) and len(set(digits)) == len(digits) and prompt:
            outs = [(d, n) for d, (_, n) in zip(digits, conds)]
            invalid = errors.get("NoMatchingCondition") or nxt or errors.get("NoMatchingError")
            return "menu", {"prompt": prompt, "digits": digits, "timeout": timeout, "retries": 0}, \
                [*outs, ("invalid", invalid), ("timeout", errors.get("InputTimeLimitExceeded"))]
    if atype == "Compare":
        cases, outs = [], []
        for i, (c, n) in enumerate(conds):
            operator = c.get("Operator")
            op = COMPARE_OPS.get(operator) if isinstance(operator, str) else None
            value = _operand(c)
            if operator == "TextEndsWith":
                op, value = "regex", re.escape(value) + "$"
            if op is None:
                break
            name = f"{i + 1}: {operator} {value}"[:64]
            cases.append({"name": name, "op": op, "value": value})
            outs.append((name, n))
        else:
            return "split", {"input": ctx.liquid(p.get("ComparisonValue", "")), "cases": cases}, \
                [*outs, ("no_match", errors.get("NoMatchingCondition"))]
    if atype == "UpdateContactAttributes":
        attrs = p.get("Attributes") or {}
        if not isinstance(attrs, dict):
            raise InteropError("must be an object of attribute: value", aid, "Parameters.Attributes", noun="action")
        return "set", {"variables": {str(k): ctx.liquid(v) for k, v in attrs.items()}}, [("next", nxt)]
    if atype == "UpdateContactTargetQueue":  # D7: the queue's name (the ARN stays in config.connect for export)
        return "set", {"variables": {QUEUE_VARIABLE: queue_name(p.get("QueueId", ""), ctx.meta.get(aid), ctx)}}, [("next", nxt)]
    if atype == "UpdateContactData":
        fields = {"Name": "contact_name", "Description": "contact_description", "LanguageCode": "contact_language"}
        variables = {var: ctx.liquid(p[key]) for key, var in fields.items() if isinstance(p.get(key), str)}
        return "set", {"variables": variables}, [("next", nxt)]
    if atype == "UpdateContactRecordingBehavior":
        behavior = as_dict(p.get("RecordingBehavior"))
        who = as_list(behavior.get("RecordedParticipants"))
        return "set", {"variables": {RECORDING_VARIABLE: ",".join(str(w) for w in who)}}, [("next", nxt)]
    if atype == "CheckHoursOfOperation":
        outs = [("open" if _operand(c).lower() == "true" else "closed", n) for c, n in conds]
        return "business_hours", {"timezone": "UTC"}, outs
    if atype == "TransferParticipantToThirdParty":
        cfg = {"to": ctx.liquid(p.get("ThirdPartyPhoneNumber", ""))}
        caller = p.get("CallerId")
        if isinstance(caller, dict) and caller.get("Number"):
            cfg["caller_id"] = ctx.liquid(caller["Number"])
        ring = _seconds(p.get("ThirdPartyConnectionTimeLimitSeconds", 30), 5, 600)
        if ring:
            cfg["timeout"] = ring
        failed = errors.get("CallFailed") or errors.get("NoMatchingError")
        return "transfer", cfg, [("completed", nxt), ("busy", failed), ("no_answer", errors.get("ConnectionTimeLimitExceeded") or failed),
                                 ("failed", failed)]
    if atype == "TransferContactToQueue":
        failed = errors.get("QueueAtCapacity") or errors.get("NoMatchingError")
        return "enqueue", {"queue": f"{{{{flow.variables.{QUEUE_VARIABLE}}}}}"}, [("completed", nxt), ("failed", failed)]
    if atype in ("DisconnectParticipant", "EndFlowExecution"):
        return "hangup", {}, []
    outs = [("NextAction", nxt), *((f"Condition {i + 1}", n) for i, (_, n) in enumerate(conds)), *((f"Error {k}"[:64], n) for k, n in errors.items())]
    outlets = [o for o, _ in outs]
    return "unsupported", {"platform": "connect", "original_type": str(atype), "properties": copy.deepcopy(p), "outlets": outlets}, outs


def _preceding_lambda(actions: list[dict[str, Any]]) -> dict[str, str]:
    """For each action, the nearest InvokeLambdaFunction on every path into it (walking the
    transitions backwards); actions reached through no Lambda, or through different ones, get none."""
    preds: dict[str, set[str]] = {}
    for a in actions:
        t = as_dict(a.get("Transitions"))
        listed = [x for key in ("Conditions", "Errors") if isinstance(t.get(key), list) for x in t[key]]  # shapes: checked later
        targets = [t.get("NextAction")] + [x.get("NextAction") for x in listed if isinstance(x, dict)]
        for nxt in targets:
            if isinstance(nxt, str):
                preds.setdefault(nxt, set()).add(a["Identifier"])
    kinds = {a["Identifier"]: a["Type"] for a in actions}
    out: dict[str, str] = {}
    for aid in kinds:
        found: set[str] = set()
        seen, todo = {aid}, list(preds.get(aid, ()))
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            if kinds.get(p) == "InvokeLambdaFunction":
                found.add(p)
            else:
                todo.extend(preds.get(p, ()))
        if len(found) == 1:
            out[aid] = found.pop()
    return out


def queue_name(queue_id: Any, meta: Any, ctx: _Ctx) -> str:
    """A queue's name for <Enqueue>: the name Connect's metadata shows for the action, else the
    last part of the queue ARN; at most 64 characters (Twilio's limit)."""
    if isinstance(queue_id, str) and queue_id.startswith("$."):
        return ctx.liquid(queue_id)
    queue = meta.get("queue") if isinstance(meta, dict) else None
    shown = queue.get("text") if isinstance(queue, dict) else None
    if isinstance(shown, str) and shown.strip():
        return shown.strip()[:MAX_QUEUE_NAME]
    text = str(queue_id or "")
    return text.rsplit("/", 1)[-1][:MAX_QUEUE_NAME]


def connect_to_ringflow(obj: Any) -> FlowDocument:
    """Convert an Amazon Connect flow; raises :class:`InteropError` naming the action and property."""
    if not isinstance(obj, dict):
        raise InteropError("an Amazon Connect flow must be a JSON object")
    actions = obj.get("Actions")
    if not isinstance(actions, list):
        raise InteropError("must be a list of actions", None, "Actions", noun="action")
    ids: dict[str, str] = {}
    for i, a in enumerate(actions):
        if not isinstance(a, dict) or not isinstance(a.get("Identifier"), str) or not a["Identifier"]:
            raise InteropError(f"Actions[{i}] needs an Identifier", None, f"Actions[{i}].Identifier", noun="action")
        if not isinstance(a.get("Type"), str):
            raise InteropError("needs a Type", a["Identifier"], "Type", noun="action")
        if a["Identifier"] in ids:
            raise InteropError("two actions have this Identifier", a["Identifier"], "Identifier", noun="action")
        ids[a["Identifier"]] = name_to_id(a["Identifier"], a["Identifier"])
    start = obj.get("StartAction")
    if not isinstance(start, str) or start not in ids:
        raise InteropError(f"must name an action (got {start!r})", None, "StartAction", noun="action")
    meta = as_dict(obj.get("Metadata"))
    meta = as_dict(meta.get("ActionMetadata"))
    stored = next((ids[a["Identifier"]] for a in actions if a["Type"] == "GetParticipantInput" and isinstance(a.get("Parameters"), dict)
                   and str(a["Parameters"].get("StoreInput", "")).lower() == "true"), None)
    preceding = _preceding_lambda(actions)
    ctx = _Ctx(stored, None, meta if isinstance(meta, dict) else {})
    nodes, edges = [], []
    for a in actions:
        aid = a["Identifier"]
        ctx.external_id = ids.get(preceding.get(aid, ""))  # $.External here: the answer of the Lambda run before
        ntype, config, outs = _convert(a, aid, ctx)
        config["connect"] = {"type": a["Type"], "parameters": copy.deepcopy(a.get("Parameters") or {}),
                             "transitions": copy.deepcopy(a.get("Transitions") or {})}
        info = meta.get(aid) if isinstance(meta, dict) else None
        pos = info.get("position") if isinstance(info, dict) else None
        x = pos.get("x", 0) if isinstance(pos, dict) else 0
        y = pos.get("y", 0) if isinstance(pos, dict) else 0
        if isinstance(x, bool) or not isinstance(x, (int, float)) or isinstance(y, bool) or not isinstance(y, (int, float)):
            raise InteropError("position x and y must be numbers", aid, "Metadata.ActionMetadata.position", noun="action")
        label = (info.get("friendlyName") if isinstance(info, dict) else None) or a["Type"]
        nodes.append({"id": ids[aid], "type": ntype, "x": float(x), "y": float(y), "label": str(label)[:200], "config": config})
        for outlet, target in outs:
            if target is None:
                continue
            if not isinstance(target, str) or target not in ids:
                raise InteropError(f"goes to unknown action {target!r}", aid, "Transitions", noun="action")
            edges.append({"source": ids[aid], "outlet": outlet, "target": ids[target]})
    given = obj.get("Name")
    name = given if isinstance(given, str) and given.strip() else "Imported Amazon Connect flow"
    return normalize({"name": name[:200], "start": ids[start], "nodes": nodes, "edges": edges})
