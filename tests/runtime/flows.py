"""Tiny flow documents for runtime tests, written out so each test reads on its own."""

from __future__ import annotations

from typing import Any

from ringflow.model.document import normalize
from ringflow.runtime.compile import CompiledFlow, compile_flow


def doc(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str, str]], start: str | None = None) -> dict[str, Any]:
    return normalize({
        "name": "t",
        "start": start or nodes[0][0],
        "nodes": [{"id": i, "type": t, "x": 0, "y": 0, "config": c} for i, t, c in nodes],
        "edges": [{"source": s, "outlet": o, "target": d} for s, o, d in edges],
    })


def flow(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str, str]], key: Any = (1, 1, 1)) -> CompiledFlow:
    return compile_flow(doc(nodes, edges), key)
