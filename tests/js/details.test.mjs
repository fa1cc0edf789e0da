import { test } from "node:test";
import assert from "node:assert/strict";
import { DetailStore } from "../../ringflow/web/js/engine/data.js";

/** An API whose answers are held until the test releases them, as a slow network would. */
function heldApi(answer) {
  const pending = [];
  return {
    pending,
    get: () => new Promise((resolve) => pending.push(() => resolve(answer()))),
  };
}

const server = { key: 7, id: "sales", label: "Sales desk", config: { to: "+15550100" }, type: "transfer" };

test("an answer that left before an edit does not put the old config back", async () => {
  const api = heldApi(() => ({ nodes: [server], edges: [] }));
  const store = new DetailStore(api, 1);
  store.put(server);
  const rect = store.fetchRect(0, 0, 100, 100, 50); // the viewport asks...
  const box = store.fetchBox(0, 0, 100, 100); // ...and so does a selection
  store.putChanged({ ...server, config: { to: "+15550199" } }); // the person edits meanwhile
  api.pending.forEach((release) => release());
  await Promise.all([rect, box]);
  assert.equal(store.get(7).config.to, "+15550199");
});

test("an answer asked for after the edit lands, and so do the nodes nobody changed", async () => {
  const other = { key: 8, id: "bye", label: "Goodbye", config: {}, type: "hangup" };
  const api = heldApi(() => ({ nodes: [{ ...server, label: "Renamed elsewhere" }, other], edges: [] }));
  const store = new DetailStore(api, 1);
  store.putChanged({ ...server, config: { to: "+15550199" } });
  const box = store.fetchBox(0, 0, 100, 100);
  api.pending.forEach((release) => release());
  await box;
  assert.equal(store.get(7).label, "Renamed elsewhere");
  assert.equal(store.get(8).label, "Goodbye");
});
