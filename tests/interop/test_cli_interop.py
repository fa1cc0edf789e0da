"""`ringflow import/export/validate --format studio|connect|auto` on the corpus, against a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ringflow.cli import app
from tests.cli_fixtures import customer_id, db, said  # noqa: F401  (fixtures)
from tests.interop.corpus import DATA, load

runner = CliRunner(env={"COLUMNS": "300"})  # wide enough that Rich tables do not wrap messages



def test_import_auto_detected_studio_then_export_it_back(db, customer_id, tmp_path):
    path = DATA / "studio" / "ivr_basic.json"
    result = runner.invoke(app, ["import", str(path), "--customer", str(customer_id), "--format", "auto", "--db", db])
    assert result.exit_code == 0, result.output
    assert "Imported flow" in said(result) and "9 nodes" in said(result)
    flow_id = said(result).split("Imported flow ")[1].split()[0]
    out = tmp_path / "back.json"
    result = runner.invoke(app, ["export", flow_id, "--customer", str(customer_id), "--format", "studio", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == load("studio/ivr_basic.json")


def test_import_refuses_unsupported_widgets_unless_draft(db, customer_id):
    path = str(DATA / "studio" / "unsupported.json")
    refused = runner.invoke(app, ["import", path, "--customer", str(customer_id), "--format", "studio", "--db", db])
    assert refused.exit_code == 1 and "Ringflow cannot execute Studio widget" in said(refused)
    drafted = runner.invoke(app, ["import", path, "--customer", str(customer_id), "--format", "studio", "--draft", "--db", db])
    assert drafted.exit_code == 0, drafted.output


@pytest.mark.parametrize("name, words", [
    ("studio/bad/unknown_widget.json", "state 'teleport', property 'type': unknown widget type 'teleport-caller'"),
    ("connect/bad/unknown_next.json", "action 'hello', property 'Transitions': goes to unknown action 'gone'"),
])
def test_validate_names_state_and_property_and_exits_1(name, words):
    result = runner.invoke(app, ["validate", str(DATA / name), "--format", "auto"])
    assert result.exit_code == 1
    assert words in said(result)
    assert "Traceback" not in result.output


def test_validate_a_connect_flow(tmp_path):
    result = runner.invoke(app, ["validate", str(DATA / "connect" / "support_line.json"), "--format", "connect"])
    assert result.exit_code == 1 and "Ringflow cannot execute Amazon Connect action InvokeLambdaFunction" in said(result)


def test_import_prints_what_it_could_not_carry_over(db, customer_id):
    path = str(DATA / "studio" / "voices_languages.json")
    result = runner.invoke(app, ["import", path, "--customer", str(customer_id), "--format", "studio", "--db", db])
    assert result.exit_code == 0, result.output
    assert "too_many voice: 'Robot.Bender' is not a voice Twilio accepts" in said(result)


def test_the_legacy_connect_format_is_refused_by_name(tmp_path):
    result = runner.invoke(app, ["validate", str(DATA / "connect" / "legacy" / "legacy_modules.json"), "--format", "auto"])
    assert result.exit_code == 1 and "legacy export format" in said(result)
