// Flow-level ops (rename, set the start node). The engine owns the PATCH queue and the revision,
// so an op goes through it when it offers a method; otherwise it is sent after a flush and the
// engine reloads to pick up the new revision.
import { api } from "./api.js";

function engineRevision(engine, fallback) {
  const r = typeof engine.revision === "function" ? engine.revision() : engine.revision;
  return r ?? fallback;
}

/** Send one flow op; returns the new revision (or null when unknown). */
export async function flowOp(engine, flowId, op, { method, args = [], revision, clientId } = {}) {
  if (method && typeof engine[method] === "function") return (await engine[method](...args)) ?? null;
  await engine.flush();
  const data = await api(`/flows/${flowId}`, {
    method: "PATCH", body: { ops: [op] },
    headers: { "If-Match": String(engineRevision(engine, revision)), "X-Ringflow-Client": clientId },
  });
  if (typeof engine.reload === "function") await engine.reload();
  return data?.revision ?? null;
}

export function renameFlow(engine, flowId, name, revision, clientId) {
  return flowOp(engine, flowId, { op: "rename", name }, { method: "rename", args: [name], revision, clientId });
}

export function setStartNode(engine, flowId, index, nodeId, revision, clientId) {
  return flowOp(engine, flowId, { op: "set_start", id: nodeId }, { method: "setStart", args: [index], revision, clientId });
}
