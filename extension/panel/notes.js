// Notes on the followed YouTube video: the list (click a time to seek the page's player), a note at
// the current time with one key (`n` in the panel or on the YouTube page, or the shortcut Alt+N
// anywhere: the video pauses while you type and plays on after Enter or Escape), range notes (`[`
// marks the start, `]` the end), AI notes, delete with undo, export.
// The note being written is saved to chrome.storage.local on every keystroke, so a closed panel, a
// reload or an unreachable site loses nothing; it is cleared once SAGE has the note.

import { ApiError, api, connection, request, siteOrigin, videoPath } from "../lib/api.js";
import { clock } from "../lib/clock.js";
import { NOTE_DRAFT, NOTE_REQUEST } from "../lib/keys.js";
import { backoffSeconds, sleep } from "../lib/retry.js";
import { clearRetrying, sayProblem, sayRetrying, showError } from "./banner.js";
import { pause, play, playerState, seek } from "./player.js";

const UNDO_SECONDS = 5;
const REQUEST_FRESH_MS = 60_000; // a note asked for on the page longer ago than this is let go
const AI_PENDING = ["waiting", "generating"];

const list = document.getElementById("note-list");
const empty = document.getElementById("notes-empty");
const composer = document.getElementById("composer");
const textarea = document.getElementById("note-text");
const noteTime = document.getElementById("note-time");
const composerStatus = document.getElementById("composer-status");
const markStartButton = document.getElementById("mark-start");
const markEndButton = document.getElementById("mark-end");
const rangeLine = document.getElementById("range-start");
const aiPrice = document.getElementById("ai-price");
const undoToast = document.getElementById("undo");

let video = null; // {youtubeId, title, me, prices, onChanged}
let notes = [];
let loaded = false; // the list came from the site: "no notes yet" is true only then
// {youtubeId, start, end, text, resume}; `resume`: the video was playing when the note was begun, so
// it plays on once the note is saved or put aside (kept with the draft: true after a panel reload too).
let draft = null;
let rangeStart = null;
let pendingDelete = null; // {note, timer, origin, token}
let refreshTimer = null;
let saving = null; // the save under way (a promise), so a note asked for meanwhile waits for it

function timeLabel(note) {
  return note.end != null ? `${clock(note.start)}–${clock(note.end)}` : clock(note.start);
}

