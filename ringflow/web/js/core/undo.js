/** Undo stack of change sets. Each entry is what was applied; undo hands back its inverse to
 * apply, redo the entry again. Consecutive pushes within one gesture merge into one entry. */

import { invert, merge, isEmpty } from "./changes.js";

export class UndoStack {
  constructor(limit = 200) { this.limit = limit; this.done = []; this.undone = []; this.open = false; }

  /** Record an applied change set. `group: true` merges into the previous entry (same gesture). */
  push(cs, { group = false } = {}) {
    if (isEmpty(cs)) return;
    if (group && this.open && this.done.length) this.done[this.done.length - 1] = merge(this.done[this.done.length - 1], cs);
    else this.done.push(cs);
    this.open = group;
    this.undone.length = 0;
    if (this.done.length > this.limit) this.done.shift();
  }

  /** Close the current group: the next push starts a new entry. */
  seal() { this.open = false; }

  canUndo() { return this.done.length > 0; }
  canRedo() { return this.undone.length > 0; }

  /** @returns the change set to apply to undo, or null */
  undo() {
    const cs = this.done.pop();
    if (!cs) return null;
    this.undone.push(cs); this.open = false;
    return invert(cs);
  }

  /** @returns the change set to apply to redo, or null */
  redo() {
    const cs = this.undone.pop();
    if (!cs) return null;
    this.done.push(cs); this.open = false;
    return cs;
  }

  clear() { this.done.length = 0; this.undone.length = 0; this.open = false; }
}
