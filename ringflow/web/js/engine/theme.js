/** The canvas's colours come from the design tokens (css/tokens.css), not from constants: a probe
 * element resolves each token (light-dark() included) to rgb, and the engine re-reads them when
 * the theme switches (system setting, or <html data-theme>). Pages without the tokens (the dev
 * page) keep the light defaults. */

const TOKENS = { bg: ["--canvas", "#eef1f6"], dot: ["--canvas-dot", "#d3d9e3"], edge: ["--edge", "#98a2b3"], edgeFar: ["--edge-far", "#c3c9d3"],
  card: ["--card", "#ffffff"], cardBorder: ["--card-border", "#d5dbe5"], text: ["--text", "#172031"], selection: ["--selection", "#2f5fe0"],
  live: ["--live", "#10a35a"], liveInk: ["--live-ink", "#ffffff"], accent: ["--accent", "#2f5fe0"] };

/** "rgb(1, 2, 3)" / "rgba(...)" -> "#010203" (the renderer packs hex into pixels). */
export function rgbToHex(s) {
  const m = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(s || "");
  if (!m) return null;
  return "#" + [m[1], m[2], m[3]].map((v) => Math.round(Number(v)).toString(16).padStart(2, "0")).join("");
}

/** A type's colour as the canvas draws it: on a dark theme a colour darker than `floor` (luma,
 * 0-255) is mixed toward white up to it, hue kept, so Hang up's #333 still shows on a dark card.
 * The cards' CSS does the same with oklch (css/editor.css --rf-tone). */
export function toneFor(hex, dark, floor = 110) {
  const v = parseInt(String(hex).slice(1), 16);
  if (!dark || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
  const rgb = [v >> 16, (v >> 8) & 255, v & 255], luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  if (luma >= floor) return hex;
  const f = (floor - luma) / (255 - luma);
  return "#" + rgb.map((c) => Math.round(c + (255 - c) * f).toString(16).padStart(2, "0")).join("");
}

export function readTheme(doc) {
  const probe = doc.createElement("span");
  probe.style.display = "none";
  (doc.body || doc.documentElement).appendChild(probe);
  const out = { dark: false };
  const view = doc.defaultView;
  for (const [k, [name, fallback]] of Object.entries(TOKENS)) {
    probe.style.color = "";
    probe.style.color = `var(${name}, ${fallback})`;
    out[k] = rgbToHex(view.getComputedStyle(probe).color) || fallback;
  }
  probe.remove();
  const lum = (h) => { const v = parseInt(h.slice(1), 16); return 0.2126 * (v >> 16) + 0.7152 * ((v >> 8) & 255) + 0.0722 * (v & 255); };
  out.dark = lum(out.bg) < 96;
  return out;
}

/** Call fn whenever the theme may have changed (system setting or the data-theme attribute). */
export function watchTheme(doc, fn) {
  const view = doc.defaultView, mq = view.matchMedia ? view.matchMedia("(prefers-color-scheme: dark)") : null;
  const mo = new view.MutationObserver(() => fn());
  mo.observe(doc.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  if (mq) mq.addEventListener("change", fn);
  return () => { mo.disconnect(); if (mq) mq.removeEventListener("change", fn); };
}

/** Reduced motion as the user set it; fn runs when it changes. */
export function watchReducedMotion(view, fn) {
  const mq = view.matchMedia ? view.matchMedia("(prefers-reduced-motion: reduce)") : null;
  if (mq) mq.addEventListener("change", () => fn(mq.matches));
  return mq ? mq.matches : false;
}
