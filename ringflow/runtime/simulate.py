"""Synthetic callers: press digits, say things, wait, time out and hang up, many at once.

In-process the callers drive the real ``Runtime`` (engine, state backend, history) with
HTTP nodes answered by a stub; ``via="http"`` they post real, signed webhooks to a running
server and read its TwiML. Either way the same caller policy decides, from a seeded RNG,
what each caller does at each wait, so a run is reproducible.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urljoin

import httpx

from ringflow.clock import system_clock
from ringflow.runtime import twiml
from ringflow.runtime.backends import MemoryBackend
from ringflow.runtime.engine import waiting_for
from ringflow.runtime.flows import FlowSource
from ringflow.runtime.history import MemoryHistory
from ringflow.runtime.httpclient import HttpResult
from ringflow.runtime.secrets import twilio_signature
from ringflow.runtime.service import NotPublished, Runtime

log = logging.getLogger("ringflow.simulate")

MAX_TURNS = 40


@dataclass
class SimResult:
    calls: int = 0
    webhooks: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    visits: Counter[str] = field(default_factory=Counter)
    stale: int = 0  # answers that took a call back to an earlier step (state rolled back, e.g. by a Redis failover)
    resent: int = 0  # webhooks sent again because the connection closed before any answer (see _post)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


class StubHttp:
    """HTTP nodes in a simulation: a CRM that knows every account, or fails one time in ten.
    Its answer depends only on the seed and the URL, so concurrent callers stay reproducible."""

    def __init__(self, seed: int):
        self.seed = seed

    async def fetch(self, method: str, url: str, headers: Any = (), body: str = "", timeout: float = 10.0) -> HttpResult:
        rng = random.Random(zlib.crc32(url.encode()) ^ self.seed)
        if rng.random() < 0.1:
            return HttpResult(503, None, "unavailable")
        return HttpResult(200, {"tier": rng.choice(["gold", "silver", "bronze"]), "balance": rng.randint(0, 999)}, None)


def choose(rng: random.Random, waiting: str | None, offered: list[str]) -> tuple[Any, ...]:
    """What a synthetic caller does at a wait; the same RNG gives the same run."""
    roll = rng.random()
    if waiting in ("digits", "digits_or_speech"):
        if roll < 0.03:
            return ("hangup",)
        if roll < 0.10:
            return ("timeout",)
        if roll < 0.15:
            return ("digits", rng.choice("0*x"))
        if offered:
            return ("digits", rng.choice(offered))
        return ("digits", "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6))) + "#")
    if waiting == "speech":
        return ("speech", rng.choice(["sales", "support", "agent please"]), 0.9) if roll < 0.8 else ("timeout",)
    if waiting == "dial":
        return ("dial", rng.choice(["completed", "completed", "busy", "no-answer", "failed"]))
    if waiting == "recording":
        return ("record", "https://rec.example/1", rng.randint(1, 30)) if roll < 0.8 else ("record", "", 0)
    if waiting == "queue":
        return ("queue", "bridged" if roll < 0.8 else "queue-full")
    return ("hangup",)


def _offered(flow: Any, node: int) -> list[str]:
    conf = flow.conf[node]
    return sorted(conf.digits) if flow.kinds[node] == 4 else []  # MENU: its digits


async def _one_call_inproc(rt: Runtime, customer_id: int, flow_id: int, n: int, rng: random.Random, res: SimResult) -> None:
    sid = f"CA{n:032x}"
    t0 = time.perf_counter()
    try:
        out = await rt.start_call(customer_id, flow_id, (sid, f"+1555{rng.randint(1000000, 9999999)}", "+15550000000", "inbound", "ACsim"))
    except NotPublished:
        res.outcomes["flow_not_published"] += 1
        return
    res.latencies.append(time.perf_counter() - t0)
    res.webhooks += 1
    res.visits.update(out.path)
    for _ in range(MAX_TURNS):
        if out.ended:
            res.outcomes["flow_ended"] += 1
            break
        ev = choose(rng, waiting_for(out.flow, out.state), _offered(out.flow, out.state.node))
        if ev[0] == "hangup":
            await rt.end_call(sid)
            res.outcomes["caller_hung_up"] += 1
            break
        t0 = time.perf_counter()
        nxt = await rt.step_call(sid, out.state.step, ev)
        res.latencies.append(time.perf_counter() - t0)
        res.webhooks += 1
        if nxt is None:
            res.outcomes["lost"] += 1
            break
        resumed = out.node_id
        out = nxt
        res.visits.update(out.path[1:] if out.path and out.path[0] == resumed else out.path)  # the resumed node was counted
    else:
        res.outcomes["caller_gave_up"] += 1
    await rt.end_call(sid)


_ENDINGS = {twiml.CALL_GONE: "lost", twiml.APOLOGY: "apology", twiml.NOT_CONFIGURED: "not_configured"}
_STEP = re.compile(r"[?&]n=(\d+)")
_DIGITS = re.compile(r"^[0-9*#]\Z")


async def _post(client: Any, url: str, params: dict[str, str], headers: dict[str, str], res: SimResult) -> Any:
    """POST a webhook; once more if the connection closed before any answer. A kept-alive
    connection that the load balancer closes just as a request goes out fails that way; an HTTP
    client may send an idempotent request again then (RFC 9110, 9.2.2), and the webhooks are
    idempotent here (a step sent twice is answered from the stored state). Counted, never hidden."""
    try:
        return await client.post(url, data=params, headers=headers)
    except httpx.RemoteProtocolError as exc:
        log.warning("webhook %s: %r; sending it again", url, exc)
        res.resent += 1
        return await client.post(url, data=params, headers=headers)


async def _one_call_http(client: Any, base: str, flow_id: int, token: str | None, n: int, rng: random.Random, res: SimResult) -> None:
    sid = f"CA{n:032x}"
    url = f"{base}/voice/{flow_id}"
    params = {"CallSid": sid, "AccountSid": "ACsim", "From": f"+1555{rng.randint(1000000, 9999999)}", "To": "+15550000000",
              "CallStatus": "ringing", "Direction": "inbound"}
    last_step = 0
    for _ in range(MAX_TURNS):
        headers = {"X-Twilio-Signature": twilio_signature(token, url, params.items())} if token else {}
        t0 = time.perf_counter()
        try:
            resp = await _post(client, url, params, headers, res)
        except (httpx.HTTPError, OSError) as exc:  # a refused connection is an outcome to count, not a crash
            log.warning("simulated call %s: webhook %s failed after %.1f s: %r", sid, url, time.perf_counter() - t0, exc)
            res.outcomes["http_error"] += 1
            return
        res.latencies.append(time.perf_counter() - t0)
        res.webhooks += 1
        if resp.status_code != 200:
            res.outcomes[f"http_{resp.status_code}"] += 1
            return
        if resp.text in _ENDINGS:  # the server could not go on: say why, not "flow_ended"
            res.outcomes[_ENDINGS[resp.text]] += 1
            return
        try:
            root = ET.fromstring(resp.text)
        except ET.ParseError:
            res.outcomes["bad_twiml"] += 1
            return
        verbs = {child.tag: child for child in root}
        waiting = None
        target = None
        if "Gather" in verbs:
            g = verbs["Gather"]
            waiting = "speech" if g.get("input") == "speech" else "digits"
            target = g.get("action")
        elif "Dial" in verbs:
            waiting, target = "dial", verbs["Dial"].get("action")
        elif "Record" in verbs:
            waiting, target = "recording", verbs["Record"].get("action")
        elif "Enqueue" in verbs:
            waiting, target = "queue", verbs["Enqueue"].get("action")
        if target is None:
            res.outcomes["flow_ended" if "Hangup" in verbs else "no_next_step"] += 1
            break
        step = _STEP.search(target)
        if step is not None:
            if int(step.group(1)) <= last_step:
                res.stale += 1
            last_step = int(step.group(1))
        ev = choose(rng, waiting, [d for d in "123" if _DIGITS.match(d)])
        if ev[0] == "hangup":
            res.outcomes["caller_hung_up"] += 1
            break
        url = urljoin(base + "/", target)
        params = {"CallSid": sid, "AccountSid": "ACsim", "CallStatus": "in-progress"}
        if ev[0] == "timeout":
            url += "&ev=timeout"
        elif ev[0] == "digits":
            params["Digits"] = ev[1]
        elif ev[0] == "speech":
            params["SpeechResult"], params["Confidence"] = ev[1], "0.9"
        elif ev[0] == "dial":
            params["DialCallStatus"] = ev[1]
        elif ev[0] == "record":
            params["RecordingUrl"], params["RecordingDuration"] = ev[1], str(ev[2])
        elif ev[0] == "queue":
            params["QueueResult"] = ev[1]
    else:
        res.outcomes["caller_gave_up"] += 1
    status = {"CallSid": sid, "CallStatus": "completed"}
    headers = {"X-Twilio-Signature": twilio_signature(token, f"{base}/voice/status", status.items())} if token else {}
    try:
        await client.post(f"{base}/voice/status", data=status, headers=headers)
    except (httpx.HTTPError, OSError) as exc:  # the call is counted already; its state expires on the server
        log.warning("status callback for %s failed: %s", sid, exc)


async def simulate(flows: FlowSource | None, customer_id: int, flow_id: int, calls: int, concurrency: int, seed: int = 0,
                   via: str = "inproc", url: str | None = None, auth_token: str | None = None,
                   progress: Callable[[int], None] | None = None, clock: Callable[[], float] | None = None) -> SimResult:
    """Run ``calls`` synthetic calls, ``concurrency`` at a time; returns the figures to print."""
    res = SimResult(calls=calls)
    rng = random.Random(seed)
    seeds = [rng.randrange(2**32) for _ in range(calls)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(calls):
        queue.put_nowait(i)
    client = None
    rt = None
    if via == "http":
        if not url:
            raise ValueError("--via http needs --url of a running server")
        client = httpx.AsyncClient(timeout=20.0, limits=httpx.Limits(max_connections=concurrency))
    else:
        assert flows is not None
        if await flows.published(customer_id, flow_id) is None:  # also warms the cache before the clock starts
            res.outcomes["flow_not_published"] = calls
            return res
        rt = Runtime(flows, MemoryBackend(), MemoryHistory(max_calls=1000), StubHttp(seed), clock=clock or system_clock)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            call_rng = random.Random(seeds[i])
            if client is not None:
                await _one_call_http(client, url.rstrip("/"), flow_id, auth_token, i, call_rng, res)  # type: ignore[union-attr]
            else:
                await _one_call_inproc(rt, customer_id, flow_id, i, call_rng, res)  # type: ignore[arg-type]
            if progress:
                progress(1)

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, calls)))))
    finally:
        if client is not None:
            await client.aclose()
    res.seconds = time.perf_counter() - t0
    return res
