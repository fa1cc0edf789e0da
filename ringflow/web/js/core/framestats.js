/** Frame statistics (fps, p95 frame time) from requestAnimationFrame intervals, the same way
 * the benchmark measures, and the step-down rule: p95 over budget for `holdMs` -> one mode down. */

export class FrameStats {
  constructor(size = 120) {
    this.buf = new Float64Array(size); this.n = 0; this.i = 0; this.last = -1; this.lastAt = -Infinity;
    this.times = new Float64Array(256).fill(-Infinity); this.ti = 0; // when the last frames were drawn (rate)
  }

  /** Record a frame at time `t` (ms). Gaps over 250 ms are idle time, not frames. */
  tick(t) {
    if (this.last >= 0) {
      const d = t - this.last;
      if (d > 0 && d < 250) { this.buf[this.i] = d; this.i = (this.i + 1) % this.buf.length; this.n = Math.min(this.n + 1, this.buf.length); }
    }
    this.last = t; this.lastAt = t;
    this.times[this.ti] = t; this.ti = (this.ti + 1) & 255;
  }

  /** Frames drawn in the second before `now`: what the monitor shows. An editor that draws one
   * frame per input event (the clock sleeps between them) has no steady interval, yet it draws. */
  rate(now) {
    let n = 0;
    for (let k = 0; k < 256; k++) if (now - this.times[k] <= 1000) n++;
    return n;
  }

  /** True when no frame was drawn for `ms` before `now`: an idle editor draws nothing, and its
   * fps is not 0, nor the last busy second's figure. */
  idleAt(now, ms = 1000) { return now - this.lastAt > ms; }

  idle() { this.last = -1; }

  fps() {
    if (!this.n) return 0;
    let s = 0;
    for (let k = 0; k < this.n; k++) s += this.buf[k];
    return Math.round((this.n * 1000 / s) * 10) / 10;
  }

  p95() {
    if (!this.n) return 0;
    const a = Array.from(this.buf.subarray(0, this.n)).sort((x, y) => x - y);
    return Math.round(a[Math.max(0, Math.ceil(this.n * 0.95) - 1)] * 10) / 10;
  }
}

export class StepDownRule {
  constructor(budgetMs = 20, holdMs = 1500, minFrames = 30) { this.budget = budgetMs; this.hold = holdMs; this.minFrames = minFrames; this.since = -1; }

  /** Feed the current p95 at time t; returns true once when it has been over budget for holdMs. */
  observe(t, p95, frames) {
    if (frames < this.minFrames || p95 <= this.budget) { this.since = -1; return false; }
    if (this.since < 0) { this.since = t; return false; }
    if (t - this.since >= this.hold) { this.since = -1; return true; }
    return false;
  }

  reset() { this.since = -1; }
}
