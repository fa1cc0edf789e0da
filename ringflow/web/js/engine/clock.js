/** The one animation clock: a single requestAnimationFrame loop for the whole editor.
 * It sleeps when nothing is dirty and nothing animates (an idle editor draws nothing), and
 * throttles animation-only frames to RINGFLOW_ANIMATION_FRAME_RATE. */

export function createClock({ onFrame, fps = 30, raf = globalThis.requestAnimationFrame, now = () => performance.now() }) {
  let dirty = false, running = false, animating = false, lastAnim = -Infinity, stopped = false, handle = 0;
  const minGap = 1000 / Math.max(1, fps);
  const info = { animFrame: false, dirty: false }; // handed to every frame, refilled: a frame allocates nothing here

  function loop(t) {
    handle = 0;
    if (stopped) return;
    const animDue = animating && t - lastAnim >= minGap - 1;
    const work = onFrame.before ? onFrame.before(t) : false; // background slices (index build)
    if (dirty || animDue) {
      const wasDirty = dirty; // false: only the animation is due (the engine then redraws just its animated layer)
      dirty = false;
      if (animDue) lastAnim = t;
      info.animFrame = animDue; info.dirty = wasDirty;
      onFrame(t, info);
    }
    if (dirty || animating || work) handle = raf(loop);
    else { running = false; onFrame.idle && onFrame.idle(); }
  }

  function wake() {
    if (stopped || running) return;
    running = true; handle = raf(loop);
  }

  return {
    /** Something changed: draw on the next frame. */
    invalidate() { dirty = true; wake(); },
    /** Keep frames coming for animations (throttled), or let the loop sleep. */
    setAnimating(on) { animating = !!on; if (on) wake(); },
    /** Background work pending: keep the loop alive. */
    kick() { wake(); },
    isRunning: () => running,
    stop() { stopped = true; if (handle && globalThis.cancelAnimationFrame) cancelAnimationFrame(handle); },
    now,
  };
}
