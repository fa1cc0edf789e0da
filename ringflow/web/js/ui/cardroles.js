// A thin adapter over the engine's node cards for accessibility: a card holds outlet buttons,
// and a role="button" may not contain other controls (axe "nested-interactive"), so cards
// become focusable groups named by the engine's aria-label ("Say: Welcome").
// README "Requests from UI" 6 asks the engine to do this itself; then this becomes a no-op.

export function fixCardRoles(domLayer) {
  const fix = (el) => {
    if (el.classList?.contains("rf-card") && el.getAttribute("role") !== "group") el.setAttribute("role", "group");
  };
  for (const el of domLayer.querySelectorAll(".rf-card")) fix(el);
  const mo = new MutationObserver((records) => {
    for (const r of records) for (const el of r.addedNodes) fix(el);
  });
  mo.observe(domLayer, { childList: true });
  return () => mo.disconnect();
}
