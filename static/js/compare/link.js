// Links to a moment: `?t=` (seconds, or mm:ss) on A's time opens the page there (the server reads it
// and hands it over as config.start), and "Copy link" copies the page's address at the moment the
// players show. Inside a stretch only B has, A's time names no moment of its own, so the link gives
// B's time instead (`?tb=`).

import { positionFrom, timeOn } from "./axis.js";
import { tenthsClock } from "./format.js";

export function startPosition(axis, start) {
  // Where config.start puts the playhead; null when the page opens at the beginning.
  if (!start || !(start.time >= 0)) {
    return null;
  }
  return positionFrom(axis, start.side, start.time).position;
}

export function momentUrl(config, axis, position) {
  const onA = timeOn(axis, "a", position);
  const [name, target] = onA.waiting ? ["tb", timeOn(axis, "b", position)] : ["t", onA];
  const url = new URL(config.page_url, window.location.href);
  // Tenths, floored as the clock shows them (a hair under a tenth has reached it): the link opens at
  // the picture the person saw.
  const seconds = Math.floor(target.time * 10 + 1e-6) / 10;
  url.searchParams.set(name, String(seconds));
  return { url: url.href, label: `${name === "t" ? "A" : "B"} ${tenthsClock(seconds)}` };
}

export function bindCopyLink(root, config, axis, player) {
  const button = root.querySelector("[data-copy-link]");
  const status = root.querySelector("[data-link-status]");
  const message = root.querySelector("[data-link-message]");
  const field = root.querySelector("[data-link-url]");
  let hideTimer = null;

  button.addEventListener("click", async () => {
    const moment = momentUrl(config, axis, player.position());
    field.value = moment.url;
    status.hidden = false;
    window.clearTimeout(hideTimer);
    try {
      await navigator.clipboard.writeText(moment.url);
      message.textContent = `Link to ${moment.label} copied.`;
      field.hidden = true;
      hideTimer = window.setTimeout(() => {
        status.hidden = true;
      }, 6000);
    } catch {
      // No clipboard here (an insecure page, a refused permission): the link to copy by hand.
      message.textContent = `Link to ${moment.label}:`;
      field.hidden = false;
      field.focus();
      field.select();
    }
  });
}
