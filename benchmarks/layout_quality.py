"""Layout quality of the demo flows: edge crossings and edges through cards, old layout beside new.

Each edge is drawn as the straight segment from its outlet's port (spread along the bottom of
the source card in outlet order) to the top centre of its target; two edges cross when those
segments intersect away from a shared end; an edge runs through a card when its segment enters
a card that is neither of its ends. The routed edges of the editor (web/js/core/routing.js) are
checked separately by node --test. "Old" is the layout module of a git revision (default main).

usage: .venv/bin/python benchmarks/layout_quality.py [--old-rev main] [--sizes 20,200,1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ringflow.model import demo  # noqa: E402
from ringflow.model.catalogue import CATALOGUE  # noqa: E402

Seg = tuple[float, float, float, float]


def _old_layout(rev: str) -> ModuleType:
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:ringflow/model/layout.py"], check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_layout.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("old_layout", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def segments(doc: dict[str, Any]) -> list[tuple[str, str, Seg]]:
    nodes = {n["id"]: n for n in doc["nodes"]}
    out = []
    for e in doc["edges"]:
        s, t = nodes[e["source"]], nodes[e["target"]]
        names = CATALOGUE[s["type"]].outlets_for(s.get("config") or {})
        k = names.index(e["outlet"]) if e["outlet"] in names else 0
        w, h = s.get("w", 200), s.get("h", 72)
        px, py = s["x"] + w * (k + 1) / (len(names) + 1), s["y"] + h
        out.append((e["source"], e["target"], (px, py, t["x"] + t.get("w", 200) / 2, t["y"])))
    return out


def _cross(a: Seg, b: Seg) -> bool:
    def orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    d1 = orient(b[0], b[1], b[2], b[3], a[0], a[1])
    d2 = orient(b[0], b[1], b[2], b[3], a[2], a[3])
    d3 = orient(a[0], a[1], a[2], a[3], b[0], b[1])
    d4 = orient(a[0], a[1], a[2], a[3], b[2], b[3])
    return d1 * d2 < 0 and d3 * d4 < 0


def _through(seg: Seg, box: tuple[float, float, float, float]) -> bool:
    """Does the segment enter the open rectangle (Liang-Barsky clip)?"""
    x0, y0, x1, y1 = seg
    bx0, by0, bx1, by1 = box
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for p, q in ((-dx, x0 - bx0), (dx, bx1 - x0), (-dy, y0 - by0), (dy, by1 - y0)):
        if p == 0:
            if q <= 0:
                return False
        else:
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
    return t1 - t0 > 1e-9


def measure(doc: dict[str, Any]) -> tuple[int, int]:
    segs = segments(doc)
    crossings = 0
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            (a_s, a_t, a), (b_s, b_t, b) = segs[i], segs[j]
            if {a_s, a_t} & {b_s, b_t}:
                continue
            crossings += _cross(a, b)
    boxes = [(n["id"], (n["x"] + 1, n["y"] + 1, n["x"] + n.get("w", 200) - 1, n["y"] + n.get("h", 72) - 1)) for n in doc["nodes"]]
    through = sum(1 for s, t, seg in segs if any(nid not in (s, t) and _through(seg, box) for nid, box in boxes))
    return crossings, through


def with_layout(layout: Callable[..., dict[str, tuple[float, float]]], n: int) -> dict[str, Any]:
    """The demo flow of ``n`` nodes with its block laid out by ``layout``."""
    saved = getattr(demo, "layered_layout"), demo._TEMPLATE_POSITIONS
    setattr(demo, "layered_layout", layout)
    demo._TEMPLATE_POSITIONS = None
    try:
        return dict(demo.generate_flow(n, seed=1))
    finally:
        setattr(demo, "layered_layout", saved[0])
        demo._TEMPLATE_POSITIONS = saved[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-rev", default="main")
    ap.add_argument("--sizes", default="20,200,1000")
    args = ap.parse_args()
    old = _old_layout(args.old_rev)
    print("| demo flow | edges | crossings old → new | edges through a card old → new |")
    print("|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        new = getattr(demo, "layered_layout")
        before, after = measure(with_layout(old.layered_layout, n)), measure(with_layout(new, n))
        doc = with_layout(new, n)
        print(f"| {len(doc['nodes']):,} nodes | {len(doc['edges']):,} | {before[0]} → {after[0]} | {before[1]} → {after[1]} |")


if __name__ == "__main__":
    main()
