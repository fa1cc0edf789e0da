/** Why the editor draws in the mode it does, in words for the monitoring overlay: which threshold
 * the flow's size crossed, or who forced the mode, or that slow frames stepped it down. */

const fmt = (n) => Number(n).toLocaleString("en-US");

/** {mode, reason: "auto"|"forced"|"step-down", forced, nodes, config, fromEnv, p95} -> a sentence. */
export function explainMode({ mode, reason, forced = "auto", nodes = 0, config = {}, fromEnv = false, p95 = 0 }) {
  if (reason === "step-down") return `stepped down: p95 frame ${p95 ? `${p95} ms ` : ""}stayed over 20 ms for 1.5 s`;
  if (forced && forced !== "auto") return fromEnv ? "forced by RINGFLOW_PERFORMANCE_MODE" : "forced by the mode switch";
  const animated = config.RINGFLOW_MAX_ANIMATED_NODES ?? 1000;
  const virt = config.RINGFLOW_VIRTUALIZATION_THRESHOLD ?? 5000;
  const ent = config.RINGFLOW_ENTERPRISE_THRESHOLD ?? 10000;
  const n = `${fmt(nodes)} nodes`;
  switch (mode) {
    case "beauty": return `auto: ${n} < ${fmt(animated)} (RINGFLOW_MAX_ANIMATED_NODES)`;
    case "balanced": return `auto: ${n} ≥ ${fmt(animated)} (RINGFLOW_MAX_ANIMATED_NODES) and < ${fmt(virt)} (RINGFLOW_VIRTUALIZATION_THRESHOLD)`;
    case "high-performance": return `auto: ${n} ≥ ${fmt(virt)} (RINGFLOW_VIRTUALIZATION_THRESHOLD) and < ${fmt(ent)} (RINGFLOW_ENTERPRISE_THRESHOLD)`;
    default: return `auto: ${n} ≥ ${fmt(ent)} (RINGFLOW_ENTERPRISE_THRESHOLD)`;
  }
}
