/** The monitoring overlay: fps, p95 frame time, JS heap, nodes total / drawn / in DOM, mode,
 * last API latency, event-stream status. Refreshed twice a second only while shown. */

const ROWS = [["fps", "fps"], ["p95", "p95 frame (ms)"], ["heapMB", "JS heap (MB)"], ["nodes", "nodes total"],
  ["drawn", "nodes drawn"], ["inDom", "DOM elements"], ["mode", "mode"], ["lod", "detail"], ["calls", "calls now"], ["animMs", "animation (ms/frame)"],
  ["apiMs", "last API (ms)"], ["stream", "event stream"]];

export function createOverlay(root, metrics) {
  const doc = root.ownerDocument;
  root.classList.add("rf-overlay");
  root.hidden = true;
  root.setAttribute("role", "status");
  root.setAttribute("aria-label", "Performance monitor");
  const table = doc.createElement("table"), cells = {};
  for (const [k, name] of ROWS) {
    const tr = doc.createElement("tr"), a = doc.createElement("td"), b = doc.createElement("td");
    a.textContent = name; b.dataset.metric = k; cells[k] = b; tr.append(a, b); table.appendChild(tr);
  }
  const why = doc.createElement("p"); // why this mode: the threshold crossed, or who forced it
  why.className = "rf-overlay-why"; why.dataset.metric = "why";
  root.replaceChildren(table, why);
  const button = doc.createElement("button");
  button.type = "button"; button.className = "rf-overlay-toggle"; button.textContent = "Perf (P)";
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", () => toggle());
  root.parentElement && root.parentElement.appendChild(button);
  let timer = 0;

  function refresh() {
    const m = metrics();
    for (const [k] of ROWS) cells[k].textContent = m[k] === null || m[k] === undefined ? "–" : String(m[k]);
    if (m.idle) { cells.fps.textContent = "idle"; cells.p95.textContent = "–"; } // nothing drawn lately: no stale fps, no "0"
    why.textContent = m.why ? `Mode: ${m.why}` : "";
  }

  function toggle(force) {
    const show = force === undefined ? root.hidden : !!force;
    root.hidden = !show;
    button.setAttribute("aria-pressed", String(show));
    clearInterval(timer);
    if (show) { refresh(); timer = setInterval(refresh, 500); }
    return show;
  }

  return { toggle, refresh, button, destroy() { clearInterval(timer); button.remove(); root.replaceChildren(); } };
}

/** A short message at the bottom of the editor (mode step-down, conflicts). */
export function toast(parent, text, ms = 3500) {
  const el = parent.ownerDocument.createElement("div");
  el.className = "rf-toast"; el.setAttribute("role", "status"); el.textContent = text;
  parent.appendChild(el);
  setTimeout(() => el.remove(), ms);
  return el;
}
