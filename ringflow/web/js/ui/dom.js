// Tiny DOM helpers. Every piece of user text goes through textContent, never innerHTML,
// so a label like "<img onerror=...>" stays inert text (CSP forbids inline code anyway).

/**
 * Create an element: h("button", {class: "btn", onclick: fn, "aria-label": "x"}, "text", child)
 * Attributes whose value is null/undefined/false are skipped; on* keys become listeners.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value") {
      el.value = value;
    } else if (key === "checked") {
      el.checked = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace all children of el. */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** A short inline SVG icon from a fixed set (no user data ever reaches it). */
const ICON_PATHS = {
  voice: "M3 9v6h4l5 4V5L7 9H3zm13.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z",
  input: "M4 4h4v4H4zm6 0h4v4h-4zm6 0h4v4h-4zM4 10h4v4H4zm6 0h4v4h-4zm6 0h4v4h-4zM10 16h4v4h-4z",
  logic: "M6 3v6.5a3.5 3.5 0 0 0 3.5 3.5H14v-3l5 4.5-5 4.5v-3H9.5A6.5 6.5 0 0 1 3 9.5V3z",
  integration: "M8 7 3 12l5 5 1.4-1.4L5.8 12l3.6-3.6zm8 0-1.4 1.4 3.6 3.6-3.6 3.6L16 17l5-5z",
  connect: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.6 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.6 3.6a1 1 0 0 1-.25 1z",
  // the same shapes as the cards' badges: an error is a round "!", a warning a triangular one
  error: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-2h2zm0-4h-2V7h2z",
  warning: "M12 2 1 21h22zm1 15h-2v-2h2zm0-4h-2V9h2z",
  ok: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  close: "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z",
  node: "M4 5h16v14H4z",
  // one per node type (the catalogue names them: /node-types "icon")
  speech: "M4 4h16v11H9l-5 4z",
  play: "M8 5v14l11-7z",
  pause: "M6 5h4v14H6zm8 0h4v14h-4z",
  hangup: "M2 13.5C7 8.8 17 8.8 22 13.5l-2.6 3-3.4-1.8v-2.6a10.5 10.5 0 0 0-8 0v2.6L4.6 16.5z",
  keypad: "M4 4h4v4H4zm6 0h4v4h-4zm6 0h4v4h-4zM4 10h4v4H4zm6 0h4v4h-4zm6 0h4v4h-4zM10 16h4v4h-4z",
  menu: "M4 5h2v2H4zm4 0h12v2H8zM4 11h2v2H4zm4 0h12v2H8zM4 17h2v2H4zm4 0h12v2H8z",
  record: "M12 5a7 7 0 1 0 0 14 7 7 0 0 0 0-14z",
  fork: "M11 3h2v7.2l5 5V20h-2v-4l-4-4-4 4v4H6v-4.8l5-5z",
  variables: "M5 5h4v2H7v10h2v2H5zm14 0h-4v2h2v10h-2v2h4zM10 9h4v2h-4zm0 4h4v2h-4z",
  code: "M8 7 3 12l5 5 1.4-1.4L5.8 12l3.6-3.6zm8 0-1.4 1.4 3.6 3.6-3.6 3.6L16 17l5-5z",
  phone: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.6 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.6 3.6a1 1 0 0 1-.25 1z",
  queue: "M7 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm10 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM1 19c0-3 3-5 6-5s6 2 6 5zm12.5 0c0-1.7-.6-3.1-1.6-4.2A8 8 0 0 1 17 14c3 0 6 2 6 5z",
  clock: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3v6.2l5 3 1-1.7-4-2.4V7z",
  subflow: "M3 3h12v4h-2V5H5v8h2v2H3zm6 6h12v12H9zm2 2v8h8v-8z",
  function: "M14 3h4v2h-4a1 1 0 0 0-1 1v4h3v2h-3v6a3 3 0 0 1-3 3H6v-2h4a1 1 0 0 0 1-1v-6H8v-2h3V6a3 3 0 0 1 3-3z",
  card: "M2 5h20v5H2zm0 7h20v7H2z",
  redirect: "M4 11h12.2l-4.6-4.6L13 5l7 7-7 7-1.4-1.4 4.6-4.6H4z",
  message: "M3 4h18v12H7l-4 4zM7 8v2h10V8zm0 4v2h7v-2z",
  reply: "M20 3H4v12h4v5l6-5h6zM9 8h6V6l4 3-4 3v-2H9z",
  outcall: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.6 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.6 3.6a1 1 0 0 1-.25 1zM15 2h7v7h-2V5.4l-4.3 4.3-1.4-1.4L18.6 4H15z",
  unknown: "M4 4h16v16H4zm2 2v12h12V6zm5 8h2v2h-2zm1-6c1.7 0 3 1 3 2.6 0 1.3-.8 1.8-1.5 2.3-.4.3-.5.5-.5 1.1h-2c0-1.3.5-1.9 1.2-2.4.5-.4.8-.6.8-1 0-.5-.4-.8-1-.8s-1 .4-1.1 1H9c.1-1.7 1.3-2.8 3-2.8z",
};

export function icon(name, label = "") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name in ICON_PATHS ? name : "node"}`);
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICON_PATHS[name] || ICON_PATHS.node);
  svg.appendChild(path);
  return svg;
}

/** Debounce for search boxes and validation after edits. */
export function debounce(fn, ms) {
  let t = 0;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(t);
  return wrapped;
}
