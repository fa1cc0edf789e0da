import { test } from "node:test";
import assert from "node:assert/strict";
import { diffShapes } from "../../ringflow/web/js/ui/diffoverlay.js";
import { takenEdges, stepText } from "../../ringflow/web/js/ui/testcall.js";
import { versionName } from "../../ringflow/web/js/ui/history.js";

test("a diff becomes green, amber and red shapes; a re-targeted outlet is a red ghost and an amber edge", () => {
  const s = diffShapes({
    nodes: { added: [{ id: "n", x: 0, y: 0 }], updated: [{ id: "u", before: {}, after: { id: "u", x: 1, y: 1, label: "U" } }], removed: [{ id: "r", x: 5, y: 5 }] },
    edges: { added: [], removed: [], updated: [{ source: "a", outlet: "next", before: "r", after: "n" }] },
  });
  assert.deepEqual(s.nodes.map((n) => [n.id, n.kind]), [["r", "removed"], ["n", "added"], ["u", "changed"]]);
  assert.deepEqual(s.edges, [{ kind: "removed", source: "a", outlet: "next", target: "r" }, { kind: "changed", source: "a", outlet: "next", target: "n" }]);
});

test("the edges a call took chain its steps to where it is now, retries stay put", () => {
  const steps = [{ node_id: "w", outlet: "next" }, { node_id: "m", outlet: "retry" }, { node_id: "m", outlet: "2" }, { node_id: "s", outlet: "next" }];
  assert.deepEqual(takenEdges(steps, "bye"), [
    { source: "w", outlet: "next", target: "m" }, { source: "m", outlet: "2", target: "s" }, { source: "s", outlet: "next", target: "bye" }]);
  assert.equal(stepText({ label: "Main menu", outlet: "2", reason: "heard “2”" }), "Main menu → 2: heard “2”");
});

test("versions read as numbers people count, with their names", () => {
  assert.equal(versionName({ number: 40, version: 1, name: "Launch" }), "Version 1 “Launch”");
  assert.equal(versionName({ number: 7 }), "Revision 7");
});
