/** How tall a node's card is: it grows to fit what it says. A card has its type, its label and one
 * line per summary entry (core/summary.js: a Menu's prompt and its choices); an entry too long for
 * one line takes two. The height lives in the FlowState's typed array (`h`), so the grid index,
 * hit-testing, ports and edges all use it at every level of detail; it is found only when a card
 * is filled at the near level, from the text's length (no DOM measurement). Pure. */

export const MIN_HEIGHT = 72; // type, label and one summary line: the catalogue's NODE_HEIGHT
export const LINE_PX = 15; // a summary line (11.5 px text on a 15 px line)
export const SUMMARY_CHAR_PX = 6.2; // average glyph width of that text, a little generous
export const PAD_X = 24; // the card's padding left and right
export const MAX_LINES = 4;

/** Lines each summary entry takes on a card `width` wide: 1, or 2 when it would not fit on one. */
export function summaryLines(texts, width, charPx = SUMMARY_CHAR_PX) {
  const inner = Math.max(40, width - PAD_X);
  let left = MAX_LINES;
  return texts.map((t) => {
    const want = String(t).length * charPx > inner ? 2 : 1;
    const n = Math.min(want, left);
    left -= n;
    return n;
  });
}

/** The card's height for summary entries taking `lines` lines each (at least MIN_HEIGHT). */
export function cardHeight(lines) {
  const total = lines.reduce((a, n) => a + n, 0);
  return Math.max(MIN_HEIGHT, MIN_HEIGHT + LINE_PX * (total - 1));
}
