// Toasts: short, polite status messages in one aria-live region (screen readers hear them too).
import { h, icon } from "./dom.js";

let region = null;

function ensureRegion() {
  if (region && document.body.contains(region)) return region;
  region = document.getElementById("toasts");
  if (!region) {
    region = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(region);
  }
  return region;
}

/** Show a message; kind is "info" | "ok" | "error" | "warning". Errors stay until dismissed. */
export function toast(message, kind = "info", { timeout } = {}) {
  const r = ensureRegion();
  const ms = timeout ?? (kind === "error" ? 0 : 4000);
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, icon("close"));
  const symbol = kind === "error" ? "error" : kind === "warning" ? "warning" : kind === "ok" ? "ok" : "warning";
  const el = h("div", { class: `toast toast-${kind}`, dataset: { kind } },
    icon(symbol), h("span", { class: "toast-text" }, message), close);
  close.addEventListener("click", () => el.remove());
  r.appendChild(el);
  while (r.children.length > 4) r.firstElementChild.remove();
  if (ms > 0) setTimeout(() => el.remove(), ms);
  return el;
}
