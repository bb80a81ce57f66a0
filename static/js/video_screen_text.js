// The video page's "reading the screen" stage (videos.screen_text), which runs once the video is
// ready: the transcript panel says "Reading the screen… N%" from live "video" events (re-dispatched
// by live.js), and when the stage ends the panel alone is fetched again and swapped in, with the text
// shown on screen among the said lines; the player, the chat and the notes stay as they are.
// video.js sets the new panel up (following playback, seeking, search) on "sage:transcript-replaced".
// Without JavaScript the panel shows where the stage stood when the page was loaded.

const SCREEN_TEXT = "screen_text";
// States of the status line (templates/videos/partials/screen_text_status.html) after which the
// panel may gain lines: read now, or queued to be.
const MAY_GAIN_LINES = new Set(["reading", "waiting"]);

let swapping = null;
let swapAgain = false;

function pageRoot() {
  return document.querySelector("[data-video-page]");
}

async function swapTranscript() {
  // One fetch at a time; an end that comes meanwhile asks for one more afterwards.
  if (swapping) {
    swapAgain = true;
    return;
  }
  swapping = (async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) {
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector('[data-video-page] [data-swap="transcript"]');
      const old = pageRoot()?.querySelector('[data-swap="transcript"]');
      if (!fresh || !old) {
        return;
      }
      old.replaceWith(document.importNode(fresh, true));
      document.dispatchEvent(new CustomEvent("sage:transcript-replaced"));
    } catch (error) {
      // Offline for a moment: the panel keeps what it had; the next page load shows the lines.
    }
  })();
  await swapping;
  swapping = null;
  if (swapAgain) {
    swapAgain = false;
    swapTranscript();
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  const root = pageRoot();
  if (!root || !message || message.type !== "video" || !message.data || message.data.status !== "ready") {
    return; // a video still processing: video.js shows its progress
  }
  if (Number(root.dataset.videoId) !== message.data.id || root.dataset.status !== "ready") {
    return; // becoming ready: video.js swaps in the ready page, status line included
  }
  const status = root.querySelector("[data-screen-text-status]");
  if (!status) {
    return;
  }
  if (message.data.stage === SCREEN_TEXT) {
    status.dataset.state = "reading";
    status.hidden = false;
    const percent = Number.isInteger(message.data.percent) ? message.data.percent : 0;
    status.querySelector("[data-screen-text-percent]").textContent = `${percent}%`;
  } else if (MAY_GAIN_LINES.has(status.dataset.state)) {
    // The stage ended (read, or could not read): the panel as the server has it now.
    status.dataset.state = "ended";
    status.hidden = true;
    swapTranscript();
  }
});
