"""Issue 17, Amazon Connect: D2 (input without conditions), D6 (error branches on export), D7
(queue names), D8 ($.External), D9 (the legacy format), and the contact-update actions."""

from __future__ import annotations

import pytest

from ringflow.interop import InteropError, to_ringflow, to_studio
from ringflow.interop.notes import import_warnings
from ringflow.model import validate
from tests.interop.corpus import load
from tests.interop.test_studio_runtime import Call


def _node(doc, nid):
    return next(n for n in doc["nodes"] if n["id"] == nid)


def _edges(doc, nid):
    return {e["outlet"]: e["target"] for e in doc["edges"] if e["source"] == nid}


@pytest.fixture()
def doc():
    return to_ringflow(load("connect/contact_updates.json"))


def test_d2_input_without_conditions_keeps_its_next_action(doc):
    node = _node(doc, "press-any")
    assert node["type"] == "gather" and node["config"]["num_digits"] == 1
    assert _edges(doc, "press-any") == {"keypress": "profile", "timeout": "sorry"}
    assert not [p for p in validate(doc) if p.node_id == "press-any" and p.severity == "error"]


def test_d7_queue_name_from_metadata_within_the_limit(doc):
    assert _node(doc, "pick-queue")["config"]["variables"] == {"connect_queue": "Billing Tier 2"}
    assert _node(doc, "pick-queue")["config"]["connect"]["parameters"]["QueueId"].endswith("000000000001")  # kept for export
    call = Call(doc)
    call.send("digits", "5")
    assert call.actions[-1][0] == "hangup" and call.actions[-1][1] == "unsupported_node"  # GetCustomerProfile stops a call


def test_contact_updates_map_to_set_nodes(doc):
    assert _node(doc, "contact-data")["config"]["variables"] == {
        "contact_name": "Billing call", "contact_description": "from {{trigger.call.From}}", "contact_language": "es-US"}
    assert _node(doc, "recording")["config"]["variables"] == {"connect_recording": "Agent,Customer"}
    assert _edges(doc, "contact-data") == {"next": "recording"}


def test_lambda_and_customer_profile_stay_unsupported_keeping_their_error_branches(doc):
    assert _edges(doc, "profile") == {"NextAction": "billing-lambda", "Error NoneFoundError": "sorry", "Error NoMatchingError": "sorry"}
    assert _edges(doc, "billing-lambda") == {"NextAction": "balance", "Error NoMatchingError": "sorry"}
    errors = {p.message for p in validate(doc) if p.severity == "error"}
    assert errors == {"Ringflow cannot execute Amazon Connect action GetCustomerProfile",
                      "Ringflow cannot execute Amazon Connect action InvokeLambdaFunction"}


def test_d8_external_reads_the_lambda_nodes_answer_and_the_import_says_so(doc):
    assert _node(doc, "balance")["config"]["text"] == "Your balance is {{widgets.billing-lambda.parsed.balance}} dollars."
    notes = [(n["state"], n["message"]) for n in import_warnings(doc)]
    assert ("balance", "reads the answer of billing-lambda, a InvokeLambdaFunction Ringflow cannot run; replace that node "
                       "with an HTTP request or function node of the same id") in notes
    # replaced by a function of the same id, the same text reads its JSON answer
    lam = _node(doc, "billing-lambda")
    lam.update(type="function", config={"url": "https://example.com/balance"})
    doc["edges"] = [e for e in doc["edges"] if e["source"] != "billing-lambda"] + [
        {"source": "billing-lambda", "outlet": "success", "target": "balance"}]
    assert not [p for p in validate(doc) if p.node_id in ("billing-lambda", "balance") and p.severity == "error"]


def test_d6_export_keeps_the_error_branch_of_an_unsupported_action(doc):
    out = to_studio(doc)
    profile = next(s for s in out["states"] if s["name"] == "profile")
    assert profile["type"] == "run-function"
    assert {t["event"]: t.get("next") for t in profile["transitions"]} == {"success": "billing-lambda", "fail": "sorry"}


def test_d9_legacy_format_is_named_as_such():
    with pytest.raises(InteropError) as info:
        to_ringflow(load("connect/legacy/legacy_modules.json"))
    assert "legacy export format" in str(info.value) and info.value.property == "modules"


def test_d8_with_two_lambdas_each_external_reads_the_one_run_before_it():
    flow = load("connect/contact_updates.json")
    second = {"Identifier": "second-lambda", "Type": "InvokeLambdaFunction", "Parameters": {"LambdaFunctionARN": "arn:aws:lambda:x:function:y"},
              "Transitions": {"NextAction": "second-say", "Errors": [{"NextAction": "sorry", "ErrorType": "NoMatchingError"}]}}
    say = {"Identifier": "second-say", "Type": "MessageParticipant", "Parameters": {"Text": "Due on $.External.due."},
           "Transitions": {"NextAction": "bye"}}
    flow["Actions"] += [second, say]
    next(a for a in flow["Actions"] if a["Identifier"] == "recording")["Transitions"]["NextAction"] = "second-lambda"
    doc = to_ringflow(flow)
    assert _node(doc, "balance")["config"]["text"] == "Your balance is {{widgets.billing-lambda.parsed.balance}} dollars."
    assert _node(doc, "second-say")["config"]["text"] == "Due on {{widgets.second-lambda.parsed.due}}."
    # "sorry" is reached after both Lambdas: nothing to pick, so a $.External there would stay literal (and be warned about)
