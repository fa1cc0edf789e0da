"""The API speaks Studio and Connect: POST /api/v1/flows imports them, ?format=studio exports."""

from __future__ import annotations

import pytest

from tests.interop.corpus import load
from tests.runtime.conftest import make_client, new_tenant


@pytest.fixture(scope="module")
def client():
    yield from (c for c, _ in make_client())


@pytest.fixture(scope="module")
def alice(client):
    return new_tenant(client, "Alice")


@pytest.fixture(scope="module")
def bob(client):
    return new_tenant(client, "Bob")


def test_post_a_studio_definition_then_export_it_back_unchanged(client, alice):
    src = load("studio/ivr_basic.json")
    r = client.post("/api/v1/flows", json=src, headers=alice.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "Acme support line" and body["node_count"] == 9
    assert not [p for p in body["problems"] if p["severity"] == "error"]
    back = client.get(f"/api/v1/flows/{body['id']}/document?format=studio", headers=alice.headers)
    assert back.status_code == 200 and back.json() == src
    native = client.get(f"/api/v1/flows/{body['id']}/document", headers=alice.headers).json()
    assert native["start"] == "welcome"


def test_post_a_connect_flow_reports_its_unsupported_action(client, alice):
    r = client.post("/api/v1/flows", json=load("connect/support_line.json"), headers=alice.headers)
    assert r.status_code == 201, r.text
    errors = [p for p in r.json()["problems"] if p["severity"] == "error"]
    assert [(p["node_id"], p["code"]) for p in errors] == [("lambda", "unsupported_node")]


def test_a_bad_studio_definition_is_a_422_naming_state_and_property(client, alice):
    r = client.post("/api/v1/flows", json=load("studio/bad/unknown_next.json"), headers=alice.headers)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_document"
    assert err["details"] == {"state": "hello", "property": "transitions[0].next", "message": "goes to unknown state 'menu_that_was_deleted'"}


def test_ringflow_documents_keep_their_problem_list(client, alice):
    r = client.post("/api/v1/flows", json={"name": "x", "nodes": [{"id": "a", "type": "say", "x": "left"}], "edges": []},
                    headers=alice.headers)
    assert r.status_code == 422 and r.json()["error"]["details"]["problems"][0]["field"] == "x"
    r = client.post("/api/v1/flows", json=[1, 2], headers=alice.headers)
    assert r.status_code == 422 and "problems" in r.json()["error"]["details"]


def test_export_format_is_checked_and_another_tenants_flow_is_not_found(client, alice, bob):
    flow_id = client.post("/api/v1/flows", json=load("studio/conditions.json"), headers=alice.headers).json()["id"]
    assert client.get(f"/api/v1/flows/{flow_id}/document?format=bpmn", headers=alice.headers).status_code in (400, 422)
    assert client.get(f"/api/v1/flows/{flow_id}/document?format=studio", headers=bob.headers).status_code == 404


def test_a_draft_that_cannot_become_studio_is_a_422_naming_the_node(client, alice):
    doc = {"name": "bad case", "start": "s", "nodes": [
        {"id": "s", "type": "split", "config": {"input": "{{x}}", "cases": [{"name": "a", "op": "sounds_like", "value": "b"}]}}], "edges": []}
    flow_id = client.post("/api/v1/flows", json=doc, headers=alice.headers).json()["id"]
    r = client.get(f"/api/v1/flows/{flow_id}/document?format=studio", headers=alice.headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "not_exportable" and r.json()["error"]["details"]["state"] == "s"


def test_a_studio_import_lists_what_it_could_not_carry_over(client, alice):
    r = client.post("/api/v1/flows", json=load("studio/voices_languages.json"), headers=alice.headers)
    assert r.status_code == 201, r.text
    assert {(w["state"], w["property"]) for w in r.json()["import_warnings"]} == {("too_many", "voice"), ("too_many", "language")}
