// The SAGE API as the extension uses it: the public /api/v1 only, authenticated by the token the
// connect flow gave (a Bearer header; never a URL, never a cookie: `credentials: "omit"`, so the
// site's own session never stands in for the token). Every failure becomes an ApiError a person can
// be told about (see errors.js).

import { CONNECTION, SITE_ORIGIN } from "./keys.js";

export class ApiError extends Error {
  constructor({ status = 0, code = "", message = "", retryAfter = null, unreachable = false, buyUrl = "" }) {
    super(message || code || `HTTP ${status}`);
    this.buyUrl = buyUrl; // a 402's link to the payment of the pack that covers what is missing
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After
    this.unreachable = unreachable; // no answer at all: network down, site down, wrong address
  }
}

export async function siteOrigin() {
  return (await chrome.storage.local.get(SITE_ORIGIN))[SITE_ORIGIN] || "";
}

export async function connection() {
  return (await chrome.storage.local.get(CONNECTION))[CONNECTION] || null;
}

function retryAfterSeconds(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

async function errorFrom(response) {
  let code = "";
  let message = "";
  let buyUrl = "";
  try {
    const body = await response.json();
    code = body?.error?.code || "";
    message = body?.error?.message || "";
    buyUrl = body?.error?.buy_url || "";
  } catch {
    // Not the house JSON (a proxy's page): the status says enough.
  }
  return new ApiError({ status: response.status, code, message, buyUrl, retryAfter: retryAfterSeconds(response) });
}

// `auth: false` for the connect exchange, which has no token yet.
export async function request(path, { method = "GET", body, accept = "application/json", auth = true, signal } = {}) {
  const origin = await siteOrigin();
  if (!origin) throw new ApiError({ code: "no_site", message: "Choose your SAGE site first." });
  const headers = { Accept: accept };
  if (auth) {
    const connected = await connection();
    if (!connected) throw new ApiError({ status: 401, code: "not_connected", message: "Connect to SAGE first." });
    headers.Authorization = `Bearer ${connected.token}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${origin}/api/v1/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError({ unreachable: true, message: `SAGE at ${origin} cannot be reached.` });
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function api(path, options = {}) {
  const response = await request(path, options);
  if (response.status === 204) return null;
  return response.json();
}

export function videoPath(youtubeId) {
  // A YouTube id is a video ref the notes endpoints take as they are.
  return `videos/${encodeURIComponent(youtubeId)}`;
}
