/** Performance modes: chosen from the node count and the server's thresholds, or forced.
 * Each mode is a bundle of features the renderer reads; stepping down trades looks for frames. */

export const MODES = ["beauty", "balanced", "high-performance", "enterprise"];

export function chooseMode(nodeCount, config = {}, forced = "auto") {
  if (forced && forced !== "auto") {
    if (!MODES.includes(forced)) throw new Error(`unknown mode ${forced}`);
    return forced;
  }
  const animated = config.RINGFLOW_MAX_ANIMATED_NODES ?? 1000;
  const virt = config.RINGFLOW_VIRTUALIZATION_THRESHOLD ?? 5000;
  const ent = config.RINGFLOW_ENTERPRISE_THRESHOLD ?? 10000;
  if (nodeCount >= ent) return "enterprise";
  if (nodeCount >= virt) return "high-performance";
  if (nodeCount < animated) return "beauty";
  return "balanced";
}

/** The next cheaper mode, or the same when already cheapest. */
export function stepDown(mode) {
  const i = MODES.indexOf(mode);
  return MODES[Math.min(MODES.length - 1, i + 1)] || mode;
}

/** What each mode draws. */
export function features(mode) {
  switch (mode) {
    case "beauty": return { gradients: true, shadows: true, pulses: true, animate: true, batchEvents: false };
    case "balanced": return { gradients: true, shadows: false, pulses: true, animate: true, batchEvents: false };
    case "high-performance": return { gradients: false, shadows: false, pulses: false, animate: false, batchEvents: false };
    default: return { gradients: false, shadows: false, pulses: false, animate: false, batchEvents: true };
  }
}
