"""The step function: (compiled flow, call state, event, now) -> (new state, actions, trail).

Pure and deterministic: no I/O, no clock (``now`` is an input), the given state is never
mutated. One call runs nodes until one has to wait (caller input, a dial, a recording,
an HTTP answer, a subflow to load), so one webhook answer carries a welcome and the menu
prompt together. The adapter performs what the actions ask and feeds the result back.

Events are tuples: ("start",), ("digits", "12"), ("speech", text, confidence),
("timeout",), ("dial", status), ("record", url, seconds), ("queue", result),
("http", status_code, parsed, body), ("subflow", ok), ("subflow_done",), ("hangup",).
Actions are tuples too (see ``docs/runtime.md``); ``trail`` lists (node index, outlet)
traversals for history and live counts.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from typing import Any, NamedTuple

from ringflow.model.saferegex import search as rx_search
from ringflow.runtime import callinfo, confs, widgets
from ringflow.runtime.compile import (
    ENQUEUE,
    GATHER,
    HANGUP,
    HOURS,
    HTTP,
    MENU,
    OUTCALL,
    PAUSE,
    PLAY,
    RECORD,
    SAY,
    SET,
    SPLIT,
    SUBFLOW,
    TRANSFER,
    WAITING,
    CompiledFlow,
    gather_action,
    prompt_action,
)
from ringflow.runtime.limits import LimitError, answer_deadline, check_answer
from ringflow.runtime.state import ENDED, CallState
from ringflow.runtime.templates import NodesView, Template, build_context

MAX_STEPS = 1000
MAX_SAME = 10
MAX_SUBFLOW_DEPTH = 5
MAX_DIGITS = 32
_JUNK = re.compile(r"[^0-9*#]")
_DIAL = {"completed": "completed", "answered": "completed", "busy": "busy", "no-answer": "no_answer",
         "no_answer": "no_answer", "failed": "failed", "canceled": "failed"}
_QUEUE_OK = frozenset({"bridged", "bridging-in-process", "redirected", "leave", "completed"})
_FAILS = frozenset({HTTP, TRANSFER, SUBFLOW})  # waits that have a "failed" outlet for a field over a limit


class Step(NamedTuple):
    state: CallState
    actions: list[tuple[Any, ...]]
    trail: list[tuple[int, str]]
    why: dict[int, tuple[Any, ...]] | None = None
    """Why a ``trail`` entry left by its outlet, by trail index, where nothing else says it:
    ("split", value compared, case, op, expected) and, for a menu digit that is not a choice,
    ("heard", digits). Everything else is already in the state (``outs``: digits heard, HTTP and
    dial status) or follows from the config and ``now`` (business hours, Set): ``explain``
    reads those, so a call pays for reasons only at splits and refused menu digits."""


def clean_digits(raw: Any) -> str:
    """Keypad characters only, at most 32: junk from a provider never reaches a template."""
    return _JUNK.sub("", str(raw or ""))[:MAX_DIGITS]


def waiting_for(cf: CompiledFlow, state: CallState) -> str | None:
    """What the call waits for now, in words the test panel shows; None once it ended."""
    if state.node == ENDED:
        return None
    kind = cf.kinds[state.node]
    if kind == GATHER:
        return {"dtmf": "digits", "speech": "speech"}.get(cf.conf[state.node].input, "digits_or_speech")
    return {MENU: "digits", HTTP: "http", TRANSFER: "dial", RECORD: "recording", ENQUEUE: "queue", SUBFLOW: "subflow",
            **widgets.WAITS}.get(kind)


class _Run:
    """One advance: the copied state, the actions so far, and a lazily built template context."""

    __slots__ = ("cf", "st", "now", "actions", "trail", "why", "_ctx", "_trigger", "at", "failed", "_deadline", "_flowx", "outcall")

    def __init__(self, cf: CompiledFlow, st: CallState, now: float):
        self.cf, self.st, self.now = cf, st, now
        self.actions: list[tuple[Any, ...]] = []
        self.trail: list[tuple[int, str]] = []
        self.why: dict[int, tuple[Any, ...]] | None = None
        self._ctx: dict[str, Any] | None = None
        self._trigger: dict[str, Any] | None = None
        self.at = -1  # the node whose fields are being rendered (an error names it)
        self.failed = False  # a render or condition of that node went over a limit
        self._deadline = 0.0  # this advance's loop-time deadline, taken at its first Liquid render or regex
        self._flowx: tuple[dict[str, Any], dict[str, Any]] | None = None  # flow.data, flow_sid, sid, channel: fixed for one run
        self.outcall = "answered"  # the outlet a make-outgoing-call node takes (a REST execution's call outcome)

    def text(self, value: str | Template) -> str:
        if isinstance(value, str):
            return value
        if not self._deadline:
            self._deadline = answer_deadline()
        try:
            return value.render_with(self._root, self._context, self._deadline)
        except LimitError as exc:
            self.fail(str(exc))
            return ""

    def fail(self, message: str) -> None:
        """A field over a limit: noted as an ("error", node id, message) action for the test
        panel and the history (never sent to the provider); the node takes its error path."""
        self.failed = True
        self.actions.append(("error", self.cf.ids[self.at] if self.at >= 0 else "", message))

    def _root(self, name: str) -> Any:
        """Top-level template names, built only when a template asks for them."""
        if name == "trigger":
            if self._trigger is None:
                self._trigger = callinfo.trigger(self.st.call)
            return self._trigger
        if name == "flow":
            if self._flowx is None:
                self._flowx = (flow_data(self.st), callinfo.flow_context(self.st.call, self.cf.key))
            return {"variables": self.st.vars or {}, "data": self._flowx[0], **self._flowx[1]}
        if name == "contact":
            return callinfo.contact(self.st.call)
        if name == "nodes" or name == "widgets":
            return NodesView(self.st.outs)
        return None

    def _context(self) -> dict[str, Any]:
        if self._ctx is None:
            self._ctx = build_context(self.st.call, self.st.vars, self.st.outs, flow_data(self.st), self.cf.key)
        return self._ctx

    def put_out(self, node: int, result: dict[str, Any]) -> None:
        outs = dict(self.st.outs) if self.st.outs else {}
        outs[self.cf.ids[node]] = result
        self.st.outs = outs
        self._ctx = None

    def end(self, reason: str = "") -> Step:
        self.st.node = ENDED
        self.actions.append(("hangup", reason))
        return Step(self.st, self.actions, self.trail, self.why)

    def note(self, why: tuple[Any, ...]) -> None:
        """Say why the next trail entry leaves by its outlet."""
        if self.why is None:
            self.why = {}
        self.why[len(self.trail)] = why

    def follow(self, node: int, outlet: str) -> Step:
        """Leave ``node`` by ``outlet`` and run on; an unconnected outlet ends the call (or the subflow)."""
        self.trail.append((node, outlet))
        target = self.cf.exits[node].get(outlet)
        if target is None:
            if self.st.stack:
                self.st.node = ENDED
                self.actions.append(("return",))
                return Step(self.st, self.actions, self.trail, self.why)
            return self.end()
        self.st.same = self.st.same + 1 if target == node else 1
        return self.run(target)

    def wait_action(self, node: int) -> tuple[Any, ...]:
        cf, kind, c = self.cf, self.cf.kinds[node], self.cf.conf[node]
        self.at = node
        static = cf.static[node]
        if static is not None:
            return static
        if isinstance(c, confs.Menu):
            return ("gather", "dtmf", 1, c.timeout, "", (), prompt_action(self.text(c.prompt), ""))
        if isinstance(c, confs.Gather):
            return gather_action(c, self.text(c.prompt), self.text(c.prompt_url))
        if isinstance(c, confs.Http):
            return ("http", c.method, self.text(c.url), c.headers, self.text(c.body), c.timeout)
        if kind == TRANSFER:
            return ("dial", self.text(c.to), self.text(c.caller_id), c.timeout, c.record)
        if isinstance(c, confs.Enqueue):
            if c.workflow_sid:  # a TaskRouter workflow (Flex): the task's attributes and timeout go with it
                return ("enqueue", self.text(c.queue), c.priority, c.workflow_sid, self.text(c.attributes), c.task_timeout)
            return ("enqueue", self.text(c.queue), c.priority)
        if kind in widgets.WAITS:
            return widgets.wait_action(kind, c, self.text, self.st.call)
        if isinstance(c, confs.Subflow):
            if not c.parameters:
                return ("subflow", c.flow_id)
            # parameters are rendered here, in the calling flow's context; the subflow reads them as flow.data
            return ("subflow", c.flow_id, {name: self.text(value) for name, value in c.parameters})
        return ("record",) + tuple(c)

    def run(self, node: int) -> Step:
        cf, st = self.cf, self.st
        while True:
            st.steps += 1
            if st.steps > MAX_STEPS:
                return self.end("step_limit")
            if st.same > MAX_SAME:
                return self.end("loop_limit")
            kind = cf.kinds[node]
            self.at, self.failed = node, False
            if kind in WAITING:
                action = self.wait_action(node)
                if not (self.failed and kind in _FAILS):
                    st.node = node
                    st.retry = 0
                    self.actions.append(action)
                    return Step(st, self.actions, self.trail, self.why)
                kind = -1  # a field over a limit: leave by "failed" below, nothing is sent
            c = cf.conf[node]
            if kind == -1:
                outlet = "failed"
            elif kind == SAY or kind == PLAY or kind == PAUSE:
                static = cf.static[node]
                if static is not None:
                    self.actions.append(static)
                else:
                    action = ("say", self.text(c.text), c.voice, c.language, c.loop) if kind == SAY else \
                        ("play", self.text(c.url), c.loop, self.text(c.digits))
                    if not self.failed:  # a text over a limit is not spoken at all
                        self.actions.append(action)
                outlet = "next"
            elif kind == SPLIT:
                why = self.split(c)
                self.note(why)
                outlet = why[2]
            elif kind == SET:
                variables = dict(st.vars) if st.vars else {}
                for name, value in c.variables:
                    variables[name] = self.text(value)
                st.vars = variables
                self._ctx = None
                outlet = "next"
            elif kind == HOURS:
                outlet = "open" if is_open(c, self.now) else "closed"
            elif kind == HANGUP:
                self.trail.append((node, ""))
                return self.end()
            elif kind == OUTCALL:
                # the call a REST execution placed reaches the flow's webhook only once answered; busy,
                # no-answer and failed come back as its status callback and start here with that outcome
                outlet, self.outcall = self.outcall, "answered"
            else:
                self.trail.append((node, ""))
                return self.end("unsupported_node")
            self.trail.append((node, outlet))
            target = cf.exits[node].get(outlet)
            if target is None:
                if st.stack:
                    st.node = ENDED
                    self.actions.append(("return",))
                    return Step(st, self.actions, self.trail, self.why)
                return self.end()
            st.same = st.same + 1 if target == node else 1
            node = target

    def split(self, c: confs.Split) -> tuple[Any, ...]:
        """("split", the value compared, the case taken (or "no_match"), its op, the value it expected).
        ``no_match`` also when a render or the answer's time budget runs out (each case is bounded:
        RE2 regexes, texts of at most 16 KB)."""
        value = self.text(c.input)
        fold = c.ignore_case  # Studio's conditions: trimmed and case-insensitive
        if fold:
            value = value.strip().casefold()
        for name, op, raw, rx in c.cases:
            expected = self.text(raw)
            if self.failed:
                return ("split", value, "no_match", op, expected)
            if fold:
                expected = ",".join(x.strip() for x in expected.split(",")) if "any_of" in op else expected.strip()
                expected = expected.casefold()
            if rx is not None:
                if not self._deadline:
                    self._deadline = answer_deadline()
                try:
                    check_answer(self._deadline)
                except LimitError as exc:
                    self.fail(str(exc))
                    return ("split", value, "no_match", op, expected)
            if _matches(op, value, expected, rx):
                return ("split", value, name, op, expected)
        return ("split", value, "no_match", None, None)


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _parse_time(text: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else None


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _ordered(parse: Any, value: str, expected: str, before: bool) -> bool:
    a, b = parse(value), parse(expected)
    if a is None or b is None:
        return False
    return bool(a < b if before else a > b)


def _matches(op: str, value: str, expected: str, rx: Any) -> bool:
    if op == "equals":
        return value == expected
    if op == "not_equals":
        return value != expected
    if op == "contains":
        return expected in value
    if op == "starts_with":
        return value.startswith(expected)
    if op == "regex":
        return rx is not None and rx_search(rx, value)
    if op in ("less_than", "greater_than"):
        a, b = _number(value), _number(expected)
        if a is None or b is None:
            return False
        return a < b if op == "less_than" else a > b
    if op in ("matches_any_of", "does_not_match_any_of"):
        hit = value in {item.strip() for item in expected.split(",")}
        return hit if op == "matches_any_of" else not hit
    if op == "is_blank":
        return not value.strip()
    if op == "is_not_blank":
        return bool(value.strip())
    if op == "does_not_contain":
        return expected not in value
    if op == "does_not_start_with":
        return not value.startswith(expected)
    if op in ("is_before_time", "is_after_time"):
        return _ordered(_parse_time, value, expected, op == "is_before_time")
    if op in ("is_before_date", "is_after_date"):
        return _ordered(_parse_date, value, expected, op == "is_before_date")
    return False


def is_open(conf: confs.Hours, now: float) -> bool:
    """Open at ``now``? Memoised per minute in the node's own config (the answer only changes by the minute)."""
    memo = conf.memo
    minute = int(now // 60)
    hit = memo.get(minute)
    if hit is None:
        if len(memo) > 64:
            memo.clear()
        hit = memo[minute] = _is_open(conf, now)
    return hit


def _is_open(conf: confs.Hours, now: float) -> bool:
    tz, schedule, holidays = conf.tz, conf.schedule, conf.holidays
    local = datetime.fromtimestamp(now, tz)
    if local.date().isoformat() in holidays:
        return False
    minute = local.hour * 60 + local.minute
    for start, end in schedule[local.weekday()]:
        if (start <= minute < end) if start < end else (minute >= start or minute < end):
            return True
    return False


def new_call(cf: CompiledFlow, call: tuple[str, ...], deadline: int = 0) -> CallState:
    """A fresh call; the fields every call of a number repeats (To, direction, account) are interned."""
    if len(call) > 5:  # the extra parameters' names are interned, their values (cities, names) not
        call = call[:2] + tuple(sys.intern(x) if isinstance(x, str) and (i < 5 or i % 2) else x
                                for i, x in enumerate(call[2:], 2))
    elif len(call) > 2:
        call = call[:2] + tuple(sys.intern(x) if isinstance(x, str) else x for x in call[2:])
    return CallState(cf.key, call, deadline)


def advance(cf: CompiledFlow, state: CallState, event: tuple[Any, ...], now: float) -> Step:
    """Apply one event to a call; ``cf`` must be the flow the call is in (``state.flow``)."""
    st = state.copy()
    r = _Run(cf, st, now)
    kind = event[0]
    if kind == "start":  # ("start",), ("start", "message" | "request"): Studio's other triggers;
        # ("start", "request", outlet): a REST execution's call that never connected (busy, no_answer, failed)
        begin = cf.entries.get(event[1], cf.start) if len(event) > 1 else cf.start
        if len(event) > 2:
            r.outcall = event[2]
        if begin < 0:
            return r.end("no_start")
        st.same = 1
        return r.run(begin)
    if st.node == ENDED:
        return Step(st, [("hangup", "")], [])
    if kind == "hangup":
        st.node = ENDED
        return Step(st, [], [])
    node = st.node
    nk = cf.kinds[node]
    if nk == GATHER:
        if kind == "digits" and (digits := clean_digits(event[1])):
            r.put_out(node, {"digits": digits})
            return r.follow(node, "keypress")
        if kind == "speech" and str(event[1]).strip():
            r.put_out(node, {"speech": str(event[1])[:1024], "confidence": event[2] if len(event) > 2 else None})
            return r.follow(node, "speech")
        if kind in ("digits", "speech", "timeout"):
            return r.follow(node, "timeout")
    elif nk == MENU:
        if kind in ("digits", "speech", "timeout"):
            digit = clean_digits(event[1])[:1] if kind == "digits" else ""
            if digit and digit in cf.conf[node].digits:
                r.put_out(node, {"digits": digit})
                return r.follow(node, digit)
            outlet = "timeout" if kind == "timeout" else "invalid"
            if st.retry < cf.conf[node].retries:
                st.retry += 1
                r.note(("heard", clean_digits(event[1]) if kind == "digits" else ""))
                r.trail.append((node, "retry"))
                r.actions.append(r.wait_action(node))
                return Step(st, r.actions, r.trail, r.why)
            r.note(("heard", clean_digits(event[1]) if kind == "digits" else ""))
            return r.follow(node, outlet)
    elif nk == HTTP and kind == "http":
        status = int(event[1] or 0)
        r.put_out(node, {"status_code": status, "parsed": event[2], "body": event[3]})
        return r.follow(node, "success" if 200 <= status < 300 else "failed")
    elif nk == TRANSFER and kind == "dial":
        dialed = str(event[1] or "failed")
        r.put_out(node, {"status": dialed})
        return r.follow(node, _DIAL.get(dialed, "failed"))
    elif nk == RECORD and kind == "record":
        url, seconds = str(event[1] or ""), int(event[2] or 0)
        r.put_out(node, {"recording_url": url, "duration": seconds})
        if len(event) > 3 and event[3]:  # the caller hung up while recording (Twilio: Digits=hangup)
            return r.follow(node, "hangup")
        return r.follow(node, "recorded" if url and seconds > 0 else "no_audio")
    elif nk == RECORD and kind == "timeout":
        return r.follow(node, "no_audio")
    elif nk == ENQUEUE and kind == "queue":
        return r.follow(node, "completed" if str(event[1]) in _QUEUE_OK else "failed")
    elif nk == SUBFLOW and kind == "subflow" and not event[1]:
        return r.follow(node, "failed")
    elif nk == SUBFLOW and kind == "subflow_done":
        return r.follow(node, "completed")
    elif nk in widgets.WAITS and (got := widgets.on_event(nk, event)) is not None:
        results, outlet = got
        if results:
            r.put_out(node, {**(st.outs or {}).get(cf.ids[node], {}), **results})
        if not outlet:
            return Step(st, r.actions, r.trail)
        return r.follow(node, outlet)
    # an event this node does not wait for: answer the same wait again, never advance
    r.actions.append(r.wait_action(node))
    return Step(st, r.actions, r.trail, r.why)


def flow_data(state: CallState) -> dict[str, str]:
    """``flow.data`` of the flow the call is in now: the parameters its subflow frame was entered with.

    Kept as an optional third item of the return point, so a call outside subflows (or in a
    subflow without parameters) carries no extra field at all."""
    stack = state.stack
    if stack:
        return stack[-1][2] if len(stack[-1]) > 2 else {}
    return callinfo.call_data(state.call) if len(state.call) > 5 else {}  # a REST execution's parameters


def enter_subflow(state: CallState, sub: CompiledFlow, data: dict[str, str] | None = None) -> CallState | None:
    """Push a return point (with the subflow's ``flow.data`` when any) and move the call into ``sub``;
    None when nested too deep. Leaving pops the frame, so the parent's data comes back by itself."""
    depth = len(state.stack or ())
    if depth >= MAX_SUBFLOW_DEPTH or sub.start < 0:
        return None
    st = state.copy()
    frame: tuple[Any, ...] = (state.flow, state.node, dict(data)) if data else (state.flow, state.node)
    st.stack = (state.stack or ()) + (frame,)
    st.flow = sub.key
    return st


def leave_subflow(state: CallState) -> CallState:
    """Pop the return point: the call is back on the parent's subflow node."""
    assert state.stack
    st = state.copy()
    (flow, node), rest = state.stack[-1][:2], state.stack[:-1]
    st.flow, st.node, st.stack = flow, node, rest or None
    return st
