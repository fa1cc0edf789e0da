"""Health, readiness and Prometheus metrics: what a load balancer and an operator poll."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from ringflow.api.common import FastJSON
from ringflow.api.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("ringflow.api")

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> Response:
    return FastJSON({"status": "ok"})


@router.get("/readyz", summary="The process can serve: the database answers")
async def readyz(request: Request) -> Response:
    try:
        ok = bool(await run_in_threadpool(request.app.state.store.ping))
    except Exception as exc:  # noqa: BLE001 - a dead database must read as "not ready", never as a 500
        log.warning("readiness check: the database did not answer: %s", exc)
        ok = False
    if not ok:
        return FastJSON({"error": {"code": "unavailable", "message": "the database is not reachable", "details": {}}}, status_code=503)
    return FastJSON({"status": "ready"})


@router.get("/metrics", summary="Prometheus text format: request latency by route, open event streams, totals",
            response_class=PlainTextResponse, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)
