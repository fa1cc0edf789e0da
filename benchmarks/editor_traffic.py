"""Live traffic rows of the editor benchmark (benchmarks/editor.py --traffic): the real editor page
with calls on 200 nodes and particles on their edges, fed once a second as the counts stream feeds
it (`setLive(nodes, outlets)` with cumulative outlet totals), measured with the shared probe's
method (requestAnimationFrame intervals; Chromium, software rendering, 1280x800):

  anim        3 s with nothing but the traffic animating (the clock at RINGFLOW_ANIMATION_FRAME_RATE)
  pan         a Space-drag pan at the opening zoom (also measured just before the traffic starts)
  out pan     four wheel notches out (mid zoom: many live nodes in view), then a drag
  anim work   the traffic module's own time per drawn frame (rings, particles, badges), avg/p95/max
  heap        after a forced GC: after the pan, zoom out and pan without traffic (back at the opening
              view), and after the same gestures with the traffic running; the figures in brackets
              are those gestures without traffic, on the same page a moment before. The first
              traffic on a page also compiles the traffic code (V8 code space counts in the heap), so
              the traffic then runs a second time, the same way, on the warm page: "again" is the
              heap after that, against the heap after the first (what running traffic keeps)
  alloc       bytes allocated per animation-only frame (V8's sampling heap profiler over 2 s of
              traffic with nothing else happening, collected objects included, divided by the
              frames drawn in that time): the frame's garbage, which a forced GC hides from "heap"
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--enable-precise-memory-info", "--js-flags=--expose-gc"]
W, H = 1280, 800

FRAMES = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); };
  window.__recording = true; requestAnimationFrame(tick); }"""

# The 200 nodes nearest the opening view get calls (so they are drawn), each with its first outlet traversed.
PREPARE = """async (n) => {
  const e = window.ringflow.engine, st = e.state, cam = e.camera, cx = cam.x + 640 / cam.zoom, cy = cam.y + 400 / cam.zoom;
  const near = [];
  for (let i = 0; i < st.count; i++) if (st.alive(i)) near.push([Math.hypot(st.x[i] - cx, st.y[i] - cy), i]);
  near.sort((a, b) => a[0] - b[0]);
  const picked = near.slice(0, n).map((p) => p[1]);
  const infos = await e.details(picked);
  const calls = {}, keys = [];
  for (const d of infos) if (d && d.id) { calls[d.id] = 1 + (d.index % 4); if (d.outlets.length) keys.push(`${d.id}.${d.outlets[0]}`); }
  window.__plan = { calls, keys };
  return Object.keys(calls).length;
}"""

# A counts event at once (baseline, then traversals) and one every second after, as the stream sends them.
START_TRAFFIC = """() => {
  const e = window.ringflow.engine, { calls, keys } = window.__plan, outlets = {};
  for (const k of keys) outlets[k] = 0;
  e.setLive(calls, { ...outlets });
  let tick = 0;
  window.__traffic = setInterval(() => { tick++; for (const k of keys) outlets[k] += 1 + ((tick + k.length) % 3); e.setLive(calls, { ...outlets }); }, 1000);
  for (const k of keys) outlets[k] += 2;
  e.setLive(calls, { ...outlets });
  return Object.keys(calls).length;
}"""


def _frames(page: Page, action: Any) -> dict[str, Any]:
    page.evaluate(FRAMES)
    action()
    page.wait_for_timeout(100)
    page.evaluate("() => { window.__recording = false; }")
    f = sorted(page.evaluate("() => window.__frames.slice(1)"))
    if not f:
        return {"fps": 0, "p95_ms": None}
    return {"fps": round(len(f) * 1000 / sum(f), 1), "p95_ms": round(f[int(len(f) * 0.95) - 1], 1), "frames": len(f)}


def _drag(page: Page, dist: float = 500, steps: int = 90) -> None:
    cx, cy = W / 2, H / 2
    page.mouse.move(cx, cy)
    page.keyboard.down("Space")
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(cx - dist * i / steps, cy - dist * 0.6 * i / steps)
        page.wait_for_timeout(16)
    page.mouse.up()
    page.keyboard.up("Space")


def _heap(page: Page) -> float:
    """JS heap after two forced collections a moment apart (the second catches what the first freed late)."""
    page.evaluate("() => window.gc && window.gc()")
    page.wait_for_timeout(300)
    page.evaluate("() => { window.__frames = []; window.gc && window.gc(); }")
    return round(page.evaluate("() => performance.memory.usedJSHeapSize") / 2**20, 2)


