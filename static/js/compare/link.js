// Links to a moment name the video whose time they give: `?a=` (seconds, or mm:ss) on A's time,
// `?b=` on B's, never the timeline's (which moves when the alignment does). The server reads them and
// hands the moment over as config.start; older links' `?t=` (A's time, as on a video's own page) and
// `?tb=` (B's) still open where they did. "Copy link" copies the page's address at the moment the
// players show, on A's time, or on B's inside a stretch only B has (A's time names no moment there).

import { tenthsClock } from "../shared/clock.js";
import { positionFrom, timeOn } from "./axis.js";

export function startPosition(axis, start) {
  // Where config.start puts the playhead; null when the page opens at the beginning.
  if (!start || !(start.time >= 0)) {
    return null;
  }
  return positionFrom(axis, start.side, start.time).position;
}

export function momentUrl(config, axis, position) {
  const onA = timeOn(axis, "a", position);
  const [name, target] = onA.waiting ? ["b", timeOn(axis, "b", position)] : ["a", onA];
  const url = new URL(config.page_url, window.location.href);
  // To the millisecond: the players stand on a frame's middle (shared/frames.js), and the link
  // opens on that frame; its label is to the tenth, as the clocks show it.
  const seconds = Math.round(target.time * 1000) / 1000;
  url.searchParams.set(name, String(seconds));
  return { url: url.href, label: `${name.toUpperCase()} ${tenthsClock(seconds)}` };
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
