// Renaming a flow: the engine owns the PATCH queue and the revision, so a rename goes through it
// when it can; otherwise it is sent after a flush and the engine re-syncs its revision.
import { api } from "./api.js";

/** Returns the new revision (or null when unknown). */
export async function renameFlow(engine, flowId, name, revision, clientId) {
  if (typeof engine.rename === "function") {
    return (await engine.rename(name)) ?? null;
  }
  await engine.flush();
  const data = await api(`/flows/${flowId}`, {
    method: "PATCH", body: { ops: [{ op: "rename", name }] },
    headers: { "If-Match": String(engine.revision ?? revision), "X-Ringflow-Client": clientId },
  });
  if (typeof engine.reload === "function") await engine.reload();
  return data?.revision ?? null;
}
