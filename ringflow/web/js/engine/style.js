/** The engine's own base styles (cards, ports, overlay), injected once so the engine renders
 * correctly on any page. Colours are the design tokens (css/tokens.css) with light fallbacks. The
 * rules sit in a cascade layer: adopted sheets come after the page's own, and unlayered page rules
 * (css/editor.css: lifts, selection, glass by mode) must always win over these defaults. */

const CSS = `@layer rf-engine {
.rf-layer{position:absolute;inset:0;overflow:hidden;pointer-events:none}
.rf-card{position:absolute;left:0;top:0;box-sizing:border-box;transform-origin:0 0;pointer-events:auto;
  background:var(--card,#fff);border:1px solid var(--card-border,#d5dbe5);border-top:5px solid var(--rf-color,#888);border-radius:var(--radius-card,10px);
  font:13px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--text,#172031);padding:6px 10px 0;
  overflow:visible;cursor:grab;user-select:none;contain:layout style;will-change:transform}
.rf-card:focus-visible{outline:3px solid var(--focus,#1a4fd6);outline-offset:2px}
.rf-card-title{display:flex;gap:6px;align-items:center;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--card-title,#4a5568)}
.rf-type-dot{width:8px;height:8px;border-radius:50%;background:var(--rf-color,#888);flex:none}
.rf-card-label{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.rf-card-summary{font-size:11.5px;line-height:15px;color:#3f4756}
.rf-card-line{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:1;overflow:hidden;overflow-wrap:anywhere;white-space:normal}
.rf-ports{position:absolute;left:0;right:0;bottom:-7px;height:14px}
.rf-port{position:absolute;top:0;width:14px;height:14px;margin-left:-7px;padding:0;border-radius:50%;
  border:2px solid var(--card,#fff);background:var(--rf-color,#888);cursor:crosshair;font-size:0;pointer-events:auto}
.rf-port:focus-visible{outline:2px solid var(--focus,#1a4fd6)}
.rf-edge-hover,.rf-edge-hover canvas{cursor:pointer}
.rf-port-name{position:absolute;top:14px;transform:translateX(-50%);font-size:11px;line-height:14px;color:var(--muted,#3f4756);white-space:nowrap;
  pointer-events:none;padding:0 3px;border-radius:3px;background:var(--surface,rgba(244,246,250,.92))}
.rf-ports-crowded .rf-port-name{overflow:hidden;text-overflow:ellipsis}
.rf-ports-crowded .rf-port-below .rf-port-name{top:32px}
.rf-card.rf-start .rf-card-title::after{content:"Start";margin-left:auto;padding:0 6px;border-radius:999px;background:var(--ok,#1d7a46);color:var(--card,#fff);
  font-size:10px;letter-spacing:.04em;line-height:16px}
.rf-card.rf-problem-warning::after{content:"!";position:absolute;right:-8px;top:-12px;width:18px;height:18px;border-radius:3px;
  background:var(--warn-fill,#f0b429);color:#111;font:700 12px/18px system-ui;text-align:center}
.rf-card.rf-problem-error::after{content:"!";position:absolute;right:-8px;top:-12px;width:18px;height:18px;border-radius:50%;
  background:var(--danger,#b42318);color:#fff;font:700 12px/18px system-ui;text-align:center}
.rf-traffic-layer{position:absolute;inset:0;overflow:hidden;pointer-events:none}
.rf-calls{position:absolute;left:0;top:0;min-width:22px;height:22px;padding:0 7px;box-sizing:border-box;border-radius:999px;
  background:var(--live,#10a35a);color:var(--live-ink,#fff);font:700 12px/22px system-ui,sans-serif;text-align:center}
.rf-overlay{position:absolute;right:8px;top:8px;z-index:20;font:12px/1.45 ui-monospace,Menlo,monospace;color:#e8eaed;
  background:rgba(20,24,32,.86);border-radius:6px;padding:8px 10px;min-width:210px;pointer-events:auto}
.rf-overlay[hidden]{display:none}
.rf-overlay table{border-collapse:collapse}.rf-overlay td{padding:0 6px 0 0}.rf-overlay td+td{text-align:right}
.rf-overlay-toggle{position:absolute;right:8px;bottom:8px;z-index:20;font:12px system-ui;border-radius:4px;border:1px solid #aab;background:#fff;padding:3px 8px;pointer-events:auto}
.rf-toast{position:absolute;left:50%;bottom:16px;transform:translateX(-50%);z-index:21;background:#202124;color:#fff;
  font:13px system-ui;padding:8px 14px;border-radius:6px;pointer-events:none}
}`;

let sheet = null;

/** A constructable stylesheet: a CSP of default-src 'self' allows it (a <style> element is blocked).
 * Put first, so page stylesheets with equal specificity win. */
export function injectStyles(doc = document) {
  if (typeof CSSStyleSheet !== "undefined" && "adoptedStyleSheets" in doc) {
    if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
    if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [sheet, ...doc.adoptedStyleSheets];
    return;
  }
  if (doc.getElementById("rf-engine-style")) return;
  const el = doc.createElement("style");
  el.id = "rf-engine-style";
  el.textContent = CSS;
  doc.head.prepend(el);
}
