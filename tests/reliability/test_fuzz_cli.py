"""``ringflow validate`` and ``ringflow import`` fed Hypothesis-made documents: clear errors only.

Documents are a valid flow with random damage (missing, retyped, unknown or duplicated fields,
dangling edges, odd numbers and strings), wholly random JSON, or bytes that are not JSON at all.
The promise: no traceback ever, exit 0 exactly when the model accepts the document (validate) or
the flow was stored (import), non-zero with a message otherwise, and a refused import writes nothing.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ringflow.cli import app
from ringflow.model.document import DocumentError, normalize
from ringflow.model.validation import has_errors, validate
from ringflow.store import open_store
from tests.reliability.conftest import ROOT, flow_doc, record

EXAMPLES = int(os.environ.get("RINGFLOW_FUZZ_EXAMPLES", "60"))
BASE = flow_doc("fuzzed", 4)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=30), st.sampled_from(["", "say", "hangup", "n0", "end", "\x00", "<script>", "🙂" * 3]))
json_value = st.recursive(json_leaf, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), kids, max_size=4)), max_leaves=12)


@st.composite
def damaged(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "node", "edge", "config"]))
        target: Any = doc
        if where == "node" and doc.get("nodes"):
            target = draw(st.sampled_from(doc["nodes"])) if isinstance(doc["nodes"], list) else doc
        elif where == "edge" and isinstance(doc.get("edges"), list) and doc["edges"]:
            target = draw(st.sampled_from(doc["edges"]))
        elif where == "config" and isinstance(doc.get("nodes"), list) and doc["nodes"]:
            node = draw(st.sampled_from(doc["nodes"]))
            target = node.get("config") if isinstance(node, dict) and isinstance(node.get("config"), dict) else doc
        if not isinstance(target, dict):
            continue
        keys = sorted(target) or ["x"]
        action = draw(st.sampled_from(["drop", "retype", "unknown", "dup"]))
        key = draw(st.sampled_from(keys))
        if action == "drop":
            target.pop(key, None)
        elif action == "retype":
            target[key] = draw(json_value)
        elif action == "unknown":
            target[draw(st.text(min_size=1, max_size=8))] = draw(json_value)
        elif action == "dup" and isinstance(doc.get("nodes"), list) and doc["nodes"]:
            doc["nodes"].append(copy.deepcopy(doc["nodes"][0]))
    return doc


documents = st.one_of(damaged(), json_value, st.just(BASE))
raw_files = st.one_of(documents.map(lambda d: json.dumps(d).encode()),  # stdlib: big integers are valid JSON too
                      st.binary(max_size=200), st.sampled_from([b"", b"{", b"\xff\xfe{}", b"[]", b"null", b'{"nodes": 1e999}']))


def _model_accepts(raw: bytes) -> bool:
    try:
        return not has_errors(validate(normalize(orjson.loads(raw))))
    except (orjson.JSONDecodeError, DocumentError, ValueError, TypeError):
        return False


def _clean(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def workspace() -> Iterator[tuple[Path, str, int]]:
    with tempfile.TemporaryDirectory(prefix="ringflow-clifuzz-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'cli.db'}"
        store = open_store(url)
        customer = store.create_customer("Fuzz").id
        store.close()
        yield Path(tmp), url, customer
        record(test="fuzz_cli", examples_per_command=EXAMPLES, imported=_count(url, customer))


def _count(url: str, customer: int) -> int:
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute("SELECT count(*) FROM flows WHERE customer_id = ?", (customer,)).fetchone()[0]
    finally:
        con.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=raw_files)
def test_validate_never_tracebacks_and_exits_by_the_model(raw: bytes, workspace: tuple[Path, str, int]) -> None:
    path = workspace[0] / "doc.json"
    path.write_bytes(raw)
    result = CliRunner().invoke(app, ["validate", str(path)])
    _clean(result)
    assert (result.exit_code == 0) == _model_accepts(raw), result.output
    if result.exit_code != 0:
        assert result.output.strip()  # it says why


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=raw_files)
def test_import_stores_whole_flows_or_nothing(raw: bytes, workspace: tuple[Path, str, int]) -> None:
    tmp, url, customer = workspace
    path = tmp / "doc.json"
    path.write_bytes(raw)
    before = _count(url, customer)
    result = CliRunner().invoke(app, ["import", str(path), "--customer", str(customer), "--db", url])
    _clean(result)
    ok = _model_accepts(raw)
    assert (result.exit_code == 0) == ok, result.output
    assert _count(url, customer) == before + (1 if ok else 0)
    if not ok:
        assert "error" in result.output.lower()


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", orjson.dumps({"name": "x", "nodes": [{"id": 1}]}), b"[1, 2]"])
def test_the_real_command_prints_a_message_not_a_traceback(raw: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    exe = str(ROOT / ".venv" / "bin" / "ringflow")
    for args in (["validate", str(path)], ["import", str(path), "--customer", "1", "--db", f"sqlite:///{tmp_path / 'x.db'}"]):
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
        assert "error" in (proc.stderr + proc.stdout).lower()
