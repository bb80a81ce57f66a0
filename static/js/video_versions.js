// A version's page: its Versions card (templates/videos/partials/versions.html) says "comparing…"
// while the automatic comparison with the version before is made; a live "stack" event for this
// stack says it is done, and the card is fetched again and swapped in. Without this module (or
// without the event) a reload shows the same.

import { localizeTimes } from "./shared/dates.js";

const card = () => document.querySelector("[data-versions]");

async function refreshCard() {
  const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) {
    return;
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("[data-versions]");
  const current = card();
  if (fresh && current) {
    const swapped = document.importNode(fresh, true);
    current.replaceWith(swapped);
    localizeTimes(swapped); // the server wrote its times in UTC
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  const current = card();
  if (!current || message?.type !== "stack" || String(message.data?.id) !== current.dataset.stackId) {
    return;
  }
  refreshCard().catch(() => {
    // Offline for a moment: a reload shows the comparison.
  });
});
