"""Studio widget properties <-> Ringflow node config, one pair of functions per widget.

Both directions are pure functions of the properties/config alone, so the export can
recompute "what the import made of the original" and tell which settings a user changed
in Ringflow since (see ``studio_export.merge_properties``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable
from urllib.parse import quote_plus

from ringflow.interop.errors import InteropError
from ringflow.interop.shapes import as_dict
from ringflow.interop.studio_widgets import PROPERTY_KINDS
from ringflow.model.catalogue import LANGUAGE_RE, SPEECH_MODEL_RE, SPEECH_TIMEOUT_RE, VOICE_RE
from ringflow.model.rules import VAR_RE, pattern

Config = dict[str, Any]
Props = dict[str, Any]

_TEMPLATE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_NODES_RE = re.compile(r"\bnodes\.([A-Za-z0-9_:-]+)(?:\.(digits|speech|status_code)\b)?")
_STUDIO_FIELDS = {"digits": "Digits", "speech": "SpeechResult", "status_code": "StatusCode"}


def check_properties(wtype: str, props: Props, state: str) -> None:
    """Raise naming the state and property when a property the import reads has a wrong type."""
    for key, kind in PROPERTY_KINDS.get(wtype, {}).items():
        if key not in props or props[key] is None:
            continue
        value = props[key]
        ok = {
            "str": lambda v: isinstance(v, str),
            "int": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.strip().lstrip("-").isdigit()),
            "bool": lambda v: isinstance(v, bool) or (isinstance(v, str) and v.strip().lower() in ("true", "false")),
            "list": lambda v: isinstance(v, list),
            "str_or_list": lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)),
            "str_or_num": lambda v: isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool)),
        }[kind](value)
        if not ok:
            want = {"str": "text", "int": "a whole number", "bool": "true or false", "list": "a list",
                    "str_or_list": "text or a list of texts", "str_or_num": "text or a number"}[kind]
            raise InteropError(f"must be {want}, not {json.dumps(value)[:60]}", state, key)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _in_range(value: Any, low: int, high: int) -> int | None:
    n = _int(value)
    return n if n is not None and low <= n <= high else None


def to_studio_text(text: str) -> str:
    """Ringflow templates say ``nodes.NAME.digits``; Studio says ``widgets.NAME.Digits``."""
    if "{" not in text:
        return text

    def widget(m: re.Match[str]) -> str:
        field = f".{_STUDIO_FIELDS[m.group(2)]}" if m.group(2) else ""
        return f"widgets.{m.group(1)}{field}"

    return _TEMPLATE_RE.sub(lambda m: _NODES_RE.sub(widget, m.group(0)), text)


_OUTPUT_RE = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)


def form_encoded(text: str) -> str:
    """A template whose output is form-encoded, as Studio encodes HTTP parameters:
    literal text is quoted now, each ``{{ x }}`` gets ``| url_encode`` for run time."""
    out, pos = [], 0
    for m in _TEMPLATE_RE.finditer(text):
        out.append(quote_plus(text[pos:m.start()]))
        inner = _OUTPUT_RE.fullmatch(m.group(0))
        out.append(f"{{{{{inner.group(1).rstrip()} | url_encode}}}}" if inner else m.group(0))
        pos = m.end()
    out.append(quote_plus(text[pos:]))
    return "".join(out)


# ---- import: Studio properties -> (node type, config) ----------------------------------

def _say_play_in(p: Props) -> tuple[str, Config]:
    loop = _in_range(p.get("loop"), 1, 10)
    extra = {"loop": loop} if loop is not None else {}
    if isinstance(p.get("say"), str) and (p["say"] or not (p.get("play") or p.get("digits"))):
        cfg: Config = {"text": p["say"], **_voice_in(p)}
        return "say", {**cfg, **extra}
    if p.get("play"):
        return "play", {"url": p["play"], **extra}
    if p.get("digits"):
        return "play", {"digits": p["digits"], **extra}
    return "say", {"text": "", **extra}


def accepted(value: Any, rx: str) -> bool:
    """Is ``value`` one Twilio takes for a field of this pattern (a voice, a language...)?"""
    return isinstance(value, str) and bool(pattern(rx).fullmatch(value))


def _voice_in(p: Props) -> Config:
    """Studio's voice and language, kept when Twilio accepts them (others: see interop.warnings)."""
    cfg: Config = {}
    if accepted(p.get("voice"), VOICE_RE):
        cfg["voice"] = p["voice"]
    if accepted(p.get("language"), LANGUAGE_RE):
        cfg["language"] = p["language"]
    return cfg