function render() {
  list.replaceChildren();
  const shown = notes.filter((note) => note.id !== pendingDelete?.note.id);
  for (const note of shown) {
    const item = document.createElement("li");
    item.dataset.noteId = String(note.id);
    const time = document.createElement("button");
    time.type = "button";
    time.className = "time";
    time.textContent = timeLabel(note);
    time.title = "Play from here on the page";
    time.addEventListener("click", () => seek(note.start));
    item.append(time);
    if (AI_PENDING.includes(note.ai_status)) {
      item.append(badge("Writing…"));
    } else if (note.ai_status === "failed") {
      item.append(badge("Could not be written"));
    } else if (note.ai_generated) {
      item.append(badge("AI-written"));
    }
    const text = document.createElement("p");
    text.className = "note-text";
    text.textContent = note.text; // plain text: nothing from the site becomes markup here
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete the note at ${timeLabel(note)}`);
    remove.addEventListener("click", () => deleteWithUndo(note));
    item.append(text, remove);
    list.append(item);
  }
  empty.hidden = shown.length > 0 || !loaded;
}

function badge(words) {
  const span = document.createElement("span");
  span.className = "badge";
  span.textContent = words;
  return span;
}

async function load(attempt = 0) {
  if (!video) return;
  const watching = video;
  clearTimeout(refreshTimer);
  try {
    const fetched = await api(`${videoPath(watching.youtubeId)}/notes`);
    if (video !== watching) return;
    clearRetrying();
    notes = fetched;
    loaded = true;
    render();
    // AI notes are written by a worker: look again, less often the longer it takes.
    if (notes.some((note) => AI_PENDING.includes(note.ai_status))) {
      refreshTimer = setTimeout(() => load(Math.min(attempt + 1, 4)), backoffSeconds(attempt, { first: 1, most: 15 }) * 1000);
    }
  } catch (error) {
    if (video !== watching) return;
    if (error instanceof ApiError && error.unreachable) {
      const seconds = backoffSeconds(attempt);
      sayRetrying(error, seconds);
      refreshTimer = setTimeout(() => load(attempt + 1), seconds * 1000);
    } else {
      showError(error);
    }
  }
}

function describeAiNotes() {
  document.getElementById("ai-note").disabled = !video?.me?.ai_notes_enabled;
  if (!video?.me) {
    aiPrice.textContent = "";
    return;
  }
  if (!video.me.ai_notes_enabled) {
    aiPrice.textContent = "AI notes are off: turn them on in your SAGE settings to have a note written from the transcript.";
    return;
  }
  const price = video.prices?.written_note;
  if (video.prices?.written_note_kind === "transcript_excerpt") {
    aiPrice.textContent = "“AI note here” quotes the transcript around the current time (a transcript excerpt): free.";
  } else if (price != null) {
    aiPrice.textContent = `“AI note here” writes a note from the transcript around the current time: ${price} token${price === 1 ? "" : "s"} (refunded if it fails).`;
  } else {
    aiPrice.textContent = "“AI note here” writes a note from the transcript around the current time.";
  }
}

export async function showNotesFor(next) {
  video = next;
  notes = [];
  loaded = false;
  rangeStart = null;
  showRange();
  closeComposer({ resume: false });
  render();
  describeAiNotes();
  const stored = (await chrome.storage.local.get(NOTE_DRAFT))[NOTE_DRAFT];
  if (stored && stored.youtubeId === next.youtubeId && stored.text && video === next) {
    // Restored after a reload: the video is not paused for it, the person was not typing just now.
    openComposer(stored);
  }
  await takeNoteRequest();
  await load();
}

export function stopNotes() {
  video = null;
  clearTimeout(refreshTimer);
  closeComposer({ resume: false });
}

async function saveDraft() {
  if (!draft) return;
  draft.text = textarea.value;
  await chrome.storage.local.set({ [NOTE_DRAFT]: draft });
}

// `wasPlaying`: the page's video was playing; it pauses while the person types and plays on after.
async function openComposer(values, { wasPlaying = false } = {}) {
  draft = {
    youtubeId: video.youtubeId,
    start: values.start,
    end: values.end ?? null,
    text: values.text || "",
    resume: Boolean(values.resume) || wasPlaying,
  };
  noteTime.textContent = draft.end != null ? `${clock(draft.start)}–${clock(draft.end)}` : clock(draft.start);
  textarea.value = draft.text;
  composerStatus.textContent = "";
  composer.hidden = false;
  textarea.focus();
  await saveDraft();
  if (wasPlaying) await pause();
}

function closeComposer({ resume = true } = {}) {
  composer.hidden = true;
  if (resume && draft?.resume) play();
  draft = null;
}

async function currentState() {
  const state = await playerState();
  if (!state || !video || state.videoId !== video.youtubeId) {
    composerStatus.textContent = "";
    sayProblem("The YouTube tab does not answer: reload it, then try again.");
    return null;
  }
  return state;
}

// A note at `start`: the one being written if any, else a put-aside draft of this video, else a new one.
async function noteAt(start, wasPlaying) {
  // A note asked for while the last one is being saved (the key pressed again at once) is the next
  // note, not the one closing: it opens once that one is closed.
  if (saving) await saving.catch(() => {});
  if (!composer.hidden) {
    textarea.focus();
    return;
  }
  const stored = (await chrome.storage.local.get(NOTE_DRAFT))[NOTE_DRAFT];
  const kept = stored && stored.youtubeId === video.youtubeId && stored.text ? stored : null;
  await openComposer(kept || { start }, { wasPlaying });
}

export async function noteHere() {
  if (!video) return;
  if (!composer.hidden) {
    textarea.focus();
    return;
  }
  const state = await currentState();
  if (!state) return;
  await noteAt(state.currentTime, !state.paused);
}

// `n` on the YouTube page or the shortcut (background.js): the video was paused at the key, so the
// note starts at that moment. Taken once, for the video shown (a request for another video waits
// until the panel has followed it there).
// Two takers can read the same request (the storage change, and the panel following the tab at the
// same moment): the first marks it taken before anything is awaited, so the other lets it go rather
// than opening a second note at that moment once the first is saved.
let takenRequestAt = null;

async function takeNoteRequest() {
  if (!video) return;
  const request = (await chrome.storage.session.get(NOTE_REQUEST))[NOTE_REQUEST];
  if (!request || !video || request.videoId !== video.youtubeId || request.at === takenRequestAt) return;
  takenRequestAt = request.at;
  await chrome.storage.session.remove(NOTE_REQUEST);
  if (Date.now() - request.at > REQUEST_FRESH_MS) return;
  document.getElementById("tab-notes").click();
  await noteAt(request.start, request.resume);
  if (!document.hasFocus()) {
    // The key was pressed on YouTube's page and the browser kept the focus there.
    const words = "Click here to type: the keys still go to the YouTube page.";
    composerStatus.textContent = words;
    window.addEventListener(
      "focus",
      () => {
        textarea.focus();
        if (composerStatus.textContent === words) composerStatus.textContent = "";
      },
      { once: true },
    );
  }
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "session" && changes[NOTE_REQUEST]?.newValue) takeNoteRequest();
});

function showRange() {
  markEndButton.hidden = rangeStart == null;
  rangeLine.hidden = rangeStart == null;
  rangeLine.textContent = rangeStart == null ? "" : `Range from ${clock(rangeStart)}: press ] (Mark end) where it ends.`;
}

export async function markStart() {
  const state = await currentState();
  if (!state) return;
  rangeStart = state.currentTime;
  showRange();
}

export async function markEnd() {
  if (rangeStart == null) return;
  const state = await currentState();
  if (!state) return;
  const [start, end] = [rangeStart, state.currentTime].sort((a, b) => a - b);
  rangeStart = null;
  showRange();
  await openComposer({ start, end: end > start ? end : null }, { wasPlaying: !state.paused });
}

async function post(body) {
  // Retries while the site cannot be reached; the draft stays saved meanwhile.
  for (let attempt = 0; ; attempt += 1) {
    try {
      const note = await api(`${videoPath(video.youtubeId)}/notes`, { method: "POST", body });
      clearRetrying();
      return note;
    } catch (error) {
      if (!(error instanceof ApiError && error.unreachable)) throw error;
      const seconds = backoffSeconds(attempt);
      composerStatus.textContent = "Not saved yet: SAGE cannot be reached. Your note is kept and will be sent.";
      sayRetrying(error, seconds);
      await sleep(seconds);
    }
  }
}

async function save() {
  if (!draft || saving) return;
  const text = textarea.value.trim();
  if (!text) {
    composerStatus.textContent = "Type the note first (or use “AI note here”).";
    return;
  }
  const body = { start: Number(draft.start.toFixed(2)), text };
  if (draft.end != null) body.end = Number(draft.end.toFixed(2));
  saving = (async () => {
    try {
      await post(body);
      await chrome.storage.local.remove(NOTE_DRAFT);
      closeComposer();
    } catch (error) {
      composerStatus.textContent = "Not saved: your note is kept.";
      showError(error);
      return;
    } finally {
      saving = null;
    }
    await load();
    video?.onChanged(); // a note on a YouTube video not yet in SAGE adds it
  })();
  await saving;
}

export async function aiNoteHere() {
  if (!video) return;
  const state = await currentState();
  if (!state) return;
  try {
    await post({ start: Number(state.currentTime.toFixed(2)), text: "" });
    await load();
    video?.onChanged();
  } catch (error) {
    showError(error);
  }
}

function flushDelete({ keepalive = false } = {}) {
  if (!pendingDelete) return;
  const { note, timer, origin, token } = pendingDelete;
  clearTimeout(timer);
  pendingDelete = null;
  undoToast.hidden = true;
  // `keepalive` lets the request outlive a closing panel (pagehide), which cannot await storage.
  fetch(`${origin}/api/v1/notes/${note.id}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    credentials: "omit",
    keepalive,
  })
    .then((response) => {
      if (!response.ok && response.status !== 404) throw new ApiError({ status: response.status });
      notes = notes.filter((each) => each.id !== note.id);
      render();
    })
    .catch((error) => {
      // Not deleted after all: it comes back, and the reason is said.
      render();
      showError(error instanceof ApiError ? error : new ApiError({ unreachable: true, message: "The note could not be deleted: SAGE cannot be reached." }));
    });
}

