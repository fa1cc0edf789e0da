import { test } from "node:test";
import assert from "node:assert/strict";
import { describeProblem, fieldPathTitle, countProblems, countText } from "../../ringflow/web/js/core/problemtext.js";

const types = new Map([
  ["transfer", { name: "transfer", title: "Transfer", fields: [{ name: "to", title: "Number to dial" }, { name: "caller_id", title: "Caller ID" }] }],
  ["menu", { name: "menu", title: "Menu", fields: [{ name: "prompt", title: "Prompt" }] }],
]);
const nodes = new Map([["transfer_orv1ud", { label: "Sales desk", typeName: "transfer" }], ["menu_x", { label: "", typeName: "menu" }]]);
const describe = (p) => describeProblem(p, (id) => nodes.get(id) || null, (t) => types.get(t));

test("a problem names the node's label and the field's title, never the id or the path", () => {
  const d = describe({ severity: "error", code: "missing_config", message: "to is required", node_id: "transfer_orv1ud", field: "config.to" });
  assert.equal(d.node, "Sales desk");
  assert.equal(d.field, "Number to dial");
  assert.equal(d.full, "Sales desk: Number to dial is required");
  assert.ok(!d.full.includes("transfer_orv1ud") && !d.full.includes("config."));
});

test("an unlabelled node is named by its type; outlets and general fields read as words", () => {
  const d = describe({ severity: "warning", code: "unconnected_outlet", message: "outlet '3' is not connected; the call hangs up there",
    node_id: "menu_x", field: "outlets.3" });
  assert.equal(d.full, "Menu · Outlet “3”: Not connected: the call ends there");
  assert.equal(fieldPathTitle(null, "start"), "Start node");
  assert.equal(describe({ severity: "error", code: "no_start", message: "the flow has no start node", node_id: null, field: "start" }).full,
    "Start node: The flow has no start node");
  assert.equal(describe({ severity: "error", code: "bad_config", message: "x", node_id: "gone", field: "config.num_digits" }).full,
    "gone · Num digits: X");
});

test("counts agree wherever they are shown", () => {
  const c = countProblems([{ severity: "error" }, { severity: "warning" }, { severity: "warning" }]);
  assert.deepEqual(c, { errors: 1, warnings: 2, total: 3 });
  const capped = Object.assign([{ severity: "error" }], { counts: { errors: 4000, warnings: 9, total: 4009 } }); // a big flow's first problems
  assert.equal(countText(countProblems(capped)), "4000 errors and 9 warnings");
  assert.equal(countText(c), "1 error and 2 warnings");
  assert.equal(countText({ errors: 0, warnings: 1 }), "1 warning");
  assert.equal(countText(countProblems([])), "No problems");
});
