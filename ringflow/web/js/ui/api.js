// The browser's client for /api/v1: one place that turns HTTP answers into values or ApiError,
// so every panel shows the server's own message instead of a generic failure.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const BASE = "/api/v1";

/**
 * Call the API. Options: method, body (JSON-encoded), headers, raw (return the Response).
 * Throws ApiError for any non-2xx answer, with the {"error": {...}} body when there is one.
 */
export function api(path, { method = "GET", body, headers = {}, raw = false, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  return answer(fetch(BASE + path, init), { raw });
}

/** The value of a response (or a request already sent, e.g. by boot.js), or an ApiError. */
export async function answer(request, { raw = false } = {}) {
  let res;
  try {
    res = await request;
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and try again.", null);
  }
  if (raw && res.ok) return res;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const e = (data && data.error) || (data && data.detail && { message: String(data.detail) }) || {};
    const message = e.message || `${res.status} ${res.statusText || "error"}`;
    throw new ApiError(res.status, e.code || `http_${res.status}`, message, e.details ?? null);
  }
  return data;
}

/** Encode query parameters, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : "";
}
