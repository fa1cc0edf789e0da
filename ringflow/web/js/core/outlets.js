/** A node's outlet names, mirroring ringflow/model/catalogue.py outlets_for: menus add one
 * outlet per digit and splits one per case, before the type's fixed outlets. Edge outlet
 * positions in the skeleton index this list. */

export function outletsFor(typeInfo, config) {
  if (!typeInfo) return [];
  const fixed = typeInfo.outlets || [];
  const c = config && typeof config === "object" ? config : {};
  let extra = [];
  if (typeInfo.name === "menu" && Array.isArray(c.digits)) extra = c.digits.filter((d) => typeof d === "string");
  else if (typeInfo.name === "split" && Array.isArray(c.cases)) extra = c.cases.map((k) => k && k.name).filter((n) => typeof n === "string" && n);
  return [...new Set(extra), ...fixed];
}

/** Where outlet captions go on a card `width` px wide (ports spread evenly along its bottom
 * edge): one row while neighbouring captions fit between their ports, else every other
 * caption moves under its port (below the card), so each has two port gaps of room; `maxWidth` then caps a caption
 * (ellipsis; the port's aria-label and title keep the whole name). `charPx`: average glyph width. */
export function captionLayout(names, width, charPx = 5, padPx = 0) {
  const gap = width / (names.length + 1);
  const est = names.map((n) => String(n).length * charPx + padPx);
  let crowded = false;
  for (let k = 1; k < est.length; k++) if ((est[k - 1] + est[k]) / 2 + 8 > gap) { crowded = true; break; }
  return crowded ? { rows: names.map((_, k) => k % 2), maxWidth: Math.max(12, Math.floor(2 * gap - 6)) } : { rows: names.map(() => 0), maxWidth: null };
}
