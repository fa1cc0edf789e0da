"""Drives calls: the one place that joins the pure engine to flows, state, HTTP and history.

A webhook becomes: load state -> check the step counter (a retry is answered from the
stored answer) -> run the engine until it waits (performing HTTP requests and entering
or leaving subflows in between) -> compare-and-set the new state -> history and counts.
Everything here is I/O glue; the call semantics live in :mod:`ringflow.runtime.engine`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import parse_qsl

from ringflow.clock import Clock, system_clock
from ringflow.runtime.backends import StateBackend
from ringflow.runtime.callinfo import MESSAGE
from ringflow.runtime.compile import REPLY, CompiledFlow
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.engine import advance, enter_subflow, leave_subflow, new_call
from ringflow.runtime.fairness import LoopShare
from ringflow.runtime.flows import FlowSource
from ringflow.runtime.history import History
from ringflow.runtime.httpclient import GuardedHttp, HttpResult
from ringflow.runtime.secrets import twilio_signature
from ringflow.runtime.state import ENDED, CallState
from ringflow.runtime.widgets import SIGN

log = logging.getLogger("ringflow.runtime")
CALL_TTL = 4 * 3600  # an idle call is dropped after this (a real call updates it every webhook)
ENDED_TTL = 300  # an ended call is kept a little, so a retried last webhook still gets its answer
REPLY_GRACE = 300  # a conversation waiting for a reply is kept this long past the widget's timeout
MAX_HTTP_PER_ANSWER = 5  # more HTTP nodes in one answer fail fast instead of stalling the provider
_INTERNAL = frozenset({"http", "subflow", "return", "error", "sms", "sms_wait"})


def root_flow(st: CallState) -> Any:
    """The key of the flow the call was started on (its webhook URLs name it), under any subflows."""
    return st.stack[0][0] if st.stack else st.flow


class NotPublished(LookupError):
    """No such flow for this customer, or it has no published revision."""


@dataclass(slots=True)
class Outcome:
    state: CallState
    flow: CompiledFlow
    actions: list[tuple[Any, ...]]  # what to answer (TwiML verbs)
    path: list[str] = field(default_factory=list)  # node ids run during this answer
    replay: bool = False  # a retried webhook answered from the stored answer
    trail: list[tuple[str, str]] = field(default_factory=list)  # (node id, outlet) traversals
    errors: list[tuple[str, str]] = field(default_factory=list)  # (node id, message): a field over a limit
    why: list[tuple[Any, ...]] = field(default_factory=list)  # (flow, trail, engine's why, now) per engine advance: runtime/explain.py

    @property
    def ended(self) -> bool:
        return self.state.node == ENDED

    @property
    def node_id(self) -> str | None:
        return None if self.state.node == ENDED else self.flow.ids[self.state.node]


class Fetcher(Protocol):
    """What the HTTP node needs; GuardedHttp in production, anything with ``fetch`` in tests."""

    async def fetch(self, method: str, url: str, headers: tuple[tuple[str, str], ...] = (), body: str = "",
                    timeout: float = 10.0) -> HttpResult: ...


class Messenger(Protocol):
    """Sends an SMS for a call's flow (the provider's REST API with the customer's account);
    ``None`` in a Runtime means no provider is configured: every send fails (the fail branch)."""

    async def send(self, customer_id: int, call: tuple[str, ...], to: str, sender: str, body: str,
                   media_url: str) -> tuple[bool, str]: ...


class Runtime:
    def __init__(self, flows: FlowSource, backend: StateBackend, history: History, http: Fetcher | GuardedHttp | None = None,
                 counts: LiveCounts | None = None, clock: Clock = system_clock, ttl: int = CALL_TTL,
                 background_history: bool = False, share: LoopShare | None = None, messenger: Messenger | None = None,
                 signer: Callable[[int], Awaitable[str | None]] | None = None):
        self.flows, self.backend, self.history, self.counts = flows, backend, history, counts
        self.share = share or LoopShare()  # each customer's share of the loop for heavy answers
        self.messenger = messenger
        self.signer = signer  # the customer's auth token, to sign requests to protected Twilio Functions
        self.http = http or GuardedHttp()
        self.clock, self.ttl = clock, ttl
        self._deadlines: dict[int, int] = {}
        self.background_history = background_history
        # Redis state + Redis history: the history rides in the state's compare-and-set script
        self._inline_log = getattr(history, "inline_log", None) if getattr(backend, "accepts_log", False) else None
        self._pending: set[asyncio.Task[None]] = set()

    # --- the three webhook entry points ------------------------------------------------------

    async def start_call(self, customer_id: int, flow_id: int, call: tuple[str, ...], *, draft: bool = False,
                         test: bool = False, entry: str = "", outcome: str = "") -> Outcome:
        """``entry``: "message" (a messaging conversation) or "request" (a REST execution's call)
        start where Studio's trigger sends them; "" at the flow's start. ``outcome``: the outlet a
        make-outgoing-call node takes (busy, no_answer, failed: the execution's call never connected)."""
        cf = await (self.flows.draft(customer_id, flow_id) if draft else self.flows.published(customer_id, flow_id))
        if cf is None:
            raise NotPublished(flow_id)
        now = self.clock()
        st = new_call(cf, call, int(now) + self.ttl)
        event = ("start", entry, outcome) if outcome else ("start", entry) if entry else ("start",)
        out = await self._drive(cf, st, event, now)
        out.state.step = 1
        self._finish(out, now)
        rev = cf.key[2]  # type: ignore[index]
        log = self._inline_call(call[0], (customer_id, flow_id, rev, test), out, "start", now) if self._inline_log else None
        if not await self.backend.put(out.state, None, log, **self._longer(out, now)):  # the provider retried the first webhook
            return await self._replay(call[0]) or out
        self._count(out, None, None)
        if log is not None:
            self.history.index_nowait(call[0], customer_id, flow_id, now)  # type: ignore[attr-defined]
        else:
            await self._later(self.history.begin(call[0], customer_id, flow_id, rev, test, now), self._record(out, "start", now))
        return out

    async def step_call(self, sid: str, n: int, event: tuple[Any, ...], expect: tuple[int, int] | None = None) -> Outcome | None:
        """Advance a call; None when the call is unknown (expired, ended and freed, or made up) or,
        given ``expect`` = (customer id, flow id) from a webhook URL, belongs to another flow: such
        a call is neither answered nor moved."""
        st = await self.backend.get(sid, n)
        if st is None:
            return None
        if expect is not None and root_flow(st)[:2] != expect:
            return None
        cf = await self.flows.by_key(st.flow)
        if cf is None:
            return None
        if n != st.step or st.node == ENDED:
            return Outcome(st, cf, cf.unpack(st.last), replay=True)
        now = self.clock()
        left = cf.ids[st.node]
        out = await self._drive(cf, st, event, now)
        out.state.step = st.step + 1
        self._finish(out, now)
        log = self._inline_call(sid, None, out, event[0], now) if self._inline_log else None
        if not await self.backend.put(out.state, st.step, log, **self._longer(out, now)):  # a concurrent retry (or another process) won
            return await self._replay(sid)
        self._count(out, left, st.deadline)
        if log is None:
            await self._later(self._record(out, event[0], now))
        return out

    async def current_step(self, sid: str) -> int:
        """The call's step counter now (-1 when unknown): for a webhook that carries none, e.g.
        a <Redirect>ed call handed back with FlowEvent=return."""
        st = await self.backend.get(sid)
        return st.step if st is not None else -1

    async def end_call(self, sid: str, known: CallState | None = None) -> bool:
        """Free a call (status callback); ``known`` is its state when the caller just read it."""
        st = known if known is not None else await self.backend.get(sid)
        if st is None:
            return False
        await self.backend.delete(sid)
        if st.node != ENDED:
            cf = await self.flows.by_key(st.flow)
            now = self.clock()
            entries = [(cf.ids[st.node] if cf else "", "", "hangup")]
            if self._inline_log is not None:  # Redis: queued on the state's pipe, no wait and no task
                self.history.add_nowait(sid, entries, None, True, now)  # type: ignore[attr-defined]
            else:
                await self._later(self.history.add(sid, entries, None, True, now))
            if self.counts and cf:
                self.counts.record(cf.key[1], cf.ids[st.node], None, [], st.deadline)  # type: ignore[index]
        return True

    async def get_state(self, sid: str, recent_ok: bool = False) -> tuple[CallState, CompiledFlow] | None:
        """The call's state; ``recent_ok`` accepts this process's last written copy (no round trip)
        where staleness cannot matter, e.g. to learn the owner of a call that is being freed."""
        st = await self.backend.get(sid, -1 if recent_ok else None)
        cf = await self.flows.by_key(st.flow) if st is not None else None
        return (st, cf) if st is not None and cf is not None else None

    # --- internals -----------------------------------------------------------------------------

    async def _later(self, *writes: Any) -> None:
        """History writes: awaited in order, or (``background_history``) after the answer is sent,
        so a remote history store costs the caller no round trip. A failed write is dropped."""
        if not self.background_history:
            for w in writes:
                await w
            return

        async def run() -> None:
            try:
                for w in writes:
                    await w
            except Exception:  # noqa: BLE001 - history is best effort; the call itself is safe
                log.warning("call history write dropped", exc_info=True)
                for w in writes:
                    if asyncio.iscoroutine(w):
                        w.close()

        task = asyncio.get_running_loop().create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self, seconds: float = 2.0) -> None:
        """Wait (at most ``seconds``) for history writes already accepted: the app's shutdown."""
        if self._pending:
            done, late = await asyncio.wait(set(self._pending), timeout=seconds)
            for task in late:
                task.cancel()
            if late:
                log.warning("%d call history write(s) dropped at shutdown", len(late))

    async def _replay(self, sid: str) -> Outcome | None:
        got = await self.get_state(sid)
        return Outcome(got[0], got[1], got[1].unpack(got[0].last), replay=True) if got else None

    def hold(self, cf: CompiledFlow, st: CallState) -> int:
        """Seconds an idle state is kept: the call ttl, or more for a conversation waiting in a
        send-and-wait-for-reply whose timeout is longer (its timeout branch must still find it)."""
        if st.node != ENDED and st.call[3] == MESSAGE and cf.kinds[st.node] == REPLY:
            return max(self.ttl, int(cf.conf[st.node].timeout) + REPLY_GRACE)
        return self.ttl

    def waiting_since(self, cf: CompiledFlow, st: CallState) -> float:
        """When the state took its last step (its deadline is that instant + ``hold``)."""
        return float(st.deadline - self.hold(cf, st))

    def _longer(self, out: Outcome, now: float) -> dict[str, int]:
        """``ttl`` for the backend when this state is kept longer than every call (else nothing)."""
        keep = out.state.deadline - int(now)
        return {"ttl": keep} if keep > self.ttl else {}

    def _finish(self, out: Outcome, now: float) -> None:
        deadline = int(now) + (ENDED_TTL if out.state.node == ENDED else self.hold(out.flow, out.state))
        out.state.deadline = self._deadlines.setdefault(deadline, deadline)  # one int object per second, not per call
        if len(self._deadlines) > 4096:
            self._deadlines.clear()

    @staticmethod
    def _entries(out: Outcome, event: str) -> list[tuple[str, str, str]]:
        entries = [(node_id, outlet, event if i == 0 else "") for i, (node_id, outlet) in enumerate(out.trail)]
        # an error is an entry of its own: its outlet says "error", its event the message
        return entries + [(node_id, "error", message) for node_id, message in out.errors] if out.errors else entries

    def _inline_call(self, sid: str, begin: Any, out: Outcome, event: str, now: float) -> Any:
        return self._inline_log(sid, begin, self._entries(out, event), out.node_id, out.ended, now)  # type: ignore[misc]

    async def _record(self, out: Outcome, event: str, now: float) -> None:
        await self.history.add(out.state.call[0], self._entries(out, event), out.node_id, out.ended, now)

    def _count(self, out: Outcome, left: str | None, was_due: int | None) -> None:
        """``was_due``: the deadline the call had on ``left`` (the counts file calls by deadline, for expiry)."""
        if self.counts is not None:
            self.counts.record(out.flow.key[1], left, out.node_id, out.trail, was_due, out.state.deadline)  # type: ignore[index]

    async def _drive(self, cf: CompiledFlow, st: CallState, event: tuple[Any, ...], now: float) -> Outcome:
        """Run the engine until the call waits for the caller or ends, doing HTTP and subflows inline."""
        customer_id = cf.key[0]  # type: ignore[index]
        await self.share.turn(customer_id)  # a customer whose answers were heavy lately waits, off the loop
        started = time.perf_counter()
        answer: list[tuple[Any, ...]] = []
        packed: list[Any] = []
        trail: list[tuple[str, str]] = []
        whys: list[tuple[Any, ...]] = []
        http_budget = MAX_HTTP_PER_ANSWER
        errors: list[tuple[str, str]] = []
        path: list[str] = []
        waited = False
        step = advance(cf, st, event, now)
        while True:
            whys.append((cf, step.trail, step.why, now))
            for node, outlet in step.trail:
                trail.append((cf.ids[node], outlet))
                if not (path and path[-1] == cf.ids[node] and waited):
                    path.append(cf.ids[node])
                waited = False
            if step.state.node != ENDED and not (path and path[-1] == cf.ids[step.state.node]):
                path.append(cf.ids[step.state.node])  # entered and now waiting (caller, HTTP or subflow)
            waited = step.state.node != ENDED
            visible = [a for a in step.actions if a[0] not in _INTERNAL]
            errors.extend((a[1], a[2]) for a in step.actions if a[0] == "error")
            answer.extend(visible)
            packed.append((cf, visible))
            last = step.actions[-1] if step.actions else ("hangup", "")
            if last[0] == "http":
                http_budget -= 1
                if http_budget < 0:
                    res = HttpResult(0, None, None, "too many HTTP requests in one answer")
                else:
                    self.share.charge(customer_id, time.perf_counter() - started)  # the wait is not loop time
                    headers = await self._signed(cf.key[0], last[2], last[3], last[4])  # type: ignore[index]
                    res = await self.http.fetch(last[1], last[2], headers, last[4], last[5])
                    started = time.perf_counter()
                step = advance(cf, step.state, ("http", res.status, res.parsed, res.body), now)
            elif last[0] == "subflow":
                sub = await self._subflow(customer_id, last[1])
                data = last[2] if len(last) > 2 else None
                entered = enter_subflow(step.state, sub, data) if sub is not None else None
                if entered is None or sub is None:
                    step = advance(cf, step.state, ("subflow", False), now)
                else:
                    cf = sub
                    step = advance(cf, entered, ("start",), now)
            elif last[0] in ("sms", "sms_wait"):
                http_budget -= 1  # a message is a request too: no flow sends an unbounded burst in one answer
                step = (await self._message(cf, step.state, last, answer, packed, now) if http_budget >= 0
                        else advance(cf, step.state, ("sent", False, ""), now))
                continue
            elif last[0] == "return":
                back = leave_subflow(step.state)
                parent = await self.flows.by_key(back.flow)
                if parent is None:
                    back.node = ENDED
                    answer.append(("hangup", "subflow_parent_gone"))
                    step = step._replace(state=back, actions=[], trail=[])
                    break
                cf = parent
                step = advance(cf, back, ("subflow_done",), now)
            else:
                break
        self.share.charge(customer_id, time.perf_counter() - started)
        state = step.state
        state.last = tuple(x for seg_cf, acts in packed for x in (seg_cf.pack(acts) if seg_cf is cf else acts))
        return Outcome(state, cf, answer, path, trail=trail, errors=errors, why=whys)

    async def _signed(self, customer_id: int, url: str, headers: tuple[tuple[str, str], ...], body: str) -> tuple[tuple[str, str], ...]:
        """Headers with the run-function placeholder replaced by the request's Twilio signature."""
        if not any(v == SIGN for _, v in headers):
            return headers
        token = await self.signer(customer_id) if self.signer is not None else None
        rest = tuple((k, v) for k, v in headers if v != SIGN)
        if not token:
            return rest
        return rest + (("X-Twilio-Signature", twilio_signature(token, url, parse_qsl(body, keep_blank_values=True))),)

    async def _message(self, cf: CompiledFlow, st: CallState, action: tuple[Any, ...], answer: list[Any], packed: list[Any],
                       now: float) -> Any:
        """A send-message or send-and-wait widget: in a messaging conversation the answer carries
        it as <Message>; during a call the provider's REST API sends it as an SMS."""
        _, body, to, sender, media = action[:5]
        if st.call[3] == MESSAGE:
            msg = ("message", body, to, sender, media)
            answer.append(msg)
            packed.append((None, [msg]))
            return advance(cf, st, ("sent", True, ""), now)
        ok, sid = False, ""
        if self.messenger is not None:
            ok, sid = await self.messenger.send(cf.key[0], st.call, to, sender, body, media)  # type: ignore[index]
        else:
            log.warning("no provider configured: the message of node %s was not sent", cf.ids[st.node])
        step = advance(cf, st, ("sent", ok, sid), now)
        if ok and action[0] == "sms_wait" and step.state.node == st.node:
            step = advance(cf, step.state, ("timeout",), now)  # no reply can reach a phone call: its timeout branch
        return step

    async def _subflow(self, customer_id: int, flow_ref: str) -> CompiledFlow | None:
        try:
            flow_id = int(flow_ref)
        except ValueError:
            return None
        return await self.flows.published(customer_id, flow_id)


async def run_forever(fn: Callable[[], Any], every: float, what: str = "background ticker") -> None:
    """A background ticker (timing wheel, counts flush) that survives its own errors: each one is
    logged (with its traceback) and the next tick retries. Cancelled by the app's lifespan."""
    while True:
        await asyncio.sleep(every)
        try:
            result = fn()
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # noqa: BLE001 - a ticker must never die; the next tick retries
            log.exception("%s failed; retrying in %.1f s", what, every)
