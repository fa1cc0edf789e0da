/** Camera glides: Fit, jumps to a node and the zoom buttons ease from the current view to the
 * target over --dur-camera, one step per frame of the one clock (no timer of its own). A user's
 * own pan or zoom cancels a glide at once; modes without glides (and reduced motion) jump. */

import { easeOut, cameraBetween, CAMERA_MS } from "../core/motion.js";

export function createCameraMotion({ get, set, size, invalidate, ms = CAMERA_MS }) {
  let from = null, to = null, t0 = -1, frames = 0;
  return {
    /** Start a glide to `target`; the first step is taken on the next frame. */
    glide(target) { from = get(); to = target; t0 = -1; frames = 0; invalidate(); },
    /** Advance to frame time t; true while still moving (the engine then asks for another frame). */
    step(t) {
      if (!to) return false;
      if (t0 < 0) t0 = t - 1000 / 60; // the first frame already moves: no frame is spent standing still
      const p = Math.min(1, (t - t0) / ms), [W, H] = size();
      frames++;
      set(cameraBetween(from, to, easeOut(p), W, H));
      if (p >= 1) { from = to = null; return false; }
      return true;
    },
    cancel() { from = to = null; },
    moving: () => to !== null,
    /** Where a running glide is heading (null when still). */
    target: () => to,
    frames: () => frames,
  };
}
