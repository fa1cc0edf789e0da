// The UI reads answers of APIs built in parallel (runtime test calls, validation); these
// readers must accept the documented shape and not crash on a partial one.
import test from "node:test";
import assert from "node:assert/strict";
import { readCall } from "../../../ringflow/web/js/ui/testcall.js";
import { problemsOf, countProblems } from "../../../ringflow/web/js/ui/problems.js";

test("readCall reads the documented test-call answer", () => {
  const c = readCall({
    call_sid: "TC1", said: ["Welcome.", "Press 1."], waiting_for: "digits", node_id: "menu",
    path: ["welcome", "menu"], variables: { a: "1" }, ended: false, step: 1,
  });
  assert.equal(c.id, "TC1");
  assert.deepEqual(c.lines, ["Welcome.", "Press 1."]);
  assert.equal(c.node, "menu");
  assert.deepEqual(c.path, ["welcome", "menu"]);
  assert.equal(c.waiting, "digits");
  assert.equal(c.ended, false);
  assert.deepEqual(c.variables, { a: "1" });
});

test("readCall tolerates an ended call and missing fields", () => {
  const c = readCall({ call_sid: "TC2", said: [], node_id: null, ended: true });
  assert.equal(c.ended, true);
  assert.equal(c.node, null);
  assert.deepEqual(c.path, []);
  assert.deepEqual(readCall(null).lines, []);
});

test("problemsOf finds problems in validate answers and error details", () => {
  const p = { severity: "error", code: "x", message: "m", node_id: "n", field: "config.text" };
  assert.deepEqual(problemsOf({ valid: false, problems: [p] }), [p]);
  assert.deepEqual(problemsOf({ details: { problems: [p], revision: 3 } }), [p]);
  assert.deepEqual(problemsOf([p]), [p]);
  assert.deepEqual(problemsOf(undefined), []);
  assert.deepEqual(problemsOf({ message: "no list here" }), []);
});

test("readCall reads the errors of fields that went over a limit", () => {
  const c = readCall({ call_sid: "TC3", said: ["Bye"], ended: true,
    errors: [{ node_id: "big", message: "filter replace: the result would be over 65,536 characters" }] });
  assert.deepEqual(c.errors, [{ node: "big", message: "filter replace: the result would be over 65,536 characters" }]);
  assert.deepEqual(readCall({ call_sid: "TC4" }).errors, []);
});

test("a capped problems list counts every problem, not only the ones listed", () => {
  const p = { severity: "error", node_id: "n1", code: "missing_config", message: "text is required" };
  const list = problemsOf({ valid: false, problems: [p], problems_total: 30000,
    problem_counts: { missing_config: 15000, unreachable: 15000 }, severity_counts: { error: 15000, warning: 15000 } });
  assert.deepEqual([...list], [p]);
  assert.deepEqual(countProblems(list), { errors: 15000, warnings: 15000, total: 30000 });
  assert.deepEqual(countProblems(problemsOf({ details: { problems: [p, { ...p, severity: "warning" }] } })), { errors: 1, warnings: 1, total: 2 });
});