def _gather_in(p: Props) -> tuple[str, Config]:
    cfg: Config = {"input": "dtmf", **_voice_in(p)}
    if accepted(p.get("gather_language"), LANGUAGE_RE):
        cfg["speech_language"] = p["gather_language"]
    if accepted(p.get("speech_model"), SPEECH_MODEL_RE):
        cfg["speech_model"] = p["speech_model"]
    timeout_s = str(p.get("speech_timeout")) if isinstance(p.get("speech_timeout"), (str, int)) else None
    if timeout_s is not None and accepted(timeout_s, SPEECH_TIMEOUT_RE):
        cfg["speech_timeout"] = timeout_s
    if isinstance(p.get("say"), str) and p["say"]:
        cfg["prompt"] = p["say"]
    elif isinstance(p.get("play"), str) and p["play"]:
        cfg["prompt_url"] = p["play"]
    digits = _in_range(p.get("number_of_digits"), 0, 32)
    cfg["num_digits"] = digits if digits is not None else 0
    timeout = _in_range(p.get("timeout"), 1, 60)
    if timeout is not None:
        cfg["timeout"] = timeout
    key = p.get("finish_on_key", "#")
    if _bool(p.get("stop_gather")) is False:
        key = ""
    if isinstance(key, str) and len(key) <= 1:
        cfg["finish_on_key"] = key
    hints = p.get("hints")
    if isinstance(hints, str) and hints.strip():
        cfg["hints"] = [h.strip() for h in hints.split(",") if h.strip()]
    elif isinstance(hints, list) and hints:
        cfg["hints"] = list(hints)
    return "gather", cfg


def _split_in(p: Props) -> tuple[str, Config]:
    return "split", {"input": p.get("input") or "", "cases": [], "ignore_case": True}  # Studio ignores case and spaces


def _set_in(p: Props) -> tuple[str, Config]:
    variables: dict[str, str] = {}
    for item in p.get("variables") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            value = item.get("value", "")
            variables[item["key"]] = value if isinstance(value, str) else json.dumps(value)
    return "set", {"variables": variables}


def _connect_in(p: Props) -> tuple[str, Config] | None:
    noun = p.get("noun") or "number"
    if noun == "sip":
        to = p.get("sip_endpoint") or ""
    elif noun == "client":
        to = f"client:{p.get('to') or ''}"
    elif noun in ("number", "number-multi"):
        to = p.get("to") or ""
    else:
        return None  # conference and anything newer: not something a transfer does
    cfg: Config = {"to": to}
    if isinstance(p.get("caller_id"), str):
        cfg["caller_id"] = p["caller_id"]
    timeout = _in_range(p.get("timeout"), 5, 600)
    if timeout is not None:
        cfg["timeout"] = timeout
    if _bool(p.get("record")) is not None:
        cfg["record"] = _bool(p.get("record"))
    return "transfer", cfg


def _record_in(p: Props) -> tuple[str, Config]:
    cfg: Config = {}
    length = _in_range(p.get("max_length"), 1, 3600)
    if length is not None:
        cfg["max_length"] = length
    if _bool(p.get("play_beep")) is not None:
        cfg["beep"] = _bool(p.get("play_beep"))
    if _bool(p.get("transcribe")) is not None:
        cfg["transcribe"] = _bool(p.get("transcribe"))
    key = p.get("finish_on_key")
    if isinstance(key, str) and accepted(key, r"^[0-9*#]{0,12}$"):
        cfg["finish_on_key"] = key
    timeout = _in_range(p.get("timeout"), 1, 600)
    if timeout is not None:
        cfg["silence_timeout"] = timeout
    if p.get("trim") in ("trim-silence", "do-not-trim"):
        cfg["trim"] = p["trim"] == "trim-silence"
    return "record", cfg


def _http_in(p: Props) -> tuple[str, Config]:
    method = str(p.get("method") or "GET").upper()
    cfg: Config = {"method": method if method in ("GET", "POST", "PUT", "PATCH", "DELETE") else "GET", "url": p.get("url") or ""}
    if p.get("content_type"):
        cfg["headers"] = {"Content-Type": p["content_type"]}
    pairs = "&".join(f"{form_encoded(str(i['key']))}={form_encoded(str(i.get('value', '')))}"
                     for i in p.get("parameters") or [] if isinstance(i, dict) and i.get("key"))
    body = p.get("body") or ""
    if pairs and cfg["method"] == "GET":
        cfg["url"] += ("&" if "?" in cfg["url"] else "?") + pairs
    elif pairs and not body:
        body = pairs
    if body:
        cfg["body"] = body
    return "http", cfg


