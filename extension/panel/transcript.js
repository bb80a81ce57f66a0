// Search in the followed video's transcript: fetched once per video, filtered here as the person
// types (no request per keystroke), each line a button that seeks the page's player.

import { ApiError, api } from "../lib/api.js";
import { clock } from "../lib/clock.js";
import { showError } from "./banner.js";
import { seek } from "./player.js";

const search = document.getElementById("transcript-search");
const status = document.getElementById("transcript-status");
const lines = document.getElementById("transcript-lines");
const MAX_SHOWN = 200;

let segments = [];
let video = null;

function render() {
  const words = search.value.trim().toLowerCase();
  const found = words ? segments.filter((segment) => segment.text.toLowerCase().includes(words)) : segments;
  lines.replaceChildren();
  for (const segment of found.slice(0, MAX_SHOWN)) {
    const item = document.createElement("li");
    const time = document.createElement("button");
    time.type = "button";
    time.className = "time";
    time.textContent = clock(segment.start);
    time.title = "Play from here on the page";
    time.addEventListener("click", () => seek(segment.start));
    const text = document.createElement("span");
    text.textContent = ` ${segment.text}`;
    item.append(time, text);
    lines.append(item);
  }
  if (!segments.length) return;
  status.textContent = words
    ? `${found.length} ${found.length === 1 ? "line says" : "lines say"} “${search.value.trim()}”.`
    : `${segments.length} lines.`;
}

export async function showTranscriptFor(next) {
  video = next;
  segments = [];
  lines.replaceChildren();
  search.disabled = true;
  if (next.sageVideo?.status !== "ready") {
    status.textContent = next.sageVideo ? "The transcript is searchable once the video is ready." : "Add the video to SAGE to search its transcript.";
    return;
  }
  status.textContent = "Loading the transcript…";
  try {
    const transcript = await api(`videos/${next.sageVideo.id}/transcript`);
    if (video !== next) return;
    segments = transcript.segments || [];
    search.disabled = false;
    status.textContent = segments.length ? "" : "This video has no transcript (no captions on YouTube).";
    render();
  } catch (error) {
    if (video !== next) return;
    if (error instanceof ApiError && error.status === 409) status.textContent = "The transcript is still being made.";
    else showError(error);
  }
}

export function stopTranscript() {
  video = null;
}

search.addEventListener("input", render);
