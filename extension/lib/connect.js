// Connecting without copying a token (docs/api.md, "Connecting the browser extension"): a secret
// `verifier` only this extension holds; the site's page is opened with its hash (`challenge`); the
// person approves there; the extension then exchanges the verifier for the token in a POST body.
// Nothing secret is ever in a URL or in a page another script can read.

import { ApiError, request } from "./api.js";
import { PENDING_CONNECT } from "./keys.js";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base32(bytes) {
  let bits = 0;
  let value = 0;
  let text = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1; // keep only the bits not yet written
  }
  if (bits > 0) text += BASE32[(value << (5 - bits)) & 31];
  return text;
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function challengeFor(verifier) {
  return base64url(await sha256(verifier));
}

export async function checkCode(challenge) {
  // What the site's connect page shows too: the person compares them before approving.
  const code = base32(await sha256(`sage-connect:${challenge}`)).slice(0, 8);
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export function browserName() {
  // "Chromium on Linux": how the token is named on the site (≤ 60 characters).
  const brands = navigator.userAgentData?.brands?.map((each) => each.brand) || [];
  const known = ["Google Chrome", "Microsoft Edge", "Brave", "Opera", "Vivaldi", "Chromium"];
  const brand = known.find((name) => brands.includes(name)) || "Chromium";
  const platform = navigator.userAgentData?.platform || "";
  return (platform ? `${brand} on ${platform}` : brand).slice(0, 60);
}

export async function beginConnect(origin) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = await challengeFor(verifier);
  const pending = { verifier, challenge, origin, startedAt: Date.now() };
  // Session storage: gone when the browser closes, and never readable by content scripts.
  await chrome.storage.session.set({ [PENDING_CONNECT]: pending });
  const url = new URL("/settings/connect", origin);
  url.searchParams.set("challenge", challenge);
  url.searchParams.set("browser", browserName());
  await chrome.tabs.create({ url: url.href });
  return pending;
}

export async function pendingConnect() {
  return (await chrome.storage.session.get(PENDING_CONNECT))[PENDING_CONNECT] || null;
}

export async function forgetPendingConnect() {
  await chrome.storage.session.remove(PENDING_CONNECT);
}

// One exchange: {status: "pending"} | {status: "approved", connection} | {status: "denied" | "unknown" | "used"}.
export async function redeem(verifier) {
  try {
    const response = await request("extension/connect", { method: "POST", body: { verifier }, auth: false });
    if (response.status === 202) return { status: "pending" };
    const granted = await response.json();
    return {
      status: "approved",
      connection: {
        token: granted.token,
        tokenId: granted.token_id,
        name: granted.name,
        scopes: granted.scopes,
        user: granted.user,
      },
    };
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.code === "connect_denied") return { status: "denied" };
      if (error.code === "connect_unknown") return { status: "unknown" };
      if (error.code === "connect_used") return { status: "used" };
    }
    throw error;
  }
}