def _alloc_per_frame(page: Page, ms: int = 2000) -> float:
    """KB allocated per frame while only the traffic animates (sampled every 128 bytes)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("HeapProfiler.enable")
        cdp.send("HeapProfiler.startSampling", {"samplingInterval": 128, "includeObjectsCollectedByMajorGC": True,
                                                 "includeObjectsCollectedByMinorGC": True})
        n0 = page.evaluate("() => window.ringflow.engine.framesDrawn()")
        page.wait_for_timeout(ms)
        n1 = page.evaluate("() => window.ringflow.engine.framesDrawn()")
        prof = cdp.send("HeapProfiler.stopSampling")["profile"]
    finally:
        cdp.detach()
    total, todo = 0, [prof["head"]]
    while todo:
        node = todo.pop()
        total += node["selfSize"]
        todo.extend(node.get("children", []))
    return round(total / max(1, n1 - n0) / 1024, 2)


def _anim(page: Page) -> dict[str, float]:
    m = page.evaluate("() => window.ringflow.metrics()")
    return {"avg": m["animMs"], "p95": m["animP95"], "max": m["animMax"]}


def measure(url: str, login: str, key: str, mode: str, live: int = 200, wheel: int = 4) -> dict[str, Any]:
    """One row: the editor at `url` in `mode` with `live` nodes carrying calls."""
    out: dict[str, Any] = {"mode": mode, "live": live}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = b.new_page(viewport={"width": W, "height": H}, bypass_csp=True)
            r = page.request.post(login, data={"api_key": key})
            assert r.ok, f"login failed: {r.status}"
            page.goto(url)
            page.wait_for_function("document.documentElement.dataset.ready === '1'", timeout=180_000, polling=50)
            page.wait_for_function("() => !window.ringflow.engine.state || window.ringflow.metrics().nodes > 0")
            page.evaluate(f"() => window.ringflow.engine.setMode('{mode}')")
            page.wait_for_timeout(1500)  # a big flow finishes its sliced index build
            out["live"] = page.evaluate(PREPARE, live)  # the details of those nodes load first
            home = page.evaluate("() => window.ringflow.viewport()")

            def gestures(tag: str) -> None:
                """Pan, wheel out to mid zoom, pan there; then back to the opening view."""
                out[f"pan{tag}"] = _frames(page, lambda: _drag(page))
                out[f"pan{tag}_work"] = _anim(page)
                page.mouse.move(W / 2, H / 2)
                for _ in range(wheel):
                    page.mouse.wheel(0, 240)
                    page.wait_for_timeout(30)
                page.wait_for_timeout(300)
                out[f"lod_out{tag}"] = page.evaluate("() => window.ringflow.metrics().lod")
                out[f"drawn_out{tag}"] = page.evaluate("() => window.ringflow.metrics().drawn")
                out[f"pan_out{tag}"] = _frames(page, lambda: _drag(page, dist=200))
                out[f"pan_out{tag}_work"] = _anim(page)
                page.evaluate("(c) => window.ringflow.engine.setCamera(c)", home)
                page.wait_for_timeout(300)

            gestures("_without")  # the same gestures on the same page before any traffic: the heap and fps to compare with
            out["heap_before"] = _heap(page)
            page.evaluate(START_TRAFFIC)
            page.wait_for_timeout(600)
            out["anim"] = _frames(page, lambda: page.wait_for_timeout(3000))
            out["anim_idle_work"] = _anim(page)
            out["alloc_kb"] = _alloc_per_frame(page)
            gestures("")
            out["calls_badged"] = page.evaluate("() => window.ringflow.metrics().calls")
            page.evaluate("() => clearInterval(window.__traffic)")
            out["heap_after"] = _heap(page)
            out["heap_delta_pct"] = round((out["heap_after"] - out["heap_before"]) * 100 / out["heap_before"], 1)
            page.evaluate(START_TRAFFIC)  # the same traffic again, on the warm page
            page.wait_for_timeout(3600)
            gestures("_again")
            page.evaluate("() => clearInterval(window.__traffic)")
            out["heap_again"] = _heap(page)
            out["heap_again_pct"] = round((out["heap_again"] - out["heap_after"]) * 100 / out["heap_after"], 1)
        finally:
            b.close()
    return out


def rows(results: list[tuple[int, dict[str, Any]]]) -> list[str]:
    head = ["| nodes | mode | nodes with calls | animating only fps / p95 ms | pan fps / p95 ms (without traffic) | zoomed-out pan fps / p95 ms (without; detail) "
            "| animation work ms/frame avg / p95 / max | allocated KB / animation frame | heap MB before → after (Δ) | heap MB again (Δ from after) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    out = []
    for n, r in results:
        if "error" in r:
            out.append(f"| {n:,} | {r.get('mode', '?')} | {r['error']} |" + " |" * 7)
            continue
        work = max((r[k] for k in ("anim_idle_work", "pan_work", "pan_out_work")), key=lambda w: w["p95"])
        out.append(f"| {n:,} | {r['mode']} | {r['live']} | {r['anim']['fps']} / {r['anim']['p95_ms']} | {r['pan']['fps']} / {r['pan']['p95_ms']} ({r['pan_without']['fps']} / {r['pan_without']['p95_ms']}) "
                   f"| {r['pan_out']['fps']} / {r['pan_out']['p95_ms']} ({r['pan_out_without']['fps']} / {r['pan_out_without']['p95_ms']}; {r['lod_out']}, {r['drawn_out']:,} drawn) "
                   f"| {work['avg']} / {work['p95']} / {work['max']} | {r.get('alloc_kb', '–')} | {r['heap_before']} → {r['heap_after']} ({r['heap_delta_pct']:+} %) "
                   f"| {r.get('heap_again', '–')} ({r.get('heap_again_pct', 0):+} %) |")
    return head + out


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs that finished (nested dicts too); other values from the last run."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]

    def med(vals: list[Any]) -> Any:
        if all(isinstance(v, dict) for v in vals):
            return {k: med([v[k] for v in vals if k in v]) for k in vals[-1]}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            return statistics.median(vals)
        return vals[-1]
    out = med(ok)
    out["runs"] = len(ok)
    return out


def timed(fn: Any, *args: Any, **kw: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        r = fn(*args, **kw)
    except Exception as err:  # a failed row is reported as such in the table, never hidden
        return {"error": f"{type(err).__name__}: {str(err)[:160]}", "mode": kw.get("mode", "?")}
    r["seconds"] = round(time.perf_counter() - t0, 1)
    return r
