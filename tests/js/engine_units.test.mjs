import { toneFor } from "../../ringflow/web/js/engine/theme.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClock } from "../../ringflow/web/js/engine/clock.js";
import { PatchQueue } from "../../ringflow/web/js/engine/persist.js";
import { stateFromNodes, syntheticState } from "../../ringflow/web/js/engine/loader.js";
import { rgbaU32 } from "../../ringflow/web/js/engine/renderer.js";

function fakeRaf() {
  const q = [];
  const raf = (fn) => { q.push(fn); return q.length; };
  const step = (t) => { const fns = q.splice(0); for (const f of fns) f(t); return fns.length; };
  return { raf, step, pending: () => q.length };
}

test("the clock draws once per invalidate and then sleeps (an idle editor draws nothing)", () => {
  const r = fakeRaf(); const frames = [];
  const onFrame = (t) => frames.push(t);
  const clock = createClock({ onFrame, raf: r.raf });
  clock.invalidate(); clock.invalidate();
  assert.equal(r.pending(), 1, "one loop, however many invalidations");
  r.step(16);
  assert.deepEqual(frames, [16]);
  r.step(32);
  assert.equal(r.pending(), 0, "nothing dirty: the loop stopped");
  assert.equal(frames.length, 1);
});

test("animations are throttled to the configured frame rate", () => {
  const r = fakeRaf(); const frames = [];
  const clock = createClock({ onFrame: (t, o) => frames.push([t, o.animFrame]), raf: r.raf, fps: 30 });
  clock.setAnimating(true);
  for (let t = 0; t <= 1000; t += 1000 / 60) r.step(t);
  const anim = frames.filter((f) => f[1]).length;
  assert.ok(anim >= 29 && anim <= 31, `${anim} animation frames in one second at 30 fps`);
  clock.setAnimating(false); r.step(2000); r.step(2016);
  assert.equal(r.pending(), 0);
});

test("background work keeps the loop alive without drawing", () => {
  const r = fakeRaf(); let drawn = 0, work = 3;
  const onFrame = () => drawn++;
  onFrame.before = () => --work > 0;
  const clock = createClock({ onFrame, raf: r.raf });
  clock.kick();
  for (let t = 0; t < 10; t++) r.step(t * 16);
  assert.equal(work, 0); assert.equal(drawn, 0);
});

function fakeApi(answers) {
  const calls = [];
  return { calls, async request(method, path, opts) { calls.push({ method, path, ...opts }); const a = answers.shift(); if (a instanceof Error) throw a; return a; } };
}

test("patch queue: merged moves go out as one PATCH with If-Match and the client id", async () => {
  let rev = 7; const events = [];
  const api = fakeApi([{ revision: 8, changes: {} }]);
  const q = new PatchQueue({ api, flowId: 3, clientId: "c1", getRevision: () => rev, setRevision: (r) => { rev = r; }, emit: (e, p) => events.push([e, p]), delay: 5 });
  q.push({ nodes: { updated: [{ id: "a", set: { x: 1, y: 1 }, prev: { x: 0, y: 0 } }] } });
  q.push({ nodes: { updated: [{ id: "a", set: { x: 5, y: 6 }, prev: { x: 1, y: 1 } }] } });
  await q.flush();
  assert.equal(api.calls.length, 1);
  assert.equal(api.calls[0].method, "PATCH"); assert.equal(api.calls[0].path, "/flows/3");
  assert.deepEqual(api.calls[0].headers, { "If-Match": "7", "X-Ringflow-Client": "c1" });
  assert.deepEqual(api.calls[0].body, { ops: [{ op: "move_node", id: "a", x: 5, y: 6 }] });
  assert.equal(rev, 8); assert.deepEqual(events, [["saved", { revision: 8 }]]);
});

test("patch queue: a 412 says conflict and reloads instead of overwriting", async () => {
  const err = Object.assign(new Error("stale"), { status: 412, body: { details: { current_revision: 9 } } });
  const events = []; let reloads = 0;
  const q = new PatchQueue({ api: fakeApi([err]), flowId: 1, clientId: "c", getRevision: () => 1, setRevision() {}, emit: (e, p) => events.push([e, p]), onConflict: () => reloads++, delay: 1 });
  q.push({ nodes: { added: [{ id: "n", type: "say", x: 0, y: 0 }] } });
  await q.flush();
  assert.equal(events[0][0], "conflict"); assert.equal(events[0][1].current, 9);
  assert.equal(reloads, 1); assert.equal(q.pending, null);
});

test("rename rides in the queue and resolves with the new revision", async () => {
  const api = fakeApi([{ revision: 4, changes: {} }]);
  const q = new PatchQueue({ api, flowId: 1, clientId: "c", getRevision: () => 3, setRevision() {}, emit() {}, delay: 1 });
  assert.equal(await q.rename("New name"), 4);
  assert.deepEqual(api.calls[0].body.ops, [{ op: "rename", name: "New name" }]);
});

test("critical nodes become a small state with edges resolved by outlet name", () => {
  const types = new Map([["say", { name: "say", code: 0, outlets: ["next"] }], ["menu", { name: "menu", code: 4, outlets: ["invalid", "timeout"] }]]);
  const st = stateFromNodes([
    { id: "m", key: 9, type: "menu", x: 0, y: 200, config: { digits: ["1", "2"] } },
    { id: "s", key: 2, type: "say", x: 0, y: 0 },
  ], [{ source: "s", outlet: "next", target: "m" }, { source: "m", outlet: "timeout", target: "s" }], types, "s");
  assert.deepEqual([...st.keys.subarray(0, 2)], [2, 9]);
  assert.equal(st.start, 0);
  assert.equal(st.ecount, 2);
  assert.equal(st.eout[1], 3, "timeout comes after the two digits");
  assert.equal(syntheticState(1000).live, 1000);
});

test("type colours become little-endian canvas pixels", () => {
  assert.equal(rgbaU32("#2f80ed"), 0xffed802f);
});

test("a near-black type colour is lifted on a dark theme, hue kept; light themes and bright colours unchanged", () => {
  assert.equal(toneFor("#333333", false), "#333333");
  assert.equal(toneFor("#2f80ed", true), "#2f80ed");
  const lifted = toneFor("#333333", true), v = parseInt(lifted.slice(1), 16);
  assert.ok((v >> 16) >= 110 && (v >> 16) === ((v >> 8) & 255) && (v & 255) === (v >> 16), lifted); // still a grey, now readable
  const red = parseInt(toneFor("#5a0000", true).slice(1), 16);
  assert.ok((red >> 16) > ((red >> 8) & 255), "a dark red stays red");
});