def _subflow_in(p: Props) -> tuple[str, Config]:
    """Studio's ``parameters`` [{key, value}] become ``config.parameters``; the subflow reads flow.data.KEY."""
    params: dict[str, str] = {}
    for item in p.get("parameters") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            value = item.get("value", "")
            params[item["key"]] = value if isinstance(value, str) else json.dumps(value)
    cfg: Config = {"flow_id": p.get("flow_sid") or ""}
    if params:
        cfg["parameters"] = params
    return "subflow", cfg


def _enqueue_in(p: Props) -> tuple[str, Config]:
    if p.get("workflow_sid") and not p.get("queue_name"):  # a TaskRouter workflow: <Enqueue workflowSid>
        cfg: Config = {"workflow_sid": p["workflow_sid"]}
    else:
        cfg = {"queue": p.get("queue_name") or ""}
    priority = _in_range(p.get("priority"), 0, 100)
    if priority is not None:
        cfg["priority"] = priority
    return "enqueue", cfg


def _pairs(items: Any) -> dict[str, str]:
    """Studio's [{key, value}] lists as {key: text}."""
    out: dict[str, str] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            value = item.get("value", "")
            out[item["key"]] = value if isinstance(value, str) else json.dumps(value)
    return out


def _function_in(p: Props) -> tuple[str, Config] | None:
    params = _pairs(p.get("parameters"))
    if not all(VAR_RE.match(k) for k in params):
        return None  # a parameter name no template_map can hold: kept as an unsupported node
    cfg: Config = {"url": p.get("url") or ""}
    if params:
        cfg["parameters"] = params
    return "function", cfg


def _pay_in(p: Props) -> tuple[str, Config]:
    cfg: Config = {}
    amount = p.get("payment_amount")
    if isinstance(amount, (int, float)) and not isinstance(amount, bool):
        amount = f"{amount:g}"
    if isinstance(amount, str) and amount:
        cfg["charge_amount"] = amount
    for prop, key in (("currency", "currency"), ("payment_connector", "payment_connector"), ("description", "description")):
        if isinstance(p.get(prop), str) and p[prop]:
            cfg[key] = p[prop]
    if p.get("payment_method") in ("credit-card", "ach-debit"):
        cfg["payment_method"] = p["payment_method"]
    if p.get("payment_token_type") in ("one-time", "reusable", "payment-method"):
        cfg["token_type"] = p["payment_token_type"]
    for prop, low, high in (("timeout", 1, 600), ("max_attempts", 1, 3)):
        n = _in_range(p.get(prop), low, high)
        if n is not None:
            cfg[prop] = n
    for prop in ("security_code", "postal_code"):
        if _bool(p.get(prop)) is not None:
            cfg[prop] = _bool(p.get(prop))
    cards = p.get("valid_card_types")
    if isinstance(cards, list) and all(isinstance(c, str) for c in cards):
        cfg["valid_card_types"] = list(cards)
    if accepted(p.get("language"), LANGUAGE_RE):
        cfg["language"] = p["language"]
    return "pay", cfg


def _flex_in(p: Props) -> tuple[str, Config]:
    cfg: Config = {"workflow_sid": p.get("workflow") or ""}
    if isinstance(p.get("attributes"), str) and p["attributes"]:
        cfg["attributes"] = p["attributes"]
    priority = _in_range(p.get("priority"), 0, 100)
    if priority is not None:
        cfg["priority"] = priority
    timeout = _in_range(p.get("timeout"), 0, 86400)
    if timeout is not None:
        cfg["task_timeout"] = timeout
    return "enqueue", cfg


def _redirect_in(p: Props) -> tuple[str, Config]:
    method = str(p.get("method") or "POST").upper()
    return "redirect", {"url": p.get("url") or "", "method": method if method in ("GET", "POST") else "POST"}


def _texts_in(p: Props, keys: tuple[str, ...]) -> Config:
    return {k: p[k] for k in keys if isinstance(p.get(k), str) and p[k]}


def _message_in(p: Props) -> tuple[str, Config]:
    return "message", {"body": p.get("body") or "", **_texts_in(p, ("to", "from", "media_url"))}


