import { captionLayout } from "../core/outlets.js";
import { summaryLines, cardHeight, LINE_PX } from "../core/cardsize.js";

const CAPTION_CHAR_PX = 6.6; // outlet names: 11 px type (readable at 100 %), about this wide per glyph
const CAPTION_PAD_PX = 6; // and their chip's padding

/** Near zoom: real DOM node cards for the few visible nodes, from a reused pool. Cards carry
 * roles, labels and focus (keyboard and screen readers) and outlet ports the UI drags from.
 * Elements are created only when the pool grows; per frame only transforms and classes change. */

export class CardLayer {
  constructor(root, { max = 150, typeOf, onCreate, summarize = null, onHeight = null } = {}) {
    this.root = root; this.max = max; this.typeOf = typeOf; this.onCreate = onCreate;
    this.summarize = summarize; // (nodeInfo) => what the node does, one entry a line ("\n" between), from the UI's core/summary.js; or null
    this.onHeight = onHeight; // (index, height): the card needs this height to fit its summary (core/cardsize.js)
    this.pool = []; this.byIndex = new Map(); this.inDom = 0;
  }

  _make() {
    const doc = this.root.ownerDocument;
    const el = doc.createElement("div");
    el.className = "rf-card"; el.setAttribute("role", "group"); el.tabIndex = 0; // a group: it holds the port buttons
    const title = doc.createElement("div"); title.className = "rf-card-title";
    const dot = doc.createElement("span"); dot.className = "rf-type-dot"; dot.setAttribute("aria-hidden", "true");
    const type = doc.createElement("span"); type.className = "rf-type";
    title.append(dot, type);
    const label = doc.createElement("div"); label.className = "rf-card-label";
    const summary = doc.createElement("div"); summary.className = "rf-card-summary";
    const ports = doc.createElement("div"); ports.className = "rf-ports";
    el.append(title, label, summary, ports);
    el.style.display = "none";
    this.root.appendChild(el);
    this.inDom += 1 + 5; // and a line or two of summary when filled
    const card = { el, type, label, summary, ports, index: -1, sig: "", cls: "", tx: "" };
    this.onCreate && this.onCreate(card);
    return card;
  }

  /** Show cards for vis[0..k) (k <= max); reuse the card a node already had. */
  update(vis, k, { state, cam, info, classes, links = null }) {
    const keep = new Map();
    const free = [];
    const want = new Set();
    for (let t = 0; t < k; t++) want.add(vis[t]);
    for (const [i, card] of this.byIndex) { if (want.has(i)) keep.set(i, card); else free.push(card); }
    for (const c of this.pool) if (c.index === -1) free.push(c);
    for (let t = 0; t < k && t < this.max; t++) {
      const i = vis[t];
      let card = keep.get(i);
      if (!card) {
        card = free.pop() || (this.pool.length < this.max ? (this.pool.push(this._make()), this.pool[this.pool.length - 1]) : null);
        if (!card) break;
        card.index = i; card.sig = ""; card.to = ""; card.portSig = ""; keep.set(i, card);
        card.el.dataset.index = String(i);
        card.el.style.display = "";
      }
      this._fill(card, i, state, info, classes, links);
      const tx = `translate(${((state.x[i] - cam.x) * cam.zoom).toFixed(1)}px,${((state.y[i] - cam.y) * cam.zoom).toFixed(1)}px) scale(${cam.zoom})`;
      if (tx !== card.tx) { card.el.style.transform = tx; card.tx = tx; }
    }
    for (const card of free) {
      if (keep.get(card.index) === card) continue;
      if (card.index !== -1) { card.index = -1; card.el.style.display = "none"; card.tx = ""; delete card.el.dataset.index; }
    }
    this.byIndex = keep;
  }

