"""50 concurrent writers on one flow, over a real uvicorn server, on SQLite and PostgreSQL.

What editors are promised: a patch that got 200 is in the flow afterwards, a patch that was
refused was told so with 412 (and is not in the flow), no two patches got the same revision,
and the final document is still a valid flow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ringflow.model.document import normalize
from ringflow.model.validation import has_errors, validate
from tests.reliability.conftest import BACKENDS, database, flow_doc, live_app, record, tenant

WRITERS = 50
ATTEMPTS = 4


@dataclass
class Ledger:
    accepted: dict[str, tuple[int, int]] = field(default_factory=dict)  # node id -> (revision, x given to n0)
    refused: list[str] = field(default_factory=list)
    other: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(base: str, headers: dict[str, str], flow_id: int, i: int, start: threading.Barrier, ledger: Ledger) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        revision = http.get(f"/api/v1/flows/{flow_id}").json()["revision"]
        start.wait()
        for attempt in range(ATTEMPTS):
            node_id = f"w{i}_{attempt}"
            x = i * 1000 + attempt
            ops = [{"op": "add_node", "node": {"id": node_id, "type": "say", "x": x, "y": 5000 + i * 10,
                                               "label": f"writer {i}", "config": {"text": node_id}}},
                   {"op": "add_edge", "edge": {"source": node_id, "outlet": "next", "target": "end"}},
                   {"op": "move_node", "id": "n0", "x": x, "y": 0}]
            r = http.patch(f"/api/v1/flows/{flow_id}", json={"ops": ops}, headers={"If-Match": f'"{revision}"'})
            with ledger.lock:
                if r.status_code == 200:
                    ledger.accepted[node_id] = (r.json()["revision"], x)
                elif r.status_code == 412:
                    ledger.refused.append(node_id)
                else:
                    ledger.other.append((r.status_code, r.text[:300]))
            if r.status_code == 200:
                revision = r.json()["revision"]
            elif r.status_code == 412:
                revision = r.json()["error"]["details"]["current_revision"]
            else:
                return


def _race(base: str, headers: dict[str, str], flow_id: int) -> Ledger:
    ledger = Ledger()
    start = threading.Barrier(WRITERS)
    threads = [threading.Thread(target=_writer, args=(base, headers, flow_id, i, start, ledger)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return ledger


@pytest.mark.parametrize("backend", BACKENDS)
def test_fifty_concurrent_writers_lose_nothing(backend: str) -> None:
    with database(backend) as url, live_app(url) as (base, _store):
        t = tenant(base, "Racers")
        created = httpx.post(f"{base}/api/v1/flows", json=flow_doc("race", 3), headers=t.headers).json()
        flow_id, first_revision = created["id"], created["revision"]

        ledger = _race(base, t.headers, flow_id)

        assert ledger.other == []  # only 200 or 412, never a 5xx, a 409 or a lost connection
        assert len(ledger.accepted) + len(ledger.refused) == WRITERS * ATTEMPTS
        assert ledger.accepted and ledger.refused  # it really was a race
        revisions = sorted(rev for rev, _ in ledger.accepted.values())
        assert revisions == list(range(first_revision + 1, first_revision + 1 + len(revisions)))  # one each, no gaps

        meta = httpx.get(f"{base}/api/v1/flows/{flow_id}", headers=t.headers).json()
        doc: dict[str, Any] = httpx.get(f"{base}/api/v1/flows/{flow_id}/document", headers=t.headers).json()
        ids = {n["id"] for n in doc["nodes"]}
        assert set(ledger.accepted) <= ids  # every acknowledged patch is there
        assert not (set(ledger.refused) & ids)  # and no refused one crept in
        assert meta["revision"] == revisions[-1] and meta["node_count"] == 3 + len(ledger.accepted)
        edges = {(e["source"], e["target"]) for e in doc["edges"]}
        assert all((nid, "end") in edges for nid in ledger.accepted)
        last_x = max(ledger.accepted.values())[1]  # the newest accepted move wins
        assert next(n for n in doc["nodes"] if n["id"] == "n0")["x"] == last_x
        assert not has_errors(validate(normalize(doc)))
        record(test="races", backend=backend, writers=WRITERS, attempts=WRITERS * ATTEMPTS, accepted=len(ledger.accepted),
               refused_412=len(ledger.refused), other=len(ledger.other), final_nodes=meta["node_count"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_fifty_writers_on_the_same_revision_exactly_one_wins(backend: str) -> None:
    with database(backend) as url, live_app(url) as (base, _store):
        t = tenant(base, "Same base")
        created = httpx.post(f"{base}/api/v1/flows", json=flow_doc("same", 3), headers=t.headers).json()
        flow_id, rev = created["id"], created["revision"]
        start = threading.Barrier(WRITERS)
        codes: list[int] = []
        lock = threading.Lock()

        def write(i: int) -> None:
            with httpx.Client(base_url=base, headers=t.headers, timeout=60) as http:
                start.wait()
                r = http.patch(f"/api/v1/flows/{flow_id}", headers={"If-Match": str(rev)},
                               json={"ops": [{"op": "rename", "name": f"name {i}"}]})
                with lock:
                    codes.append(r.status_code)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        assert sorted(codes) == [200] + [412] * (WRITERS - 1)
        record(test="races_same_base", backend=backend, writers=WRITERS, accepted=codes.count(200), refused_412=codes.count(412))
        meta = httpx.get(f"{base}/api/v1/flows/{flow_id}", headers=t.headers).json()
        assert meta["revision"] == rev + 1 and meta["name"].startswith("name ")
