/** Dev page: the engine on a synthetic flow, no server (?n=50000&mode=beauty&live=1).
 * For headless checks and screenshots of every mode before/without the real editor page. */

import { createEditorEngine } from "./engine.js";
import { syntheticState } from "./loader.js";

const TYPES = [["say", "Say", "#2f80ed", ["next"]], ["play", "Play", "#2d9cdb", ["next"]], ["pause", "Pause", "#828282", ["next"]],
  ["gather", "Gather", "#9b51e0", ["keypress", "speech", "timeout"]], ["menu", "Menu", "#bb6bd9", ["invalid", "timeout"]],
  ["split", "Split", "#f2994a", ["no_match"]], ["set", "Set variables", "#f2c94c", ["next"]], ["http", "HTTP request", "#27ae60", ["success", "failed"]],
  ["transfer", "Transfer", "#eb5757", ["completed", "busy", "no_answer", "failed"]], ["record", "Record", "#6fcf97", ["recorded", "no_audio", "hangup"]],
  ["enqueue", "Enqueue", "#56ccf2", ["completed", "failed"]], ["business_hours", "Business hours", "#219653", ["open", "closed"]], ["hangup", "Hang up", "#333333", []]]
  .map(([name, title, color, outlets], code) => ({ name, title, color, outlets, code }));

const q = new URLSearchParams(location.search);
const n = Number(q.get("n") || 2000);
const state = syntheticState(n, TYPES.length);
const WORDS = ["Welcome", "Hours", "Main menu", "Agents", "Queue", "Account number", "Look up account", "VIP?", "Mark VIP", "Greeting", "Balance", "Sorry", "Voicemail", "Record", "Thanks", "Closed", "Hold", "Busy", "Hang up", "Retry"];
const engine = await createEditorEngine({
  canvas: document.getElementById("canvas"), domLayer: document.getElementById("cards"), overlayRoot: document.getElementById("overlay"),
  minimap: document.getElementById("minimap"), flowId: 0, api: null, state, nodeTypes: TYPES, mode: q.get("mode") || "auto",
  config: { RINGFLOW_MAX_ANIMATED_NODES: 1000, RINGFLOW_VIRTUALIZATION_THRESHOLD: 5000, RINGFLOW_ENTERPRISE_THRESHOLD: 10000, RINGFLOW_MAX_VIEWPORT_NODES: 100, RINGFLOW_ANIMATION_FRAME_RATE: 30 },
  fakeDetails: (key) => ({ id: `n${key}`, label: `${WORDS[(key - 1) % 20]} ${Math.ceil(key / 20)}`, config: {} }),
});
if (q.get("live")) { const c = {}; for (let k = 1; k <= Math.min(n, 400); k += 7) c[k] = 1 + (k % 5); engine.setLive(c); }
if (q.get("overlay")) engine.toggleOverlay(true);
if (q.get("zoom")) engine.setCamera({ ...engine.camera, zoom: Number(q.get("zoom")) });
if (q.get("fit")) engine.fitView();
document.getElementById("mode").value = engine.forcedMode();
document.getElementById("mode").addEventListener("change", (e) => engine.setMode(e.target.value));
document.getElementById("fit").addEventListener("click", () => engine.fitView());