  /** Content changes only when the node's details change (signature check). */
  _fill(card, i, state, info, classes, links) {
    const n = info(i);
    const to = links ? links(i) : null; // the target's name per outlet, for the ports' names
    const said = this.summarize && n.config ? this.summarize(n) : "";
    const sigFor = (h) => `${n.typeName}|${n.label}|${n.problem}|${n.start}|${n.outlets.join(",")}|${state.w[i]}x${h}|${to ? to.join("\u0001") : card.to || ""}|${said}`;
    const sig = sigFor(state.h[i]);
    if (to) card.to = to.join("\u0001");
    if (sig !== card.sig) {
      card.sig = sig;
      const el = card.el;
      el.style.width = `${state.w[i]}px`; el.style.height = `${state.h[i]}px`;
      el.style.setProperty("--rf-color", n.color);
      card.type.textContent = n.typeTitle;
      card.label.textContent = n.label || (n.config ? n.typeTitle : "…");
      const entries = said ? said.split("\n") : [], lines = summaryLines(entries, state.w[i]);
      card.summary.textContent = "";
      entries.forEach((text, k) => {
        if (!lines[k]) return;
        const line = el.ownerDocument.createElement("div");
        line.className = "rf-card-line"; line.textContent = text; line.title = text;
        line.style.webkitLineClamp = String(lines[k]); line.style.maxHeight = `${lines[k] * LINE_PX}px`;
        card.summary.appendChild(line);
      });
      const spoken = entries.join(" · ");
      const want = cardHeight(lines);
      if (this.onHeight && this.summarize && n.config && want !== state.h[i]) { // the next frame draws edges and ports at its new height
        this.onHeight(i, want);
        el.style.height = `${want}px`; card.sig = sigFor(want); // filled for that height already: no second fill
      }
      el.setAttribute("aria-label", `${n.typeTitle}: ${n.label || (n.config ? "unlabelled" : "loading")}${spoken ? `, ${spoken}` : ""}${n.start ? ", the start of the call" : ""}${n.problem ? ` (has ${n.problem === "error" ? "an error" : "a warning"})` : ""}`);
      el.setAttribute("aria-roledescription", "node");
      const ports = card.ports, doc = el.ownerDocument;
      const portSig = `${n.outlets.join(",")}|${state.w[i]}`;
      if (portSig !== card.portSig) { // new outlets: new buttons (a focused port keeps focus by its outlet's name)
        card.portSig = portSig;
        const had = ports.contains(doc.activeElement) ? doc.activeElement.dataset.outlet : null;
        ports.textContent = "";
        const layout = captionLayout(n.outlets, state.w[i], CAPTION_CHAR_PX, CAPTION_PAD_PX);
        ports.classList.toggle("rf-ports-crowded", layout.maxWidth !== null);
        n.outlets.forEach((name, k) => {
          const b = doc.createElement("button");
          b.className = layout.rows[k] ? "rf-port rf-port-below" : "rf-port"; b.type = "button"; b.dataset.outlet = name; b.dataset.port = String(k);
          b.tabIndex = 0; // every port is a tab stop: keyboard users connect from it
          b.style.left = `${((k + 1) * 100) / (n.outlets.length + 1)}%`;
          const cap = doc.createElement("span"); cap.className = "rf-port-name"; cap.textContent = name;
          if (layout.maxWidth !== null) cap.style.maxWidth = `${layout.maxWidth}px`;
          b.appendChild(cap);
          ports.appendChild(b);
          if (name === had) b.focus({ preventScroll: true });
        });
      }
      // its name says where it leads; changed in place, so focus stays on it
      n.outlets.forEach((name, k) => {
        const b = ports.children[k], target = to ? to[k] : undefined;
        if (!b) return;
        b.setAttribute("aria-label", target ? `outlet ${name}, connected to ${target}` : to ? `outlet ${name}, not connected` : `outlet ${name}`);
        b.title = name;
      });
    }
    const cls = `rf-card rf-t-${n.typeName}${classes(i)}`;
    if (cls !== card.cls) { card.el.className = cls; card.cls = cls; }
  }

  clear() {
    for (const card of this.pool) if (card.index !== -1) { card.index = -1; card.el.style.display = "none"; card.tx = ""; }
    this.byIndex.clear();
  }

  cardOf(index) { return this.byIndex.get(index) || null; }

  domCount() { return this.root.getElementsByTagName("*").length; }
}
