// A shared page's media (its videos, posters, hover sprites, captions) come through signed URLs that
// expire after a few minutes (/s/<token>/media/…), so that a revoked link's media die soon after it.
// Before they do, this asks the link for fresh ones and swaps them in: each player keeps its time and
// whether it was playing; the comparison's timeline gets its new sprites through a `sage:shared-media`
// event (compare.js). A link that no longer opens (404) gets no more renewals.
//
// On a shared video page, the owner's notes' times seek the player through video.js's `sage:seek`.

import { readJsonScript } from "../shared/page_data.js";

const RENEW_AT = 0.7; // of the URLs' lifetime: well before they expire, even in a throttled tab
const SHORTEST_WAIT_MS = 1000;

const config = readJsonScript("shared-media-config");

function playerFor(slot) {
  // compare/partials/player.html marks its two players with their side; the video page's one bare.
  return document.querySelector(slot === "video" ? "video[data-player='']" : `video[data-player="${slot}"]`);
}

function swapSource(video, url) {
  const time = video.currentTime;
  const playing = !video.paused && !video.ended;
  const rate = video.playbackRate;
  video.addEventListener(
    "loadedmetadata",
    () => {
      video.currentTime = time;
      video.playbackRate = rate;
      if (playing) {
        video.play().catch(() => {}); // refused (autoplay rules): the viewer presses play again
      }
    },
    { once: true },
  );
  video.src = url;
}

function swapIn(media) {
  for (const [slot, urls] of Object.entries(media)) {
    const video = playerFor(slot);
    if (!video) {
      continue;
    }
    // A player fed by <source> elements (the video page's full and small copies) keeps the copy it
    // chose: each element gets its fresh address, and the one playing is swapped in.
    const sources = video.querySelectorAll("source[data-quality]");
    let playing = urls.file;
    for (const source of sources) {
      const fresh = source.dataset.quality === "small" ? urls.small : urls.file;
      if (!fresh) {
        continue;
      }
      if (video.currentSrc && source.src === video.currentSrc) {
        playing = fresh;
      }
      source.src = fresh;
    }
    if (playing) {
      swapSource(video, playing);
    }
    if (urls.poster && video.hasAttribute("poster")) {
      // Only where a poster still shows: the comparison's players drop theirs for the frame.
      video.poster = urls.poster;
    }
    const track = video.querySelector("track[data-captions]");
    // Cues already loaded stay loaded; a track not read yet needs an address that still works.
    if (track && urls.captions && track.readyState !== HTMLTrackElement.LOADED) {
      track.src = urls.captions;
    }
  }
  document.dispatchEvent(new CustomEvent("sage:shared-media", { detail: media }));
}

function schedule(seconds) {
  window.setTimeout(renew, Math.max(SHORTEST_WAIT_MS, seconds * RENEW_AT * 1000));
}

async function renew() {
  let response;
  try {
    response = await fetch(config.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    schedule(config.expires_in / 10); // offline for a moment: soon again
    return;
  }
  if (!response.ok) {
    if (response.status >= 500) {
      schedule(config.expires_in / 10);
    }
    return; // revoked, expired or locked: nothing more to renew
  }
  const fresh = await response.json();
  swapIn(fresh.media || {});
  schedule(Number(fresh.expires_in) || config.expires_in);
}

if (config?.url && config.expires_in > 0) {
  schedule(config.expires_in);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-shared-notes] [data-note-seek]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const seconds = Number(new URL(link.href).searchParams.get("t"));
  const asked = new CustomEvent("sage:seek", { detail: { seconds, play: true }, cancelable: true });
  document.dispatchEvent(asked);
  if (asked.defaultPrevented) {
    event.preventDefault(); // video.js played it here; otherwise the link reloads the page there
  }
});
