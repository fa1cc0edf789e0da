import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { summarize, shortUrl, todaysHours, dependsOnClock } from "../../ringflow/web/js/core/summary.js";

// the real catalogue, as /api/v1/node-types serves it (one source of truth)
const py = process.env.RINGFLOW_PYTHON || ".venv/bin/python";
const types = new Map(JSON.parse(execFileSync(py, ["-c",
  "import json; from ringflow.model.schema import node_type_info; from ringflow.model.catalogue import CATALOGUE; print(json.dumps([node_type_info(t) for t in CATALOGUE.values()]))"],
  { encoding: "utf8" })).map((t) => [t.name, t]));
const text = (name, config, now = 0) => summarize(types.get(name), config, now).map((x) => x.text);

// Sunday 15 March 2026, 13:05 in Paris (12:05 UTC)
const SUNDAY_1305_PARIS = Date.UTC(2026, 2, 15, 12, 5);

test("cards say what a node does, from the catalogue's summary fields", () => {
  assert.deepEqual(text("say", { text: "Thanks  for\ncalling." }), ["Thanks for calling."]);
  assert.deepEqual(text("play", { url: "https://cdn.example.com/audio/hold%20music.mp3" }), ["cdn.example.com · hold music.mp3"]);
  assert.deepEqual(text("menu", { prompt: "Press 1 for sales", digits: ["1", "2"] }), ["Press 1 for sales", "Choices: 1 · 2"]);
  assert.deepEqual(text("transfer", { to: "+15550100" }), ["+15550100"]);
  assert.deepEqual(text("split", { input: "{{flow.variables.tier}}", cases: [{ name: "vip", op: "equals", value: "gold" }] }),
    ["{{flow.variables.tier}}", "vip: equals gold"]);
  assert.deepEqual(text("http", { method: "POST", url: "https://api.example.com/v1/lookup?q=1" }), ["POST api.example.com · lookup"]);
  assert.deepEqual(text("hangup", {}), []);
});

test("business hours show the time zone and today's hours there, from the injected clock", () => {
  const cfg = { timezone: "Europe/Paris", schedule: { mon: [["09:00", "17:00"]], sun: [] } };
  assert.deepEqual(text("business_hours", cfg, SUNDAY_1305_PARIS), ["Sunday: closed", "Europe/Paris"]);
  assert.equal(todaysHours(cfg.schedule, cfg, SUNDAY_1305_PARIS + 86_400_000), "Monday 09:00–17:00");
  assert.equal(todaysHours(cfg.schedule, { ...cfg, holidays: ["2026-03-16"] }, SUNDAY_1305_PARIS + 86_400_000), "Monday: closed, a holiday");
  // 23:30 UTC on Sunday is already Monday in Tokyo
  assert.match(todaysHours({ mon: [["09:00", "17:00"]] }, { timezone: "Asia/Tokyo" }, Date.UTC(2026, 2, 15, 23, 30)), /Monday/);
  assert.ok(dependsOnClock(types.get("business_hours")) && !dependsOnClock(types.get("say")));
});

test("every summary field of the catalogue is a field of its type", () => {
  for (const t of types.values()) for (const name of t.summary) assert.ok(t.fields.some((f) => f.name === name), `${t.name}.${name}`);
  assert.equal(shortUrl("not a url"), "not a url");
});
