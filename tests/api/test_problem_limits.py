"""Issue 14, M2: a flow with very many problems gives small answers and a cache bounded by bytes.

A flow of N unconnected nodes has about N problems; every answer about them (create,
read, validate, a refused publish) lists the first 200 and says how many there are of
each code, so the editor's badge stays right. The problem cache is charged in bytes.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from ringflow.api.problems import LIST_MAX
from ringflow.bytelru import ByteLRU

from .conftest import Tenant

NODES = 30_000  # over the inline limit too (20,000): enough to show the cap, quick to create


def unconnected(n: int) -> dict:
    nodes = [{"id": f"n{i}", "type": "say", "x": (i % 500) * 300, "y": (i // 500) * 200,
              "config": {"text": "hi"} if i % 2 == 0 else {}} for i in range(n)]  # odd nodes miss their text: errors
    return {"name": "Scattered", "start": "n0", "nodes": nodes, "edges": []}


def _check_small(resp, total_at_least: int) -> dict:
    assert len(resp.content) < 100_000, len(resp.content)
    body = resp.json()
    body = body.get("error", {}).get("details", body) if "error" in body else body
    assert len(body["problems"]) == LIST_MAX
    assert body["problems_total"] == sum(body["problem_counts"].values()) >= total_at_least
    assert body["severity_counts"]["error"] + body["severity_counts"]["warning"] == body["problems_total"]
    return body


def test_many_unconnected_nodes_answer_small_with_counts_per_code(client: TestClient, alice: Tenant) -> None:
    created = client.post("/api/v1/flows", json=unconnected(NODES), headers=alice.headers)
    assert created.status_code == 201, created.text[:300]
    body = _check_small(created, NODES - 1)
    assert body["problem_counts"]["unreachable"] == NODES - 1 and body["problem_counts"]["missing_config"] == NODES // 2
    assert {p["code"] for p in body["problems"]} == {"missing_config"}  # errors are listed first: they block publishing
    flow_id = created.json()["id"]
    valid = client.post(f"/api/v1/flows/{flow_id}/validate", headers=alice.headers)
    assert _check_small(valid, NODES - 1)["problem_counts"] == body["problem_counts"]
    refused = client.post(f"/api/v1/flows/{flow_id}/publish", headers=alice.headers)
    assert refused.status_code == 422 and _check_small(refused, NODES - 1)["severity_counts"]["error"] == NODES // 2
    cache = client.app.state.problem_cache  # type: ignore[attr-defined]
    assert cache._items.size < 200_000, cache._items.size


def test_the_byte_budget_drops_the_oldest_and_never_keeps_a_value_bigger_than_itself() -> None:
    lru: ByteLRU[str] = ByteLRU(100)
    lru.put("a", "A", 40)
    lru.put("b", "B", 40)
    assert lru.get("a") == "A"  # a is now the most recent
    lru.put("c", "C", 40)  # over 100: the least recently used (b) goes
    assert ("a" in lru, "b" in lru, "c" in lru, lru.size) == (True, False, True, 80)
    lru.put("huge", "H", 101)
    assert "huge" not in lru and lru.size == 80
    lru.put("a", "A2", 10)
    assert lru.get("a") == "A2" and lru.size == 50
