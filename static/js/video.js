// The video page. The transcript follows playback (the line being spoken is highlighted and kept in
// view, and so is the word being said where speech recognition timed the words), a click on a line
// seeks there, and the search box filters and highlights lines. Live
// "video" events (re-dispatched by live.js) keep the processing progress current; when the status
// changes, the page is fetched again and the parts that differ are swapped in, so the player and
// the transcript appear without a reload.
//
// Without JavaScript the page still works: transcript lines are links to ?t=<seconds>, which
// reloads the page with the player starting there.
//
// The notes panel is its own module (notes_panel.js); it drives the player through the interface
// below (seek, play, pause, currentTime…), whichever player the page has.

import { setUpNotesPanel } from "./notes_panel.js";
import { bindVideoKeys } from "./video_keys.js";
import { frameOnScreen, rateOf, seekVideo, shownInstant, watchPresentedFrames } from "./shared/frames.js";
import { lastAtOrBefore } from "./shared/search.js";
import { setUpTimecode } from "./shared/timecode.js";

const STATUS_POLL_MS = 20_000; // catches a status change whose live event was missed (socket reconnecting)
const YOUTUBE_TIME_POLL_MS = 250; // the YouTube player has no timeupdate event
const USER_SCROLL_PAUSE_MS = 4_000; // after the reader scrolls the transcript, it stops following for this long
const IN_PROGRESS = new Set(["uploading", "queued", "processing"]);

const labels = readLabels();
let player = null; // the page's player (filePlayer or youtubePlayer), null without one
let transcript = { follow() {}, list: null };
let statusPoll = null;
let refreshing = null;
let refreshAgain = false;

function stageText(data) {
  if (data.stage) {
    return labels.stages[data.stage] || data.stage;
  }
  return data.status === "processing" ? labels.starting : labels.waiting;
}

function readLabels() {
  const element = document.getElementById("video-live-labels");
  try {
    return JSON.parse(element.textContent);
  } catch (error) {
    return { stages: {}, statuses: {}, waiting: "", starting: "" };
  }
}

function pageRoot() {
  return document.querySelector("[data-video-page]");
}

// ---- players: one small interface over <video> and the YouTube IFrame API -----------------------
//
// A file player is frame-exact (shared/frames.js): a seek shows the frame the time names, aimed at
// its middle, and its time is the middle of the frame presented, so a note taken now is on it.

function filePlayer(video, onTime) {
  watchPresentedFrames(video);
  const report = () => onTime(video.currentTime);
  video.addEventListener("timeupdate", report);
  video.addEventListener("seeked", report);
  // timeupdate comes about four times a second: too late for words, which last a few tenths. While
  // the video plays, the time is also read every frame.
  let frame = null;
  const everyFrame = () => {
    report();
    frame = video.paused || video.ended ? null : window.requestAnimationFrame(everyFrame);
  };
  video.addEventListener("play", () => {
    if (frame === null) {
      frame = window.requestAnimationFrame(everyFrame);
    }
  });
  return {
    isReady: () => true,
    currentTime: () => shownInstant(video),
    duration: () => (Number.isFinite(video.duration) ? video.duration : null),
    isPlaying: () => !video.paused && !video.ended,
    seek(seconds) {
      seekVideo(video, seconds);
    },
    frameStep(direction) {
      // One frame on from the one on screen (paused first, as editors' players step).
      video.pause();
      const rate = rateOf(video);
      seekVideo(video, ((frameOnScreen(video) + direction + 0.5) * rate.denominator) / rate.numerator);
    },
    pause() {
      video.pause();
    },
    play() {
      const playing = video.play();
      if (playing) {
        playing.catch(() => {}); // autoplay refused: the player stays paused at the right place
      }
    },
    stop() {},
  };
}

let youtubeApi = null;

function loadYouTubeApi(src) {
  if (window.YT && typeof window.YT.Player === "function") {
    return Promise.resolve(window.YT);
  }
  if (!youtubeApi) {
    youtubeApi = new Promise((resolve, reject) => {
      const previous = window.onYouTubeIframeAPIReady;
      window.onYouTubeIframeAPIReady = () => {
        if (typeof previous === "function") {
          previous();
        }
        resolve(window.YT);
      };
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.addEventListener("error", () => {
        youtubeApi = null; // a later page swap may try again
        reject(new Error("The YouTube player API could not be loaded."));
      });
      document.head.append(script);
    });
  }
  return youtubeApi;
}

function youtubePlayer(iframe, onTime) {
  let player = null;
  let ready = false;
  let timer = null;
  let stopped = false;
  loadYouTubeApi(iframe.dataset.apiSrc)
    .then((YT) => {
      if (stopped) {
        return;
      }
      player = new YT.Player(iframe, {
        events: {
          onReady: () => {
            ready = true;
            timer = window.setInterval(() => onTime(player.getCurrentTime()), YOUTUBE_TIME_POLL_MS);
          },
        },
      });
    })
    .catch(() => {
      // YouTube is unreachable: the embed shows its own error and transcript links keep working
      // as plain links (they reload the page at ?t=).
    });
  return {
    isReady: () => ready && !stopped,
    currentTime: () => player.getCurrentTime(),
    duration: () => player.getDuration() || null,
    isPlaying: () => player.getPlayerState() === window.YT.PlayerState.PLAYING,
    seek(seconds) {
      player.seekTo(seconds, true);
    },
    play() {
      player.playVideo();
    },
    pause() {
      player.pauseVideo();
    },
    stop() {
      stopped = true;
      if (timer !== null) {
        window.clearInterval(timer);
      }
    },
  };
}