def _reply_in(p: Props) -> tuple[str, Config]:
    cfg: Config = {"body": p.get("body") or "", **_texts_in(p, ("from", "media_url"))}
    timeout = _in_range(p.get("timeout"), 1, 7 * 86400)
    if timeout is not None:
        cfg["timeout"] = timeout
    return "message_reply", cfg


def _outcall_in(p: Props) -> tuple[str, Config]:
    cfg: Config = _texts_in(p, ("to", "from"))
    timeout = _in_range(p.get("timeout"), 5, 600)
    if timeout is not None:
        cfg["timeout"] = timeout
    if _bool(p.get("record")) is not None:
        cfg["record"] = _bool(p.get("record"))
    return "outbound_call", cfg


IMPORTERS: dict[str, Callable[[Props], tuple[str, Config] | None]] = {
    "say-play": _say_play_in, "gather-input-on-call": _gather_in, "split-based-on": _split_in,
    "set-variables": _set_in, "connect-call-to": _connect_in, "record-voicemail": _record_in,
    "make-http-request": _http_in, "run-subflow": _subflow_in, "enqueue-call": _enqueue_in,
    "run-function": _function_in, "capture-payments": _pay_in, "send-to-flex": _flex_in,
    "add-twiml-redirect": _redirect_in, "send-message": _message_in, "send-and-wait-for-reply": _reply_in,
    "make-outgoing-call-v2": _outcall_in,
}


def import_native(wtype: str, props: Props) -> tuple[str, Config] | None:
    """(node type, config) for a widget Ringflow executes, or None when it cannot."""
    fn = IMPORTERS.get(wtype)
    return fn(props) if fn else None


# ---- export: (node type, config) -> (widget type, Studio properties) -----------------

def _t(config: Config, key: str) -> str:
    value = config.get(key)
    return to_studio_text(value) if isinstance(value, str) else ""


