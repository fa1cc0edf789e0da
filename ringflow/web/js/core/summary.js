// What a node does, in one line for its card at the near level of detail: the catalogue's
// `summary` fields of its type (a Menu: prompt and choices), each rendered by its field kind.
// No per-type code: a new type gets a summary by naming fields in ringflow/model/catalogue.py.
// Pure: the clock (`now`, ms) is an argument, so "today's hours" is testable at any date.

const DAY_KEYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_NAMES = { sun: "Sunday", mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday" };
const MAX = 140;
const formats = new Map();

const clip = (s) => (s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s);
const oneLine = (v) => String(v ?? "").replace(/\s+/g, " ").trim();
const titleOf = (f) => f.title || (f.name.charAt(0).toUpperCase() + f.name.slice(1).replace(/_/g, " "));

/** "https://api.example.com/v1/lookup?x" → "api.example.com · lookup": the host, and the file when there is one. */
export function shortUrl(text) {
  const m = /^https?:\/\/([^/?#\s]+)([^?#\s]*)/i.exec(text);
  if (!m) return text;
  const file = m[2].split("/").filter(Boolean).pop();
  return file ? `${m[1]} · ${decodeURIComponent(file)}` : m[1];
}

/** Weekday key and "HH:MM" at `now` in time zone `tz` (UTC when the zone is unknown). */
export function localDay(now, tz) {
  let fmt = formats.get(tz);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz || "UTC", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch {
      fmt = null;
    }
    formats.set(tz, fmt);
  }
  if (!fmt) return localDay(now, "UTC");
  const parts = Object.fromEntries(fmt.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  return { day: parts.weekday.slice(0, 3).toLowerCase(), date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** Today's hours where the node is: "Sunday: closed" / "Monday 09:00–12:00, 13:00–17:00" / "Monday: closed, a holiday". */
export function todaysHours(schedule, config, now) {
  const tz = typeof config?.timezone === "string" && config.timezone ? config.timezone : "UTC";
  const { day, date } = localDay(now, tz);
  const name = DAY_NAMES[day] || day;
  if (Array.isArray(config?.holidays) && config.holidays.includes(date)) return `${name}: closed, a holiday`;
  const spans = Array.isArray(schedule?.[day]) ? schedule[day].filter((s) => Array.isArray(s) && s.length === 2) : [];
  return spans.length ? `${name} ${spans.map(([a, b]) => `${a}–${b}`).join(", ")}` : `${name}: closed`;
}

/** One field's value in words, by its kind; "" when there is nothing worth showing. */
export function fieldText(f, value, config, now) {
  if (value === undefined || value === null || value === "") return "";
  switch (f.kind) {
    case "string": case "template": return shortUrl(oneLine(value));
    case "enum": return oneLine(value);
    case "integer": case "number": return `${titleOf(f)}: ${value}`;
    case "boolean": return value ? titleOf(f) : "";
    case "string_list": return Array.isArray(value) && value.length ? `${titleOf(f)}: ${value.map(oneLine).join(" · ")}` : "";
    case "template_map": case "string_map":
      return value && typeof value === "object" ? Object.entries(value).map(([k, v]) => `${k} = ${oneLine(v)}`).join(", ") : "";
    case "cases":
      return Array.isArray(value) ? value.filter((c) => c && c.name).map((c) =>
        `${c.name}: ${String(c.op || "equals").replace(/_/g, " ")}${c.value !== undefined && c.value !== "" ? ` ${oneLine(c.value)}` : ""}`).join(" · ") : "";
    case "schedule": return todaysHours(value, config, now);
    default: return "";
  }
}

/**
 * The card's summary: [{field, text}] for the type's `summary` fields that have a value, the
 * config's value or the field's default. An enum right before another field prefixes it ("GET api.example.com").
 */
export function summarize(type, config, now) {
  if (!type || !Array.isArray(type.summary)) return [];
  const byName = new Map((type.fields || []).map((f) => [f.name, f]));
  const c = config && typeof config === "object" ? config : {};
  const out = [];
  let prefix = "";
  type.summary.forEach((name, k) => {
    const f = byName.get(name);
    if (!f) return;
    const text = fieldText(f, name in c ? c[name] : f.default, c, now);
    if (!text) return;
    if (f.kind === "enum" && k < type.summary.length - 1) { prefix = `${text} `; return; }
    out.push({ field: name, text: clip(prefix + text) });
    prefix = "";
  });
  if (prefix) out.push({ field: type.summary[type.summary.length - 1], text: prefix.trim() });
  return out;
}

/** Does this type's summary change with the clock (a schedule: "today")? Such cards refresh by the minute. */
export function dependsOnClock(type) {
  return Boolean(type?.fields?.some((f) => f.kind === "schedule" && type.summary?.includes(f.name)));
}
