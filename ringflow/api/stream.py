"""``GET /api/v1/flows/{id}/events``: Server-Sent Events of a flow's live changes and call counts.

Batched: news after a quiet spell is sent at once; within 100 ms of the last message the stream
waits out the 100 ms and sends everything new as one message, so a client gets at most 10
messages a second however busy the flow is. Each message's
``id`` lets a reconnecting EventSource resume (Last-Event-ID) from the hub's ring.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import Any, AsyncIterator

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from ringflow.api.auth import Principal, current_customer
from ringflow.api.common import store_of
from ringflow.api.errors import not_found
from ringflow.api.events import Hub
from ringflow.api.flows import FlowId

router = APIRouter(prefix="/api/v1", tags=["events"])

COALESCE_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0
# a stream ends after this long and the EventSource reconnects with Last-Event-ID (seamless): this
# re-checks the key (revocation), rebalances behind load balancers and never blocks a server shutdown long
MAX_STREAM_SECONDS = 300.0


async def _maybe(value: Any) -> Any:
    """The in-process hub answers at once; the Redis hub's answers are coroutines."""
    return await value if inspect.isawaitable(value) else value


@router.get("/flows/{flow_id}/events", summary="Live changes of a flow as Server-Sent Events (resumable)",
            responses={200: {"content": {"text/event-stream": {}}}})
async def flow_events(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    meta = await run_in_threadpool(store_of(request).get_flow, principal.customer_id, flow_id)
    if meta is None:
        raise not_found()
    hub: Hub = request.app.state.events
    last = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    heartbeat = getattr(request.app.state, "heartbeat_seconds", HEARTBEAT_SECONDS)
    lifetime = getattr(request.app.state, "stream_max_seconds", MAX_STREAM_SECONDS)

    async def messages() -> AsyncIterator[bytes]:
        sub = await _maybe(hub.subscribe(flow_id, last[:64] if last else None))  # here, so a stream never started leaks nothing
        loop = asyncio.get_running_loop()
        # jittered: streams opened together (after a restart) must not all end and reconnect together
        ends = loop.time() + lifetime * random.uniform(0.75, 1.0)
        sent = -COALESCE_SECONDS
        try:
            yield f"retry: 2000\nid: {hub.position(sub)}\nevent: hello\ndata: {{\"revision\": {meta.revision}}}\n\n".encode() \
                if not last else b"retry: 2000\n: resumed\n\n"
            while loop.time() < ends:
                try:
                    await asyncio.wait_for(sub.wake.wait(), timeout=min(heartbeat, max(0.01, ends - loop.time())))
                except asyncio.TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                wait = sent + COALESCE_SECONDS - loop.time()  # leading edge: news after a quiet spell goes at once
                if wait > 0:
                    await asyncio.sleep(wait)
                batch = await _maybe(hub.read(sub))
                if batch.reload or batch.events:
                    # the window runs from the last message actually sent: a wake-up that found nothing new
                    # (its events went out with the message before) must not hold back the next edit
                    sent = loop.time()
                if batch.reload:
                    yield f"id: {batch.last_id}\nevent: reload\ndata: {{\"reason\": \"missed events; reload the flow\"}}\n\n".encode()
                elif batch.events:
                    yield b"id: " + batch.last_id.encode() + b"\nevent: changes\ndata: " + \
                        orjson.dumps({"events": batch.events}) + b"\n\n"
        finally:
            hub.unsubscribe(sub)

    return StreamingResponse(messages(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
