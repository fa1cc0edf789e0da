"""What ``GET /api/v1/flows/{id}/executions[/{sid}]`` shows: each REST execution's record (status,
the call's sid and final CallStatus, parameters), kept RECORD_TTL seconds as Studio keeps
executions, and the newest LIST_MAX per flow.

A record is a set of fields, written field by field: the endpoint that placed the call and the
provider's status callback may write at the same moment (a call refused at once calls back
before the endpoint has stored its sid), and neither overwrites what the other wrote. ``settle``
lets exactly one status callback write the final status (providers retry callbacks).

In Redis when call state lives there (every worker sees every execution): one hash per execution
(``rf:exr:{FN...}``), its settle flag (``rf:exf:{FN...}``, SET NX) and a sorted set per flow;
every command touches one key (Redis Cluster). Else in this process. Redis being unreachable
raises ``BackendUnavailable``, as for call state: the API answers 503, never a 500.
"""

from __future__ import annotations

from typing import Any, Awaitable

import orjson

from ringflow.redisio import as_dict
from ringflow.runtime.backends import reached

RECORD_TTL = 30 * 86400
LIST_MAX = 1000
WHAT = "execution records store"
FIELDS = ("sid", "flow_id", "call_sid", "status", "call_status", "contact_channel_address", "from", "parameters",
          "date_created", "date_updated")


def public(fields: dict[str, str]) -> dict[str, Any]:
    """The record as the API shows it (numbers as numbers, parameters as an object)."""
    out: dict[str, Any] = {k: fields.get(k, "") for k in FIELDS}
    out["flow_id"] = int(fields.get("flow_id") or 0)
    out["parameters"] = orjson.loads(fields["parameters"]) if fields.get("parameters") else {}
    for k in ("date_created", "date_updated"):
        out[k] = int(float(fields.get(k) or 0))
    return out


class _Memory:
    def __init__(self, clock: Any):
        self.clock = clock
        self.records: dict[str, tuple[float, dict[str, str]]] = {}
        self.by_flow: dict[tuple[int, int], list[str]] = {}
        self.settled: set[str] = set()

    async def write(self, ex_id: str, fields: dict[str, str], index: tuple[int, int] | None) -> None:
        now = self.clock()
        if len(self.records) > 100_000:
            self.records = {k: v for k, v in self.records.items() if v[0] > now}
            self.settled &= set(self.records)
        hit = self.records.get(ex_id)
        self.records[ex_id] = (hit[0] if hit else now + RECORD_TTL, {**(hit[1] if hit else {}), **fields})
        if index is not None:
            ids = self.by_flow.setdefault(index, [])
            ids.append(ex_id)
            del ids[:-LIST_MAX]

    async def read(self, ex_id: str) -> dict[str, str] | None:
        hit = self.records.get(ex_id)
        return dict(hit[1]) if hit and hit[0] > self.clock() else None

    async def newest(self, index: tuple[int, int], limit: int) -> list[str]:
        return list(reversed(self.by_flow.get(index, [])[-limit:]))

    async def settle(self, ex_id: str) -> bool:
        if ex_id in self.settled:
            return False
        self.settled.add(ex_id)
        return True


class _Redis:
    def __init__(self, link: Any, prefix: str, clock: Any):
        self.link, self.prefix, self.clock = link, prefix, clock

    async def write(self, ex_id: str, fields: dict[str, str], index: tuple[int, int] | None) -> None:
        key = f"{self.prefix}:exr:{{{ex_id}}}"
        flat = [x for kv in fields.items() for x in kv]
        sent = [self.link.send("HSET", key, *flat), self.link.send("EXPIRE", key, RECORD_TTL)]  # queued now: one round trip
        if index is not None:
            listed = f"{self.prefix}:exl:{{{index[0]}:{index[1]}}}"
            sent += [self.link.send("ZADD", listed, self.clock(), ex_id),
                     self.link.send("ZREMRANGEBYRANK", listed, 0, -LIST_MAX - 1), self.link.send("EXPIRE", listed, RECORD_TTL)]
        for done in sent:
            await reached(_reply(done), WHAT)

    async def read(self, ex_id: str) -> dict[str, str] | None:
        raw = as_dict(await reached(self.link.call("HGETALL", f"{self.prefix}:exr:{{{ex_id}}}"), WHAT))
        return {_text(k): _text(v) for k, v in raw.items()} or None

    async def newest(self, index: tuple[int, int], limit: int) -> list[str]:
        got = await reached(self.link.call("ZREVRANGE", f"{self.prefix}:exl:{{{index[0]}:{index[1]}}}", 0, limit - 1), WHAT)
        return [_text(m) for m in got or ()]

    async def settle(self, ex_id: str) -> bool:
        return bool(await reached(self.link.call("SET", f"{self.prefix}:exf:{{{ex_id}}}", "1", "NX", "EX", RECORD_TTL), WHAT))


async def _reply(queued: Awaitable[Any]) -> Any:
    """A queued command's reply, its error raised (``RedisLink.send`` hands errors back as values)."""
    if isinstance(result := await queued, Exception):
        raise result
    return result


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ExecutionRecords:
    """The records of one app's executions, with the customer kept beside them (never shown)."""

    def __init__(self, store: _Memory | _Redis):
        self.store = store

    async def create(self, customer: int, record: dict[str, Any]) -> None:
        fields = {k: (orjson.dumps(v).decode() if k == "parameters" else str(v)) for k, v in record.items()}
        await self.store.write(record["sid"], {**fields, "customer": str(customer)}, (customer, int(record["flow_id"])))

    async def update(self, ex_id: str, **fields: Any) -> None:
        await self.store.write(ex_id, {k: str(v) for k, v in fields.items()}, None)

    async def get(self, ex_id: str) -> dict[str, str] | None:
        """The raw fields (with ``customer``), or None when unknown or expired."""
        return await self.store.read(ex_id)

    async def listing(self, customer: int, flow_id: int, limit: int = 50) -> list[dict[str, Any]]:
        out = []
        for ex_id in await self.store.newest((customer, flow_id), limit):
            fields = await self.store.read(ex_id)
            if fields is not None:
                out.append(public(fields))
        return out

    async def settle(self, ex_id: str) -> bool:
        """True for the one caller that may write this execution's final status."""
        return await self.store.settle(ex_id)


def records(svc: Any) -> ExecutionRecords:
    found = getattr(svc, "_execution_records", None)
    if found is None:
        backend = svc.runtime.backend
        link = getattr(backend, "link", None)
        store = _Redis(link, getattr(backend, "prefix", "rf"), svc.runtime.clock) if link is not None else _Memory(svc.runtime.clock)
        found = svc._execution_records = ExecutionRecords(store)
    return found
