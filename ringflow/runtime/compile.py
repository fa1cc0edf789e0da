"""Compile a published flow document into the compact form every call on it shares.

Per flow, once: node index arrays, outlet -> target tables, parsed templates and, for
nodes whose output has no template, the finished action tuple. Per call, the engine then
keeps only a node index and a few counters (see :mod:`ringflow.runtime.state`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Hashable, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from ringflow.model.catalogue import CATALOGUE, WEEKDAYS, default_config
from ringflow.model.configs import CONFIGS
from ringflow.model.document import FlowDocument
from ringflow.model.saferegex import PatternError, compile_pattern
from ringflow.runtime import confs
from ringflow.runtime.templates import Template, TemplateError, compile_text

log = logging.getLogger(__name__)

# Node kinds as small ints: the engine dispatches on these, not on strings.
SAY, PLAY, PAUSE, GATHER, MENU, SPLIT, SET, HTTP, TRANSFER, RECORD, ENQUEUE, HOURS, SUBFLOW, HANGUP, UNKNOWN = range(15)
FUNCTION, PAY, REDIRECT, MESSAGE, REPLY, OUTCALL = range(15, 21)  # Studio's widgets (issue 17)
KINDS = {"say": SAY, "play": PLAY, "pause": PAUSE, "gather": GATHER, "menu": MENU, "split": SPLIT, "set": SET,
         "http": HTTP, "transfer": TRANSFER, "record": RECORD, "enqueue": ENQUEUE, "business_hours": HOURS,
         "subflow": SUBFLOW, "hangup": HANGUP, "function": FUNCTION, "pay": PAY, "redirect": REDIRECT, "message": MESSAGE,
         "message_reply": REPLY, "outbound_call": OUTCALL}
WAITING = frozenset({GATHER, MENU, HTTP, TRANSFER, RECORD, ENQUEUE, SUBFLOW, FUNCTION, PAY, REDIRECT, MESSAGE, REPLY})
"""Kinds that stop a run: the caller, the provider or the network has to answer first."""


_PLAIN_SAY = ("alice", "en-US", 1)


@dataclass(slots=True)
class CompiledFlow:
    key: Hashable  # (customer_id, flow_id, revision): also what a call state points at
    ids: list[str]
    kinds: list[int]
    conf: list[Any]  # per node its kind's named tuple (ringflow.runtime.confs)
    exits: list[dict[str, int]]
    start: int
    static: list[tuple[Any, ...] | None]  # finished action per node when it holds no template
    index: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    static_pos: dict[int, int] = field(default_factory=dict)  # id(static action) -> node index
    entries: dict[str, int] = field(default_factory=dict)  # "message" / "request" -> where such a start begins (Studio's trigger)
    labels: dict[int, str] = field(default_factory=dict)  # node index -> label, labelled nodes only (test calls name them)

    def __post_init__(self) -> None:
        self.static_pos = {id(a): i for i, a in enumerate(self.static) if a is not None}

    def pack(self, actions: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        """Actions as stored in a call's ``last``: a static action becomes its node index."""
        pos = self.static_pos
        return tuple(pos.get(id(a), a[1] if a[2:] == _PLAIN_SAY and a[0] == "say" else a) for a in actions)

    def unpack(self, packed: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        out = []
        for a in packed:
            if isinstance(a, int):
                action = self.static[a] if 0 <= a < len(self.static) else None
                if action is not None:
                    out.append(action)
            elif isinstance(a, str):  # a rendered say with the default voice: only its text is kept
                out.append(("say", a) + _PLAIN_SAY)
            else:
                out.append(a)
        return out


def _text(value: Any, node_id: str, warnings: list[str]) -> str | Template:
    try:
        return compile_text(value)
    except TemplateError as exc:
        warnings.append(f"node {node_id}: template does not parse ({str(exc).splitlines()[0]}); it renders empty")
        return ""


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _minutes(hhmm: Any) -> int | None:
    if not isinstance(hhmm, str) or not re.fullmatch(r"\d{1,2}:\d{2}", hhmm):
        return None
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _schedule(raw: Any) -> tuple[tuple[tuple[int, int], ...], ...]:
    days: list[tuple[tuple[int, int], ...]] = []
    for day in WEEKDAYS:
        spans = []
        for span in (raw.get(day) or []) if isinstance(raw, dict) else []:
            if isinstance(span, (list, tuple)) and len(span) == 2:
                a, b = _minutes(span[0]), _minutes(span[1])
                if a is not None and b is not None:
                    spans.append((a, b))
        days.append(tuple(spans))
    return tuple(days)


def _conf(kind: int, cfg: dict[str, Any], nid: str, w: list[str]) -> tuple[Any, ...]:
    def t(name: str) -> Any:
        return _text(cfg.get(name, ""), nid, w)

    if kind == SAY:
        return confs.Say(t("text"), str(cfg.get("voice") or "alice"), str(cfg.get("language") or "en-US"), _int(cfg.get("loop"), 1))
    if kind == PLAY:
        return confs.Play(t("url"), _int(cfg.get("loop"), 1), t("digits"))
    if kind == PAUSE:
        return confs.Pause(_int(cfg.get("seconds"), 1))
    if kind == GATHER:
        hints = tuple(h for h in cfg.get("hints") or [] if isinstance(h, str))
        listen = (str(cfg.get("speech_language") or ""), str(cfg.get("speech_model") or ""), str(cfg.get("speech_timeout") or "auto"))
        return confs.Gather(t("prompt"), str(cfg.get("input") or "dtmf"), _int(cfg.get("num_digits"), 1), _int(cfg.get("timeout"), 5),
                str(cfg.get("finish_on_key") or ""), hints, t("prompt_url"), str(cfg.get("voice") or "alice"),
                str(cfg.get("language") or "en-US"), listen)
    if kind == MENU:
        digits = tuple(d for d in cfg.get("digits") or [] if isinstance(d, str))
        return confs.Menu(t("prompt"), frozenset(digits), _int(cfg.get("timeout"), 5), _int(cfg.get("retries"), 2))
    if kind == SPLIT:
        cases = []
        for case in cfg.get("cases") or []:
            if not isinstance(case, dict) or not isinstance(case.get("name"), str):
                continue
            op = case.get("op", "equals")
            rx = None
            if op == "regex":
                try:
                    rx = compile_pattern(str(case.get("value", "")), bool(cfg.get("ignore_case")))
                except PatternError as exc:
                    w.append(f"node {nid}: case {case['name']!r} has a regex that cannot run ({exc}); it never matches")
            cases.append((case["name"], op, _text(case.get("value", ""), nid, w), rx))
        return confs.Split(t("input"), tuple(cases), bool(cfg.get("ignore_case")))
    if kind == SET:
        variables = cfg.get("variables") or {}
        return confs.SetVariables(tuple((str(k), _text(v, nid, w)) for k, v in variables.items()))
    if kind == HTTP:
        headers = tuple((str(k), str(v)) for k, v in (cfg.get("headers") or {}).items())
        return confs.Http(str(cfg.get("method") or "GET"), t("url"), headers, t("body"), min(_int(cfg.get("timeout"), 10), 10))
    if kind == TRANSFER:
        return confs.Transfer(t("to"), t("caller_id"), _int(cfg.get("timeout"), 30), bool(cfg.get("record")))
    if kind == RECORD:
        base = (_int(cfg.get("max_length"), 120), bool(cfg.get("beep", True)), bool(cfg.get("transcribe")))
        extra = (str(cfg.get("finish_on_key", "#")), _int(cfg.get("silence_timeout"), 5), bool(cfg.get("trim", True)))
        return base + extra if extra != ("#", 5, True) else base  # Twilio's defaults: the short form
    if kind == ENQUEUE:
        return confs.Enqueue(t("queue"), _int(cfg.get("priority"), 0), str(cfg.get("workflow_sid") or ""), t("attributes"),
                _int(cfg.get("task_timeout"), 0))
    if kind in (FUNCTION, PAY, REDIRECT, MESSAGE, REPLY, OUTCALL):
        from ringflow.runtime.widgets import widget_conf  # Studio's widgets live in their own module

        return widget_conf(kind, cfg, t, nid, w)
    if kind == HOURS:
        try:
            tz = ZoneInfo(str(cfg.get("timezone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            w.append(f"node {nid}: unknown timezone {cfg.get('timezone')!r}; using UTC")
            tz = ZoneInfo("UTC")
        holidays = frozenset(d for d in cfg.get("holidays") or [] if isinstance(d, str))
        return confs.Hours(tz, _schedule(cfg.get("schedule")), holidays, {})
    if kind == SUBFLOW:
        raw = cfg.get("parameters")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return confs.Subflow(str(cfg.get("flow_id") or ""), tuple((str(k), _text(v, nid, w)) for k, v in params.items()))
    return ()


def prompt_action(text: str, url: str, voice: str = "alice", language: str = "en-US") -> tuple[Any, ...] | None:
    """What a gather or menu plays while it listens: an audio file if given, else speech."""
    if url:
        return ("play", url, 1, "")
    return ("say", text, voice, language, 1) if text else None


def gather_action(conf: confs.Gather, prompt: str, url: str) -> tuple[Any, ...]:
    """A gather's action; the last item (recognition language, model, speech timeout) only when
    one differs from the defaults, so plain gathers keep their short form."""
    listen = conf.listen
    action = ("gather", conf.input, conf.num_digits, conf.timeout, conf.finish_on_key, conf.hints,
              prompt_action(prompt, url, conf.voice, conf.language))
    return action + (listen,) if listen != ("", "", "auto") else action


def _static_action(kind: int, conf: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The action a node always emits, when none of its fields is a template."""
    if any(isinstance(c, Template) for c in conf):
        return None
    if kind == SAY:
        return ("say",) + conf
    if kind == PLAY:
        return ("play",) + conf
    if kind == PAUSE:
        return ("pause",) + conf
    if isinstance(conf, confs.Gather):
        return gather_action(conf, conf.prompt, conf.prompt_url)
    if isinstance(conf, confs.Menu):
        prompt = prompt_action(conf.prompt, "")
        return ("gather", "dtmf", 1, conf.timeout, "", (), prompt)
    if kind == RECORD:
        return ("record",) + conf
    return None


def _settings(type_name: str, config: dict[str, Any], refused: list[str]) -> dict[str, Any]:
    """A node's settings read through its type's config Struct (``ringflow.model.configs``): the
    Struct's defaults fill what the config leaves out. A config the Struct refuses (a draft's, or
    one stored before a rule tightened) keeps its own values over the catalogue's defaults; its
    reason goes to ``refused`` (compile_flow logs them)."""
    struct = CONFIGS[type_name]
    known = {k: v for k, v in config.items() if k in struct.__struct_fields__}
    try:
        settings: dict[str, Any] = msgspec.to_builtins(msgspec.convert(known, struct))
    except msgspec.ValidationError as exc:
        refused.append(str(exc))
        return {**default_config(type_name), **config}
    return settings


def compile_flow(doc: FlowDocument, key: Hashable) -> CompiledFlow:
    """Compile a (validated, published) document; problems become warnings, never crashes."""
    nodes = doc.get("nodes") or []
    index = {n["id"]: i for i, n in enumerate(nodes)}
    ids, kinds, compiled, statics, warnings = [], [], [], [], []
    refused: list[str] = []
    for node in nodes:
        kind = KINDS.get(node.get("type", ""), UNKNOWN)
        if kind == UNKNOWN and node.get("type") == "unsupported":
            cfg0 = node.get("config") or {}
            warnings.append(f"node {node['id']}: Ringflow cannot execute {cfg0.get('platform', 'imported')} widget "
                            f"{cfg0.get('original_type', '?')}; the call ends there")
        elif kind == UNKNOWN:
            warnings.append(f"node {node['id']}: unknown type {node.get('type')!r}; the call ends there")
        cfg = _settings(node["type"], node.get("config") or {}, refused) if node.get("type") in CATALOGUE else {}
        conf = _conf(kind, cfg, node["id"], warnings)
        ids.append(node["id"])
        kinds.append(kind)
        compiled.append(conf)
        statics.append(_static_action(kind, conf))
    exits: list[dict[str, int]] = [{} for _ in nodes]
    for edge in doc.get("edges") or []:
        src, dst = index.get(edge["source"]), index.get(edge["target"])
        if src is not None and dst is not None:
            exits[src][edge["outlet"]] = dst
    if refused:
        log.warning("flow %s: %d config(s) refused by their type (first: %s); compiled from their values as they are",
                    key, len(refused), refused[0])
    start = index.get(doc.get("start") or "", -1)
    cf = CompiledFlow(key, ids, kinds, compiled, exits, start, statics, index, warnings)
    cf.entries = _entries(cast(dict[str, Any], nodes[start]) if start >= 0 else None, index)
    cf.labels = {i: n["label"] for i, n in enumerate(nodes) if n.get("label")}
    return cf


_TRIGGER_ENTRIES = {"incomingMessage": "message", "incomingRequest": "request"}


def _entries(start_node: dict[str, Any] | None, index: dict[str, int]) -> dict[str, int]:
    """Where a messaging conversation or a REST execution starts in an imported Studio flow: its
    trigger's incomingMessage / incomingRequest target, kept with the start node by the import
    (``config.studio.trigger``). Flows without one start every kind of execution at ``start``."""
    from ringflow.interop.names import name_to_id

    stash = ((start_node or {}).get("config") or {}).get("studio")
    trigger = stash.get("trigger") if isinstance(stash, dict) else None
    out: dict[str, int] = {}
    transitions = trigger.get("transitions") if isinstance(trigger, dict) else None
    for t in transitions if isinstance(transitions, list) else []:  # a hand-made stash may hold anything
        event = t.get("event") if isinstance(t, dict) else None
        entry = _TRIGGER_ENTRIES.get(event) if isinstance(event, str) else None
        if entry and isinstance(t.get("next"), str) and name_to_id(t["next"]) in index:
            out[entry] = index[name_to_id(t["next"])]
    return out