def export_native(ntype: str, config: Config, like: str | None = None) -> tuple[str, Props]:
    """The widget a Ringflow node becomes (menus and hangups are handled by the exporter);
    ``like``: the widget an imported node came from, when several import as this type."""
    c = config
    if ntype == "enqueue" and (like == "send-to-flex" or (like is None and c.get("workflow_sid") and not c.get("queue"))):
        props: Props = {"workflow": c.get("workflow_sid", "")}
        if c.get("attributes"):
            props["attributes"] = _t(c, "attributes")
        if "priority" in c:
            props["priority"] = c["priority"]
        if "task_timeout" in c:
            props["timeout"] = c["task_timeout"]
        return "send-to-flex", props
    if ntype == "function":
        params = as_dict(c.get("parameters"))
        return "run-function", {"url": _t(c, "url"), "parameters": [{"key": k, "value": to_studio_text(str(v))} for k, v in params.items()]}
    if ntype == "pay":
        props = {}
        for key, prop in (("charge_amount", "payment_amount"), ("currency", "currency"), ("payment_connector", "payment_connector"),
                          ("payment_method", "payment_method"), ("token_type", "payment_token_type"), ("description", "description"),
                          ("timeout", "timeout"), ("max_attempts", "max_attempts"), ("security_code", "security_code"),
                          ("postal_code", "postal_code"), ("valid_card_types", "valid_card_types"), ("language", "language")):
            if key in c:
                props[prop] = _t(c, key) if isinstance(c[key], str) else c[key]
        return "capture-payments", props
    if ntype == "redirect":
        return "add-twiml-redirect", {"url": _t(c, "url"), "method": c.get("method", "POST")}
    if ntype in ("message", "message_reply", "outbound_call"):
        wtype = {"message": "send-message", "message_reply": "send-and-wait-for-reply", "outbound_call": "make-outgoing-call-v2"}[ntype]
        props = {k: _t(c, k) for k in ("body", "to", "from", "media_url") if isinstance(c.get(k), str) and c[k]}
        props.update({k: c[k] for k in ("timeout", "record") if k in c})
        return wtype, props
    if ntype == "say":
        props = {"say": _t(c, "text")}
        props.update({k: c[k] for k in ("voice", "language", "loop") if k in c})
        return "say-play", props
    if ntype == "play":
        props = {"digits": _t(c, "digits")} if c.get("digits") and not c.get("url") else {"play": _t(c, "url")}
        if "loop" in c:
            props["loop"] = c["loop"]
        return "say-play", props
    if ntype == "pause":
        seconds = min(max(_int(c.get("seconds")) or 1, 1), 60)
        return "say-play", {"digits": "w" * (2 * seconds)}  # "w" waits half a second
    if ntype in ("gather", "menu"):
        props = {}
        if c.get("prompt"):
            props["say"] = _t(c, "prompt")
        elif c.get("prompt_url"):
            props["play"] = _t(c, "prompt_url")
        digits = 1 if ntype == "menu" else c.get("num_digits", 1)
        if digits:
            props["number_of_digits"] = digits
        if "timeout" in c:
            props["timeout"] = c["timeout"]
        key = c.get("finish_on_key", "#") if ntype == "gather" else ""
        props["stop_gather"] = bool(key)
        if key:
            props["finish_on_key"] = key
        hints = [h for h in c.get("hints") or [] if isinstance(h, str)] if isinstance(c.get("hints"), list) else []
        if hints:
            props["hints"] = ", ".join(hints)
        for key, prop in (("voice", "voice"), ("language", "language"), ("speech_language", "gather_language"),
                          ("speech_model", "speech_model"), ("speech_timeout", "speech_timeout")):
            if c.get(key):
                props[prop] = c[key]
        return "gather-input-on-call", props
    if ntype == "split":
        return "split-based-on", {"input": _t(c, "input")}
    if ntype == "set":
        variables = as_dict(c.get("variables"))
        return "set-variables", {"variables": [{"key": k, "value": to_studio_text(v if isinstance(v, str) else json.dumps(v))}
                                               for k, v in variables.items()]}
    if ntype == "transfer":
        to = _t(c, "to")
        if to.startswith("sip:"):
            props = {"noun": "sip", "sip_endpoint": to}
        elif to.startswith("client:"):
            props = {"noun": "client", "to": to[len("client:"):]}
        else:
            props = {"noun": "number-multi" if "," in to else "number", "to": to}
        if "caller_id" in c:
            props["caller_id"] = _t(c, "caller_id")
        props.update({k: c[k] for k in ("timeout", "record") if k in c})
        return "connect-call-to", props
    if ntype == "record":
        props = {}
        if "max_length" in c:
            props["max_length"] = c["max_length"]
        if "beep" in c:
            props["play_beep"] = "true" if c["beep"] else "false"
        if "transcribe" in c:
            props["transcribe"] = c["transcribe"]
        if "finish_on_key" in c:
            props["finish_on_key"] = c["finish_on_key"]
        if "silence_timeout" in c:
            props["timeout"] = c["silence_timeout"]
        if "trim" in c:
            props["trim"] = "trim-silence" if c["trim"] else "do-not-trim"
        return "record-voicemail", props
    if ntype == "http":
        props = {"method": c.get("method", "GET"), "url": _t(c, "url")}
        headers = as_dict(c.get("headers"))
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        if content_type:
            props["content_type"] = content_type
        if c.get("body"):
            props["body"] = _t(c, "body")
        return "make-http-request", props
    if ntype == "subflow":
        params = as_dict(c.get("parameters"))
        return "run-subflow", {"flow_sid": c.get("flow_id", ""), "flow_revision": "LatestPublished",
                               "parameters": [{"key": k, "value": to_studio_text(v if isinstance(v, str) else json.dumps(v))}
                                              for k, v in params.items()]}
    if ntype == "enqueue":
        props = {"workflow_sid": c["workflow_sid"]} if c.get("workflow_sid") and not c.get("queue") else {"queue_name": _t(c, "queue")}
        if "priority" in c:
            props["priority"] = c["priority"]
        return "enqueue-call", props
    if ntype == "business_hours":
        hours = [{"key": "timezone", "value": str(c.get("timezone", "UTC"))},
                  {"key": "schedule", "value": json.dumps(c.get("schedule") or {}, separators=(",", ":"))},
                  {"key": "holidays", "value": ",".join(str(d) for d in c.get("holidays") or [] if isinstance(d, str))}]
        return "run-function", {"url": "", "parameters": hours}
    if ntype == "unsupported":
        if c.get("platform", "studio") == "studio":
            return str(c.get("original_type")), dict(c["properties"]) if isinstance(c.get("properties"), dict) else {}
        return "run-function", {"url": "", "parameters": [{"key": "connect_action", "value": str(c.get("original_type"))}]}
    raise InteropError(f"node type {ntype!r} has no Studio equivalent")
