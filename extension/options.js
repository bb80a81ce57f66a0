// The options page: which SAGE site the extension talks to. Access to it is asked for here, at the
// moment the person chooses it (an optional host permission), not at install: the extension works
// with any SAGE site and holds access to none it was not pointed at.

import { CONNECTION, SITE_ORIGIN } from "./lib/keys.js";
import { api, connection, siteOrigin } from "./lib/api.js";

const form = document.getElementById("site-form");
const input = document.getElementById("site");
const status = document.getElementById("site-status");

function originOf(text) {
  let url;
  try {
    url = new URL(text.trim().includes("://") ? text.trim() : `https://${text.trim()}`);
  } catch {
    return { error: "That is not a web address: type it as https://sage.example.com." };
  }
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    return { error: "Use an https:// address (plain http only for localhost or 127.0.0.1)." };
  }
  return { origin: url.origin };
}

siteOrigin().then((origin) => {
  input.value = origin;
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const chosen = originOf(input.value);
  if (chosen.error) {
    status.textContent = chosen.error;
    return;
  }
  status.textContent = `Asking your browser for access to ${chosen.origin}…`;
  // Asked at once, inside the click: the browser only shows its prompt during a user gesture.
  chrome.permissions.request({ origins: [`${chosen.origin}/*`] }).then(
    async (granted) => {
      if (!granted) {
        status.textContent = `Access to ${chosen.origin} was not given, so the extension cannot talk to it.`;
        return;
      }
      const before = await siteOrigin();
      if (before !== chosen.origin && (await connection())) {
        // A token belongs to the site that issued it: revoked there (best effort), then forgotten.
        await api("tokens/current", { method: "DELETE" }).catch(() => {});
        await chrome.storage.local.remove(CONNECTION);
      }
      await chrome.storage.local.set({ [SITE_ORIGIN]: chosen.origin });
      input.value = chosen.origin;
      status.textContent = `Saved: ${chosen.origin}. Open the SAGE panel beside a YouTube video and connect.`;
    },
    (error) => {
      status.textContent = `The browser refused: ${error.message}`;
    },
  );
});
