"""Issue 14, High 2: one customer's template or condition cannot stall or exhaust the server.

Each attack of the issue is run twice: on the engine, measured (process CPU time, tracemalloc
peak; margins generous, the targets are 50 ms and 16 MB), and through the API, checking what
the author sees (the test panel's errors, the call history, the problems list).
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any, Callable

import pytest

from ringflow.runtime.engine import advance, new_call

from .conftest import publish
from .flows import doc, flow

REPLACE_CHAIN = "{{ 'aaaaaaaaaa' " + "| replace: '', 'aaaaaaaaaa' " * 8 + "| size }}"
HUGE_RANGE = "{{ (1..10000000) | join: ',' }}"
CPU_MARGIN = 0.5  # seconds; the bound is 50 ms, today's code took 1.3 s to 25 s
MEMORY_BOUND = 16 * 1024 * 1024
CALL = ("CA" + "0" * 32, "+15551230000", "+15559990000", "inbound", "AC1")
NOW = 1_800_000_000.0


def measured(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """fn's result, its process CPU seconds and its peak of traced memory in bytes."""
    tracemalloc.start()
    cpu = time.process_time()
    try:
        out = fn()
        return out, time.process_time() - cpu, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def errors(actions: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    return [(a[1], a[2]) for a in actions if a[0] == "error"]


@pytest.mark.parametrize("template, why", [(REPLACE_CHAIN, "filter replace: the result would be over 65,536 characters"),
                                           (HUGE_RANGE, "filter join: the input list has 10,000,000 items")])
def test_a_template_attack_is_stopped_within_its_bounds_and_the_call_goes_on(template, why):
    cf = flow([("big", "say", {"text": template}), ("bye", "say", {"text": "Bye"})], [("big", "next", "bye")])
    step, cpu, peak = measured(lambda: advance(cf, new_call(cf, CALL), ("start",), NOW))
    assert cpu < CPU_MARGIN and peak < MEMORY_BOUND, (cpu, peak)
    (node, message), = errors(step.actions)
    assert node == "big" and why in message
    assert [a[1] for a in step.actions if a[0] == "say"] == ["Bye"]  # the node says nothing, the call goes on


@pytest.mark.parametrize("pattern, text", [(r"^(a+)+$", "a" * 30 + "!"), (r"^(\w+\s?)+$", "a" * 26 + "!")])
def test_a_catastrophic_regex_runs_in_linear_time(pattern, text):
    cf = flow([("s", "split", {"input": "{{flow.variables.x}}", "cases": [{"name": "hit", "op": "regex", "value": pattern}]}),
               ("yes", "say", {"text": "yes"}), ("no", "say", {"text": "no"})],
              [("s", "hit", "yes"), ("s", "no_match", "no")])
    st = new_call(cf, CALL)
    st.vars = {"x": text}
    step, cpu, peak = measured(lambda: advance(cf, st, ("start",), NOW))
    assert cpu < CPU_MARGIN and peak < MEMORY_BOUND, (cpu, peak)
    assert [a[1] for a in step.actions if a[0] == "say"] == ["no"]


def test_an_http_node_whose_url_goes_over_a_limit_takes_failed_and_fetches_nothing():
    cf = flow([("h", "http", {"url": "https://example.com/?q=" + HUGE_RANGE}), ("f", "say", {"text": "down"})],
              [("h", "failed", "f")])
    step = advance(cf, new_call(cf, CALL), ("start",), NOW)
    assert [a[0] for a in step.actions] == ["error", "say", "hangup"] and step.trail[0] == (0, "failed")


def test_a_split_that_renders_over_a_limit_takes_no_match():
    cf = flow([("s", "split", {"input": REPLACE_CHAIN, "cases": [{"name": "hit", "op": "equals", "value": "1"}]}),
               ("no", "say", {"text": "no"})], [("s", "no_match", "no")])
    step = advance(cf, new_call(cf, CALL), ("start",), NOW)
    assert errors(step.actions)[0][0] == "s" and step.trail[0] == (0, "no_match")


def test_many_expensive_renders_in_one_answer_share_one_cpu_budget():
    # each render is allowed 50 ms of CPU, but one answer stops rendering after 10 ms in all
    slow = "{% assign s = 'aaaaaaaa' %}" + "{% assign s = s | append: s %}" * 10 + \
           "{% for i in (1..1000) %}{% assign t = s | replace: 'a', 'b' %}{% endfor %}{{ t | size }}"
    nodes = [(f"n{i}", "set", {"variables": {"v": slow}}) for i in range(40)]
    cf = flow(nodes, [(f"n{i}", "next", f"n{i + 1}") for i in range(39)])
    step, cpu, _ = measured(lambda: advance(cf, new_call(cf, CALL), ("start",), NOW))
    assert cpu < CPU_MARGIN, cpu
    assert any("this answer's templates and conditions ran for more than 10 ms" in m for _, m in errors(step.actions))


# --- what the author sees ------------------------------------------------------------------------

def _test_call(client, tenant, nodes, edges, **body) -> dict[str, Any]:
    flow_id = publish(client, tenant, doc(nodes, edges), publish_it=False)
    r = client.post(f"/api/v1/flows/{flow_id}/test-calls?draft=1", json=body, headers=tenant.headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_the_replace_chain_in_a_test_call_shows_the_error_in_the_panel_and_the_history(client, alice):
    nodes = [("big", "say", {"text": REPLACE_CHAIN}), ("bye", "say", {"text": "Bye"})]
    body, cpu, _ = measured(lambda: _test_call(client, alice, nodes, [("big", "next", "bye")]))
    assert cpu < CPU_MARGIN * 4, cpu  # the whole request, app included
    assert body["said"] == ["Bye"] and body["ended"] is True
    assert body["errors"] == [{"node_id": "big", "message": "filter replace: the result would be over 65,536 characters"}]
    history = client.get(f"/api/v1/calls/{body['call_sid']}", headers=alice.headers).json()["history"]
    assert {"node_id": "big", "outlet": "error", "event": "filter replace: the result would be over 65,536 characters"} \
        in [{k: e[k] for k in ("node_id", "outlet", "event")} for e in history]


def test_the_huge_range_is_a_problem_before_it_is_published(client, alice):
    flow_id = publish(client, alice, doc([("big", "say", {"text": HUGE_RANGE})], []), publish_it=False)
    problems = client.get(f"/api/v1/flows/{flow_id}", headers=alice.headers).json()["problems"]
    assert {"code": "bad_template", "node_id": "big",
            "message": "text uses the range (1..10000000) of 10,000,000 items; a template may use at most 10,000"} in \
        [{k: p[k] for k in ("code", "node_id", "message")} for p in problems]
    r = client.post(f"/api/v1/flows/{flow_id}/publish", headers=alice.headers)
    assert r.status_code == 422


def test_a_regex_without_a_linear_time_form_is_a_problem_with_a_clear_message(client, alice):
    split = {"input": "{{trigger.call.From}}", "cases": [{"name": "twice", "op": "regex", "value": r"^(a)\1$"}]}
    flow_id = publish(client, alice, doc([("s", "split", split)], []), publish_it=False)
    problems = client.get(f"/api/v1/flows/{flow_id}", headers=alice.headers).json()["problems"]
    messages = [p["message"] for p in problems if p["node_id"] == "s"]
    assert any("backreferences and lookaround are not supported" in m for m in messages), messages


def test_catastrophic_regexes_from_the_caller_and_from_speech_answer_at_once(client, alice):
    nodes = [("s", "split", {"input": "{{trigger.call.From}}", "cases": [{"name": "hit", "op": "regex", "value": r"^(a+)+$"}]}),
             ("ask", "gather", {"prompt": "Say something", "input": "speech"}),
             ("s2", "split", {"input": "{{nodes.ask.speech}}", "cases": [{"name": "hit", "op": "regex", "value": r"^(\w+\s?)+$"}]}),
             ("yes", "say", {"text": "yes"}), ("no", "say", {"text": "no"})]
    edges = [("s", "no_match", "ask"), ("s", "hit", "yes"), ("ask", "speech", "s2"), ("s2", "hit", "yes"), ("s2", "no_match", "no")]
    flow_id = publish(client, alice, doc(nodes, edges))
    body, cpu, _ = measured(lambda: client.post(f"/api/v1/flows/{flow_id}/test-calls", json={"from": "a" * 30 + "!"},
                                                headers=alice.headers).json())
    assert cpu < CPU_MARGIN * 4 and body["node_id"] == "ask", (cpu, body)
    step, cpu, _ = measured(lambda: client.post(f"/api/v1/test-calls/{body['call_sid']}/steps", json={"speech": "a" * 26 + "!"},
                                                headers=alice.headers).json())
    assert cpu < CPU_MARGIN * 4 and step["said"] == ["no"] and step["errors"] == [], (cpu, step)


def test_the_compiled_flow_cache_is_bounded_by_bytes_not_by_flows():
    from ringflow.runtime.flows import COMPILED_BYTES_PER_NODE, _Cache

    big = flow([(f"n{i}", "say", {"text": "hi"}) for i in range(1000)], [], key=(1, 1, 1))
    small = flow([("a", "say", {"text": "hi"})], [], key=(1, 2, 1))
    cache = _Cache(max_bytes=1000 * COMPILED_BYTES_PER_NODE)  # not enough for the big flow and its overhead
    cache.put(small)
    cache.put(big)
    assert cache.get((1, 1, 1)) is None and cache.get((1, 2, 1)) is small  # the big one is compiled, used, not kept
    assert cache.items.size < 1000 * COMPILED_BYTES_PER_NODE


async def test_a_customer_whose_answers_are_heavy_waits_its_turn_and_others_do_not():
    from ringflow.runtime.fairness import BURST, FREE_SECONDS, SHARE, LoopShare

    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    share = LoopShare(clock=lambda: now[0], sleep=sleep)
    for _ in range(1000):
        share.charge(2, FREE_SECONDS / 2)  # a big, ordinary customer: fast answers cost nothing
    assert await share.turn(2) == 0
    share.charge(1, BURST)  # the greedy one's burst is spent...
    assert await share.turn(1) == 0
    share.charge(1, 0.02)  # ...and one more heavy answer makes it wait until that has drained
    assert await share.turn(1) == pytest.approx(0.02 / SHARE) and slept == [pytest.approx(0.02 / SHARE)]
    assert await share.turn(1) == 0 and await share.turn(2) == 0