function setUpPlayer(root) {
  const video = root.querySelector("video[data-player]");
  if (video) {
    const controls = filePlayer(video, followPlayback);
    setUpTimecode(root.querySelector("[data-timecode-toggle]"), [
      { video, element: root.querySelector("[data-timecode]") },
    ]);
    const start = Number(root.dataset.start) || 0;
    if (start > 0) {
      // The #t= fragment starts the file near there; the frame the time names is then sought (the
      // fragment takes the time as it is, a boundary included), and playing is what a link means.
      const toFrame = () => controls.seek(start);
      video.readyState >= HTMLMediaElement.HAVE_METADATA ? toFrame() : video.addEventListener("loadedmetadata", toFrame, { once: true });
      controls.play();
    }
    return controls;
  }
  const iframe = root.querySelector("iframe[data-youtube-player]");
  return iframe ? youtubePlayer(iframe, followPlayback) : null;
}

// ---- the transcript ------------------------------------------------------------------------------

function lineIndexAt(starts, seconds) {
  // The last line that has started by `seconds` (-1 before the first).
  return lastAtOrBefore(starts.length, (index) => starts[index], seconds);
}

function showHighlighted(element, text, query) {
  // Built from text nodes and <mark> elements, never from HTML: transcript text is untrusted.
  element.replaceChildren();
  if (!query) {
    element.textContent = text;
    return;
  }
  const lower = text.toLowerCase();
  let position = 0;
  let found = lower.indexOf(query, position);
  while (found !== -1) {
    element.append(text.slice(position, found));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(found, found + query.length);
    element.append(mark);
    position = found + query.length;
    found = lower.indexOf(query, position);
  }
  element.append(text.slice(position));
}

function setUpTranscript(root) {
  const list = root.querySelector("[data-transcript-lines]");
  if (!list) {
    return { follow() {}, list: null };
  }
  const lines = [...list.querySelectorAll(".transcript-line")];
  const starts = lines.map((line) => Number(line.dataset.start));
  const texts = lines.map((line) => line.querySelector(".transcript-text").textContent);
  // A line's text as the server rendered it (timed words as spans), put back when a search ends.
  const rendered = lines.map((line) => line.querySelector(".transcript-text").cloneNode(true));
  let current = null;
  let currentWord = null;
  let userScrolledAt = 0;

  for (const type of ["wheel", "touchmove", "keydown"]) {
    list.addEventListener(type, () => {
      userScrolledAt = Date.now();
    }, { passive: true });
  }

  function keepInView(line) {
    if (Date.now() - userScrolledAt < USER_SCROLL_PAUSE_MS || line.hidden) {
      return;
    }
    const top = line.offsetTop;
    const bottom = top + line.offsetHeight;
    if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  function followWord(line, seconds) {
    // The last word of the line said by `seconds`; none past the line's end.
    const words = line && seconds <= Number(line.dataset.end) ? [...line.querySelectorAll(".transcript-word")] : [];
    const index = lastAtOrBefore(words.length, (at) => Number(words[at].dataset.start), seconds);
    const word = index >= 0 ? words[index] : null;
    if (word === currentWord) {
      return;
    }
    currentWord?.classList.remove("is-spoken");
    currentWord = word;
    word?.classList.add("is-spoken");
  }

  function follow(seconds) {
    const index = lineIndexAt(starts, seconds);
    const line = index >= 0 ? lines[index] : null;
    if (line !== current) {
      if (current) {
        current.classList.remove("is-current");
        current.removeAttribute("aria-current");
      }
      current = line;
      if (line) {
        line.classList.add("is-current");
        line.setAttribute("aria-current", "true");
        keepInView(line);
      }
    }
    followWord(line, seconds);
  }

  const searchBox = root.querySelector("[data-transcript-search-box]");
  const search = root.querySelector("[data-transcript-search]");
  const status = root.querySelector("[data-transcript-search-status]");
  if (searchBox && search) {
    searchBox.hidden = false;
    const filter = () => {
      const query = search.value.trim().toLowerCase();
      let shown = 0;
      lines.forEach((line, index) => {
        const matches = !query || texts[index].toLowerCase().includes(query);
        line.hidden = !matches;
        shown += matches ? 1 : 0;
        const text = line.querySelector(".transcript-text");
        if (query) {
          showHighlighted(text, texts[index], matches ? query : "");
        } else {
          text.replaceWith(rendered[index].cloneNode(true)); // the timed words again
        }
      });
      currentWord = null;
      if (!query) {
        status.textContent = "";
      } else if (shown === 0) {
        status.textContent = "No line contains these words.";
      } else {
        status.textContent = `${shown} of ${lines.length} lines`;
      }
    };
    search.addEventListener("input", filter);
    search.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && search.value) {
        search.value = "";
        filter();
      }
    });
  }

  return { follow, list };
}

