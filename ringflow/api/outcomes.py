"""How a REST execution's call ended, from the provider's status callback
(``/voice/status?execution=FN...``, signed like every webhook).

Studio's make-outgoing-call-v2 has four transitions: ``answered``, ``busy``, ``noAnswer`` and
``failed``. An answered call reaches the flow's webhook and takes ``answered`` there
(``ringflow.runtime.engine``). A call that never connects only comes back here, with
``CallStatus`` busy, no-answer, failed (or canceled): when the execution's trigger leads to a
make-outgoing-call node, the flow runs from that node's busy / no_answer / failed outlet, with
its ``flow.data``, and whatever it sends (an SMS saying we missed them) goes through the
provider's REST API; voice verbs have no call to go to and are dropped. Without such a node the
flow starts only on answer: nothing runs.

The execution's record then says ``ended`` (completed, busy, no-answer) or ``failed`` (failed,
canceled), with the call's final ``call_status``; one callback only settles it (a provider
retries callbacks).
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.responses import Response

from ringflow.api.services import FINAL_STATUSES, Services
from ringflow.runtime.callinfo import DATA, EXECUTION, call_from_form
from ringflow.runtime.compile import OUTCALL
from ringflow.runtime.execution_records import records

log = logging.getLogger("ringflow.runtime")
OUTLETS = {"busy": "busy", "no-answer": "no_answer", "failed": "failed", "canceled": "failed"}
"""A final CallStatus of a call that never connected -> make-outgoing-call's outlet."""


def execution_status(call_status: str) -> str:
    return "failed" if call_status in ("failed", "canceled") else "ended"


async def on_status(svc: Services, request: Request, params: list[tuple[str, str]], ex_id: str) -> Response | None:
    """Settle the execution a status callback names; a Response only to refuse it (bad signature).
    None lets the caller go on (free the call's state, as for any call)."""
    from ringflow.api.executions import EXECUTION_RE
    from ringflow.api.voice import _forbidden, _verified

    record = await records(svc).get(ex_id) if EXECUTION_RE.match(ex_id) else None
    if record is None:
        return None
    customer, flow_id = int(record["customer"]), int(record["flow_id"])
    if not await _verified(svc, request, customer, params):
        return _forbidden()
    form = dict(params)
    call_status, sid = form.get("CallStatus", ""), form.get("CallSid", "")
    if call_status not in FINAL_STATUSES or (record.get("call_sid") and record["call_sid"] != sid):
        return None
    if not await records(svc).settle(ex_id):
        return None  # a retried callback: settled already
    if call_status in OUTLETS:
        await _run_outcome(svc, customer, flow_id, ex_id, record, form, OUTLETS[call_status])
    await records(svc).update(ex_id, status=execution_status(call_status), call_status=call_status,
                              date_updated=int(svc.runtime.clock()))
    return None


async def _run_outcome(svc: Services, customer: int, flow_id: int, ex_id: str, record: dict[str, str],
                       form: dict[str, str], outlet: str) -> None:
    from ringflow.api.executions import pending

    await pending(svc).take(ex_id)  # no webhook will ask for the parameters now
    cf = await svc.flows.published(customer, flow_id)
    begin = cf.entries.get("request", cf.start) if cf is not None else -1
    if cf is None or begin < 0 or cf.kinds[begin] != OUTCALL:
        return  # the flow starts only on answer
    data = record.get("parameters") or "{}"
    call = call_from_form(form["CallSid"], form) + (DATA, data, EXECUTION, ex_id)
    out = await svc.runtime.start_call(customer, flow_id, call, entry="request", outcome=outlet)
    if not out.ended:  # it reached a node that needs the call (gather, dial...): there is none
        log.info("execution %s: the %s branch reached %s, which needs a call; ended there", ex_id, outlet, out.node_id)
        await svc.runtime.end_call(call[0], out.state)
