"""The C kernels are built by the install, and without them the model gives the same answers."""

import importlib

from ringflow.model import document, fastcheck, fastflow, structure
from ringflow.model.demo import generate_flow
from ringflow.model.document import normalize
from ringflow.model.validation import validate, validate_slow

SWITCHES = [(document, "native"), (structure, "native"), (fastflow, "native_group_nodes"), (fastcheck, "native_columns"),
            (fastcheck, "native_unclear")]


def test_the_kernels_are_built_and_used():
    kernels = importlib.import_module("ringflow.model._kernels")  # `pip install -e .` with a C compiler builds it
    assert document.native is kernels and structure.native is kernels
    assert fastflow.native_group_nodes is kernels.group_nodes
    assert fastcheck.native_columns is kernels.columns and fastcheck.native_unclear is kernels.unclear


def test_without_the_kernels_normalize_and_validate_answer_the_same(monkeypatch):
    """What an install without a compiler runs: the Python twins, on a flow with problems."""
    raw = generate_flow(3000)
    raw["edges"] = raw["edges"][:-30] + [{"source": raw["nodes"][0]["id"], "outlet": "ringing", "target": raw["nodes"][1]["id"]}]
    next(n for n in raw["nodes"] if n["type"] == "say")["config"] = {"text": "Hi {{ trigger"}
    with_kernels = normalize(raw)
    problems = validate(with_kernels)
    for module, name in SWITCHES:
        monkeypatch.setattr(module, name, None)
    assert normalize(raw) == with_kernels
    assert validate(with_kernels) == problems == validate_slow(with_kernels)
    assert {p.code for p in problems} >= {"unknown_outlet", "unconnected_outlet", "unreachable", "bad_template"}