function followPlayback(seconds) {
  transcript.follow(seconds);
}

function setUpPage(root, { keepPlayer = false } = {}) {
  transcript = setUpTranscript(root);
  if (!keepPlayer) {
    player?.stop();
    player = setUpPlayer(root);
  }
  transcript.follow(Number(root.dataset.start) || 0);
  window.clearInterval(statusPoll);
  statusPoll = IN_PROGRESS.has(root.dataset.status) ? window.setInterval(() => refresh(), STATUS_POLL_MS) : null;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-video-page] .transcript-line a");
  if (!link || !player || !player.isReady()) {
    return; // no player here yet: the link reloads the page at ?t=
  }
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return; // opening the moment in a new tab or window
  }
  event.preventDefault();
  const seconds = Number(link.closest(".transcript-line").dataset.start);
  player.seek(seconds);
  player.play();
  transcript.follow(seconds);
});

// Other parts of the page (the chat panel's citation chips) ask for a moment with a `sage:seek`
// event; taking it (preventDefault) tells them the page's player, file or YouTube, played it.
document.addEventListener("sage:seek", (event) => {
  if (!player || !player.isReady()) {
    return; // no player yet: the asker falls back to a link to ?t=
  }
  event.preventDefault();
  player.seek(event.detail.seconds);
  if (event.detail.play) {
    player.play();
  }
  transcript.follow(event.detail.seconds);
});

// The transcript panel, swapped in alone when the screen's text was read (video_screen_text.js).
document.addEventListener("sage:transcript-replaced", () => {
  const root = pageRoot();
  if (!root) {
    return;
  }
  transcript = setUpTranscript(root);
  transcript.follow(player && player.isReady() ? player.currentTime() : Number(root.dataset.start) || 0);
});

// ---- live status -----------------------------------------------------------------------------------

function showStatus(root, data) {
  const status = labels.statuses[data.status] || { label: data.status, badge: "" };
  for (const badge of root.querySelectorAll('[data-field="status"]')) {
    badge.textContent = status.label;
    badge.className = `badge video-status-badge ${status.badge}`.trim();
  }
  const percent = Number.isInteger(data.percent) ? data.percent : 0;
  for (const progress of root.querySelectorAll('progress[data-field="progress"]')) {
    progress.value = percent;
    progress.textContent = `${percent}%`;
  }
  for (const element of root.querySelectorAll('[data-field="percent"]')) {
    element.textContent = `${percent}%`;
  }
  const stage = stageText(data);
  for (const element of root.querySelectorAll('[data-field="stage"]')) {
    element.textContent = stage;
  }
  const resumeNote = data.resume_note || "";
  for (const element of root.querySelectorAll('[data-field="resume-note"]')) {
    element.textContent = resumeNote;
    element.hidden = !resumeNote;
  }
}

function swapParts(root, fresh) {
  let playerKept = false;
  for (const part of fresh.querySelectorAll("[data-swap]")) {
    const name = part.dataset.swap;
    const old = root.querySelector(`[data-swap="${name}"]`);
    if (!old) {
      continue;
    }
    if (name === "player" && old.dataset.playerKind === part.dataset.playerKind) {
      playerKept = true; // the same player: keep it, and whatever it is playing
      continue;
    }
    if (name === "player-clock" && playerKept) {
      continue; // the kept player's timecode readout, already following it
    }
    old.replaceWith(document.importNode(part, true));
  }
  root.dataset.status = fresh.dataset.status;
  root.dataset.playback = fresh.dataset.playback;
  return playerKept;
}

async function refresh() {
  // One fetch at a time; an event that arrives meanwhile asks for one more afterwards.
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  const root = pageRoot();
  refreshing = (async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.status === 404) {
        window.location.reload(); // deleted meanwhile: show the page that says so
        return;
      }
      if (!response.ok) {
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("[data-video-page]");
      if (!fresh || !root.isConnected || fresh.dataset.status === root.dataset.status) {
        return;
      }
      const playerKept = swapParts(root, fresh);
      setUpPage(root, { keepPlayer: playerKept });
    } catch (error) {
      // Offline for a moment: the next event or poll tries again.
    }
  })();
  await refreshing;
  refreshing = null;
  if (refreshAgain) {
    refreshAgain = false;
    refresh();
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  const root = pageRoot();
  if (!root || !message || message.type !== "video" || !message.data) {
    return;
  }
  if (Number(root.dataset.videoId) !== message.data.id) {
    return;
  }
  showStatus(root, message.data);
  // A ready video's playable version made (or failed) changes the player, not the status.
  const playbackChanged = message.data.playback && message.data.playback !== root.dataset.playback;
  if (message.data.status !== root.dataset.status || playbackChanged) {
    refresh();
  }
});

const root = pageRoot();
if (root) {
  setUpPage(root);
  // A getter, not the player itself: the player appears (or changes) when processing finishes.
  setUpNotesPanel(root, () => player);
  bindVideoKeys(root, () => player);
}
