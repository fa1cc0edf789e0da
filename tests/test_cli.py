"""The ringflow command, run through Typer's CliRunner against real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from ringflow.cli import app
from ringflow.store import open_store
from tests.cli_fixtures import customer_id, db, said  # noqa: F401  (fixtures)
from ringflow.model.demo import main_line

runner = CliRunner()



def _flow_count(db: str, customer_id: int) -> int:
    store = open_store(db)
    try:
        return len(store.list_flows(customer_id).items)
    finally:
        store.close()


def _write(tmp_path: Path, doc: object, name: str = "flow.json") -> Path:
    path = tmp_path / name
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
    return path


def test_db_upgrade_creates_the_schema(db: str) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--db", db])
    assert result.exit_code == 0 and "up to date" in said(result)
    assert open_store(db, migrate_schema=False).list_customers().items == []


def test_import_then_export_round_trips(tmp_path: Path, db: str, customer_id: int) -> None:
    path = _write(tmp_path, main_line())
    result = runner.invoke(app, ["import", str(path), "--customer", str(customer_id), "--db", db])
    assert result.exit_code == 0, result.output
    assert "Imported" in said(result) and "4 nodes" in said(result)
    flow_id = open_store(db).list_flows(customer_id).items[0].id
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["export", str(flow_id), "--customer", str(customer_id), "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    exported = orjson.loads(out.read_bytes())
    assert exported["name"] == "Main line" and [n["id"] for n in exported["nodes"]] == ["welcome", "menu", "sales", "bye"]
    assert exported["edges"] == main_line()["edges"]
    stdout = runner.invoke(app, ["export", str(flow_id), "--customer", str(customer_id), "--db", db])
    assert orjson.loads(stdout.stdout) == exported


def test_export_of_someone_elses_flow_is_refused(tmp_path: Path, db: str, customer_id: int) -> None:
    runner.invoke(app, ["import", str(_write(tmp_path, main_line())), "--customer", str(customer_id), "--db", db])
    store = open_store(db)
    other = store.create_customer("Other").id
    flow_id = store.list_flows(customer_id).items[0].id
    result = runner.invoke(app, ["export", str(flow_id), "--customer", str(other), "--db", db])
    assert result.exit_code == 1 and "does not exist" in said(result)


def _bad_documents() -> list[tuple[str, object, str]]:
    nan = main_line()
    nan_text = json.dumps(nan).replace('"x": -200', '"x": NaN').encode()
    huge = main_line()
    huge["nodes"][2]["y"] = 1e300
    big_string = main_line()
    big_string["nodes"][0]["config"]["text"] = "a" * 10_000_000
    unknown = main_line()
    unknown["nodes"][1]["type"] = "teleport"
    no_start = main_line()
    del no_start["start"]
    nowhere = main_line()
    nowhere["edges"].append({"source": "sales", "outlet": "completed", "target": "mars"})
    return [
        ("malformed", b'{"name": "x", "nodes": [', "not valid JSON"),
        ("nan", nan_text, "not valid JSON"),
        ("huge", huge, "'sales'"),
        ("big_string", big_string, "'welcome'"),
        ("unknown_type", unknown, "teleport"),
        ("no_start", no_start, "start"),
        ("nowhere", nowhere, "mars"),
    ]


@pytest.mark.parametrize("label, doc, says", _bad_documents(), ids=[d[0] for d in _bad_documents()])
def test_bad_input_is_refused_clearly_and_nothing_is_written(tmp_path: Path, db: str, customer_id: int,
                                                             label: str, doc: object, says: str) -> None:
    path = _write(tmp_path, doc)
    result = runner.invoke(app, ["import", str(path), "--customer", str(customer_id), "--db", db])
    assert result.exit_code == 1
    assert says in said(result) and "Traceback" not in result.output
    assert _flow_count(db, customer_id) == 0
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 1


def test_problem_messages_name_node_and_field(tmp_path: Path, db: str, customer_id: int) -> None:
    doc = main_line()
    doc["nodes"][2]["x"] = 1e300
    result = runner.invoke(app, ["import", str(_write(tmp_path, doc)), "--customer", str(customer_id), "--db", db])
    assert "node 'sales', field 'x'" in said(result)


def test_draft_imports_a_flow_with_validation_errors(tmp_path: Path, db: str, customer_id: int) -> None:
    doc = main_line()
    doc["nodes"][1]["type"] = "teleport"
    result = runner.invoke(app, ["import", str(_write(tmp_path, doc)), "--customer", str(customer_id), "--draft", "--db", db])
    assert result.exit_code == 0, result.output
    assert _flow_count(db, customer_id) == 1


def test_import_for_a_missing_customer_is_refused(tmp_path: Path, db: str) -> None:
    runner.invoke(app, ["db", "upgrade", "--db", db])
    result = runner.invoke(app, ["import", str(_write(tmp_path, main_line())), "--customer", "999", "--db", db])
    assert result.exit_code == 1 and "customer 999 does not exist" in said(result)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "no such file" in said(result)


def test_validate_passes_a_good_flow_and_prints_warnings(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_write(tmp_path, main_line()))])
    assert result.exit_code == 0 and "is valid" in said(result)
    assert "warning" not in said(result)  # its open outlets are fallbacks that end the call: not worth a warning
    doc = main_line()
    next(n for n in doc["nodes"] if n["type"] == "menu")["config"]["digits"].append("9")  # a choice leading nowhere
    result = runner.invoke(app, ["validate", str(_write(tmp_path, doc))])
    assert result.exit_code == 0 and "warning" in said(result)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_write(tmp_path, main_line())), "--format", "visio"])
    assert result.exit_code == 1 and "--format must be one of" in said(result)


def test_auto_format_reads_ringflow_documents(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_write(tmp_path, main_line())), "--format", "auto"])
    assert result.exit_code == 0, result.output


def test_demo_creates_customers_flows_and_a_working_key(db: str) -> None:
    result = runner.invoke(app, ["demo", "--db", db, "--customers", "3", "--flows", "2", "--nodes", "10", "--big", "1000"])
    assert result.exit_code == 0, result.output
    assert "Created 7 flows" in said(result)
    key = said(result).split("API key for customer")[1].split(":", 1)[1].split()[0]
    from ringflow.store.keys import hash_api_key

    store = open_store(db)
    assert store.find_api_key(hash_api_key(key)) is not None
    customers = store.list_customers().items
    assert len(customers) == 3
    sizes = sorted(f.node_count for c in customers for f in store.list_flows(c.id).items)
    assert sizes == [10] * 6 + [1000]


def test_demo_big_goes_to_the_demo_customer_you_already_sign_in_as(db: str) -> None:
    from ringflow.store.seed import ensure_demo

    store = open_store(db)
    demo, _ = ensure_demo(store)  # what 'ringflow serve' seeds on a fresh database
    store.close()
    assert demo is not None
    result = runner.invoke(app, ["demo", "--db", db, "--big", "1000"])
    assert result.exit_code == 0, result.output
    assert "API key" not in said(result) and f"customer {demo.id} (Acme Demo)" in said(result)
    store = open_store(db)
    assert [c.id for c in store.list_customers().items] == [demo.id]  # no new customer nobody can find
    assert 1000 in [f.node_count for f in store.list_flows(demo.id).items]
    store.close()
    missing = runner.invoke(app, ["demo", "--db", db, "--big", "10", "--customer", "999"])
    assert missing.exit_code == 1 and "customer 999 does not exist" in said(missing)


def test_demo_with_nothing_to_do_is_a_usage_error(db: str) -> None:
    result = runner.invoke(app, ["demo", "--db", db])
    assert result.exit_code == 2 and "nothing to do" in said(result)


def test_a_bad_database_url_is_a_clear_error() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--db", "mysql://x@y/z"])
    assert result.exit_code == 1 and "unsupported database" in said(result)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_migrates_seeds_prints_the_key_once_and_answers(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import httpx

    db = f"sqlite:///{tmp_path / 'serve.db'}"

    def start() -> tuple[subprocess.Popen, int]:
        port = _free_port()
        env = {**os.environ, "RINGFLOW_DATABASE_URL": db, "COLUMNS": "200"}
        proc = subprocess.Popen([sys.executable, "-m", "ringflow.cli", "serve", "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return proc, port
            except httpx.HTTPError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError(proc.stdout.read().decode() if proc.stdout else "server did not start")

    def stop(proc: subprocess.Popen) -> str:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
        return output.decode()

    proc, port = start()
    first = stop(proc)
    key = first.split("shown only this once:")[1].split()[0]
    assert key.startswith("rf_")
    proc, port = start()
    try:
        flows = httpx.get(f"http://127.0.0.1:{port}/api/v1/flows", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert flows.status_code == 200
        assert "Main line" in [f["name"] for f in flows.json()["flows"]]
    finally:
        second = stop(proc)
    assert "shown only this once" not in second  # the demo and its key are made once


def test_validate_names_an_unstorable_document_without_claiming_a_write(tmp_path: Path) -> None:
    doc = main_line()
    doc["edges"][0]["target"] = "ghost"
    result = runner.invoke(app, ["validate", str(_write(tmp_path, doc))])
    assert result.exit_code == 1 and "unknown node 'ghost'" in said(result)
    assert "nothing was written" not in said(result)  # validate writes nothing; import says it
    store = tmp_path / "x.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", f"sqlite:///{store}"]).exit_code == 0
    result = runner.invoke(app, ["import", str(tmp_path / "flow.json"), "--customer", "1", "--db", f"sqlite:///{store}"])
    assert result.exit_code == 1 and "nothing was written" in said(result)


def test_import_leaves_the_database_file_whole(tmp_path: Path, db: str, customer_id: int) -> None:
    """The bulk write commits into the WAL and copies it back on a thread of its own; the import
    waits for that copy before its process ends, so the database file alone holds the flow."""
    import shutil
    import sqlite3

    from ringflow.model.demo import generate_flow

    result = runner.invoke(app, ["import", str(_write(tmp_path, generate_flow(20_000))), "--customer", str(customer_id),
                                 "--db", db])
    assert result.exit_code == 0, said(result)
    copy = tmp_path / "copy.db"
    shutil.copyfile(db.removeprefix("sqlite:///"), copy)  # the file alone, without its -wal
    with sqlite3.connect(copy) as con:
        assert con.execute("SELECT count(*) FROM flow_nodes").fetchone()[0] == 20_000
