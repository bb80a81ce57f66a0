// A live review session's page (/sessions/<code>/ for members, /s/<token>/sessions/<code>/ for a
// link's guests): the comparison's or the video's own page, whose player a LiveSession drives or
// follows. Nothing happens before the person presses Join: the click lets the browser play sound
// for the session from then on, and a guest gives the name the others see (kept with the reviewer
// key the shared pages keep, so it is asked once).

import { readJsonScript } from "../shared/page_data.js";
import { rememberName, reviewerKey, reviewerName } from "../reviews/comments/identity.js";
import { LiveSession } from "./live.js";
import { comparePlayer, videoPlayer } from "./players.js";

const config = readJsonScript("session-config");
const panel = document.querySelector("[data-session]");

function pagePlayer() {
  const compare = document.querySelector("[data-compare-page]");
  if (compare) {
    return comparePlayer(compare);
  }
  const video = document.querySelector("video.player");
  return video ? videoPlayer(video) : null;
}

function setUp() {
  panel.querySelector("[data-session-needs-js]").hidden = true;
  const player = pagePlayer();
  const form = panel.querySelector("[data-session-join]");
  const nameInput = form.elements.namedItem("name");
  if (!player) {
    panel.querySelector("[data-session-banner]").textContent =
      "This page has no player a live session can drive (a YouTube video, or one still processing).";
    panel.querySelector("[data-session-banner]").hidden = false;
    return;
  }
  if (nameInput) {
    nameInput.value = reviewerName();
  }
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = nameInput ? nameInput.value.trim() : "";
    if (nameInput && !name) {
      nameInput.setAttribute("aria-invalid", "true");
      nameInput.focus();
      return;
    }
    if (nameInput) {
      rememberName(name);
    }
    const hello = () => (config.guest ? { type: "hello", name, reviewer_key: reviewerKey() } : { type: "hello" });
    form.hidden = true;
    panel.querySelector("[data-session-controls]").hidden = false;
    const session = new LiveSession(panel, config, player, hello);
    panel.liveSession = session;
    session.start();
    panel.querySelector("[data-session-leave]").focus();
  });
}

if (config && panel) {
  setUp();
}
