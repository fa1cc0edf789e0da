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
