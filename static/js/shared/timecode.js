// The optional SMPTE timecode readout beside a player's mm:ss, as Frame.io and Resolve offer: a
// toggle (remembered in localStorage for every page that has one) shows, for each player, the
// timecode of the frame on screen (shared/frames.js: the frame presented, drop-frame at 29.97 and
// 59.94). It counts from 00:00:00:00 at the file's first frame, as the mm:ss beside it does: the
// 01:00:00:00 of the marker form is where a marker file lands on an editor's timeline, not the
// file's own time, and a reader comparing the two clocks should see the same moment.

import { frameOnScreen, onPresentedFrame, rateOf, timecode } from "./frames.js";

const STORAGE_KEY = "sage.timecode";

function remembered() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === "on";
  } catch {
    return false; // storage refused (private mode, a sandbox): off
  }
}

function remember(on) {
  try {
    window.localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
  } catch {
    // not remembered: it stays as chosen on this page
  }
}

export function setUpTimecode(button, readouts) {
  // `readouts`: [{ video, element }], the element showing that video's timecode.
  const shown = readouts.filter(({ video, element }) => video && element);
  if (!button || !shown.length) {
    return;
  }
  let on = remembered();
  const write = ({ video, element }) => {
    if (on) {
      const text = timecode(frameOnScreen(video), rateOf(video));
      if (element.textContent !== text) {
        element.textContent = text;
      }
    }
  };
  const render = () => {
    button.setAttribute("aria-pressed", String(on));
    for (const readout of shown) {
      readout.element.hidden = !on;
      write(readout);
    }
  };
  for (const readout of shown) {
    onPresentedFrame(readout.video, () => write(readout));
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    on = !on;
    remember(on);
    render();
  });
  render();
}
