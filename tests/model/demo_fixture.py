"""The demo flows' geometry as the editor's routing test reads it (tests/js/fixtures/demo_flows.json).

Run as a script to rewrite the fixture after the demo layout changes; tests/model/test_layout_and_demo.py
checks that it matches what ``generate_flow`` makes now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.demo import generate_flow

FIXTURE = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "demo_flows.json"
SIZES = (20, 200)


def geometry(n: int) -> dict[str, Any]:
    """Nodes as [x, y, w, h, outlet count], edges as [source, outlet position, target] (node positions in the list)."""
    doc = generate_flow(n, seed=1)
    at = {node["id"]: k for k, node in enumerate(doc["nodes"])}
    outlets = [CATALOGUE[node["type"]].outlets_for(node.get("config") or {}) for node in doc["nodes"]]
    nodes = [[node["x"], node["y"], node.get("w", 200), node.get("h", 72), len(outlets[k])] for k, node in enumerate(doc["nodes"])]
    edges = [[at[e["source"]], outlets[at[e["source"]]].index(e["outlet"]), at[e["target"]]] for e in doc["edges"]]
    return {"nodes": nodes, "edges": edges}


def fixture() -> dict[str, Any]:
    return {str(n): geometry(n) for n in SIZES}


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(fixture(), separators=(",", ":")) + "\n")
    print(f"wrote {FIXTURE}")