async function deleteWithUndo(note) {
  flushDelete();
  const connected = await connection();
  if (!connected) return;
  pendingDelete = {
    note,
    origin: await siteOrigin(),
    token: connected.token,
    timer: setTimeout(() => flushDelete(), UNDO_SECONDS * 1000),
  };
  undoToast.hidden = false;
  render();
}

function undoDelete() {
  if (!pendingDelete) return;
  clearTimeout(pendingDelete.timer);
  pendingDelete = null;
  undoToast.hidden = true;
  render();
}

async function exportNotes() {
  if (!video) return;
  try {
    const response = await request(`${videoPath(video.youtubeId)}/notes/export.md`, { accept: "*/*" });
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/.exec(disposition);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = named ? named[1] : `${video.title || video.youtubeId} notes.md`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    showError(error);
  }
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  save();
});
textarea.addEventListener("input", saveDraft);
textarea.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    save();
  } else if (event.key === "Escape") {
    event.preventDefault();
    // Put aside: a draft with words stays stored and `n` brings it back; an empty one goes.
    if (!textarea.value.trim()) chrome.storage.local.remove(NOTE_DRAFT);
    closeComposer();
  }
});
document.getElementById("note-cancel").addEventListener("click", () => closeComposer());
document.getElementById("note-discard").addEventListener("click", async () => {
  await chrome.storage.local.remove(NOTE_DRAFT);
  closeComposer();
});
document.getElementById("note-here").addEventListener("click", noteHere);
markStartButton.addEventListener("click", markStart);
markEndButton.addEventListener("click", markEnd);
document.getElementById("ai-note").addEventListener("click", aiNoteHere);
document.getElementById("undo-button").addEventListener("click", undoDelete);
document.getElementById("export-notes").addEventListener("click", exportNotes);
window.addEventListener("pagehide", () => flushDelete({ keepalive: true }));
