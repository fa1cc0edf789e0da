"""What an import could not carry over exactly, said to the user instead of silently dropped.

Computed from the converted document alone (the original widget rides in ``config.studio``
/ ``config.connect``), so the API and the CLI can both say it after any import:

- a template reads a variable the runtime never provides (``{{trigger.conversation.x}}``,
  Connect's ``$.External.x`` with no HTTP answer to map it to): it renders empty;
- a voice or language Twilio would reject: the node speaks with Ringflow's default.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ringflow.interop.shapes import as_dict
from ringflow.model.document import FlowDocument
from ringflow.runtime.callinfo import BASE_FIELDS, MESSAGE_FIELDS, VOICE_FIELDS

_EXPR_RE = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_PATH_RE = re.compile(r"(?<![\w.\"'])(trigger|flow|contact)((?:\.[A-Za-z_][\w-]*)*)")
_CONNECT_RE = re.compile(r"\$\.[A-Za-z][\w.]*")
_CALL = frozenset(BASE_FIELDS + VOICE_FIELDS)
_MESSAGE = frozenset(("From", "To", "AccountSid") + MESSAGE_FIELDS)
_FLOW = {"variables": None, "data": None, "channel": frozenset({"address"}), "flow_sid": frozenset(), "sid": frozenset()}
_CONTACT = {"channel": frozenset({"address", "type"})}


def provided(root: str, rest: list[str]) -> bool:
    """Does the runtime give a value at ``root.rest...``? (Deeper keys of free-form parts are the flow's own.)"""
    if root == "trigger":
        if not rest:
            return True
        if rest[0] == "call":
            return len(rest) < 2 or rest[1] in _CALL
        if rest[0] == "message":
            return len(rest) < 2 or rest[1] in _MESSAGE
        return False
    table = _FLOW if root == "flow" else _CONTACT
    if not rest:
        return True
    if rest[0] not in table:
        return False
    allowed = table[rest[0]]
    return allowed is None or len(rest) < 2 or rest[1] in allowed


def unknown_variables(text: str) -> list[str]:
    """The ``trigger.*``, ``flow.*`` and ``contact.*`` paths in ``text`` the runtime does not provide."""
    found = []
    for m in _EXPR_RE.finditer(text):
        expr = m.group(1) if m.group(1) is not None else m.group(2)
        for p in _PATH_RE.finditer(expr):
            rest = [k for k in p.group(2).split(".") if k]
            if not provided(p.group(1), rest):
                found.append(".".join([p.group(1), *rest]))
    return list(dict.fromkeys(found))


def _texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, f"{where}[{i}]")


_RESULT_RE = re.compile(r"\b(?:widgets|nodes)\.([A-Za-z0-9_:.-]+?)\.(?:parsed|body|status_code|StatusCode)\b")


def import_warnings(doc: FlowDocument | dict[str, Any]) -> list[dict[str, Any]]:
    """One ``{state, property, message}`` per thing the import could not carry over exactly."""
    out: list[dict[str, Any]] = []
    unsupported = {n["id"]: (n.get("config") or {}).get("original_type") for n in doc.get("nodes") or [] if n.get("type") == "unsupported"}
    for node in doc.get("nodes") or []:
        config = node.get("config") or {}
        native = {k: v for k, v in config.items() if k not in ("studio", "connect")}
        for where, text in _texts(native, ""):
            for path in unknown_variables(text):
                out.append({"state": node["id"], "property": where,
                            "message": f"{{{{{path}}}}} is not a variable Ringflow provides; it renders empty"})
            for ref in dict.fromkeys(_RESULT_RE.findall(text)) if node.get("type") != "unsupported" else ():
                if ref in unsupported:
                    out.append({"state": node["id"], "property": where,
                                "message": f"reads the answer of {ref}, a {unsupported[ref]} Ringflow cannot run; replace that "
                                           "node with an HTTP request or function node of the same id"})
            if node.get("type") != "unsupported" and (m := _CONNECT_RE.search(text)):
                out.append({"state": node["id"], "property": where,
                            "message": f"Amazon Connect reference {m.group(0)} has no Ringflow equivalent; it stays literal text"})
        studio = as_dict(config.get("studio"))
        props = as_dict(studio.get("properties"))
        for prop, key in (("voice", "voice"), ("language", "language"), ("gather_language", "speech_language"),
                          ("speech_model", "speech_model")):
            value = props.get(prop)
            if isinstance(value, str) and value and node.get("type") in ("say", "gather") and config.get(key) != value:
                out.append({"state": node["id"], "property": prop,
                            "message": f"{value!r} is not a {prop.replace('_', ' ')} Twilio accepts; Ringflow's default is used"})
    return out
