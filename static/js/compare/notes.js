// Notes from the comparison: "Add note" (or N) pauses both players and opens a small form for a note
// on A or on B at the moment they show, each at its own video's time from the alignment (B's time is
// the one the players use). It is saved through the notes API on that video, so it is there on the
// video's page too. The notes card lists my notes on both videos along the timeline; a click on one
// seeks there, and marks on the timeline's lanes show where they are.
//
// A note's `html` is the server's rendering of a safe Markdown subset, sanitised there: the only HTML
// inserted as is. The text is required: an empty note is an AI note with a price, which is for the
// video page's notes panel to offer.

import { ApiError, requestJson } from "../shared/api.js";
import { tenthsClock } from "../shared/clock.js";
import { positionFrom } from "./axis.js";

const SIDES = ["a", "b"];

export function setUpNotes(root, config, axis, player) {
  const form = root.querySelector("[data-note-form]");
  const card = root.querySelector("[data-compare-notes]");
  const openButton = root.querySelector("[data-note-open]");
  if (!form || !card || !openButton) {
    return { open() {} };
  }
  const list = card.querySelector("[data-compare-notes-list]");
  const empty = card.querySelector("[data-notes-empty]");
  const marks = root.querySelector("[data-timeline-notes]");
  const text = form.elements.text;
  const error = form.querySelector("[data-note-error]");
  const csrfToken = root.dataset.csrfToken;
  const notes = SIDES.flatMap((side) => (config.notes?.[side] || []).map((note) => ({ side, note })));
  let moment = null; // { a: {time, waiting}, b: ..., resume } while the form is open
  let saving = false;

  const positionOf = ({ side, note }) => positionFrom(axis, side, note.start).position;

  function item(entry) {
    const { side, note } = entry;
    const element = document.createElement("li");
    element.className = "compare-note";
    element.dataset.noteSide = side;
    element.dataset.noteId = String(note.id);
    const time = document.createElement("a");
    time.className = "compare-note-time";
    // Read-only (the sample, a share link): this page at that moment, as the server renders it.
    time.href = config.read_only
      ? `?${side}=${note.start.toFixed(3)}`
      : `${config[side].page_url}?t=${note.start.toFixed(3)}`;
    time.dataset.noteSeek = "";
    time.textContent = `${side.toUpperCase()} ${tenthsClock(note.start)}`; // the page's one clock
    const body = document.createElement("div");
    body.className = "compare-note-text";
    body.innerHTML = note.html; // sanitised by the server (see above)
    element.append(time);
    if (note.author_name) {
      // Whose note: a team's notes on a comparison are everyone's to read.
      const author = document.createElement("span");
      author.className = "compare-note-author muted";
      author.dataset.noteAuthor = "";
      author.textContent = note.author_name;
      element.append(" ", author);
    }
    element.append(body);
    return element;
  }

  function mark(entry) {
    const element = document.createElement("span");
    element.className = `timeline-note-mark timeline-note-mark-${entry.side}`;
    element.style.left = `${axis.total ? (100 * positionOf(entry)) / axis.total : 0}%`;
    return element;
  }

  function render() {
    // Along the timeline, so A's and B's notes on one moment sit together.
    const ordered = [...notes].sort((first, second) => positionOf(first) - positionOf(second));
    list.replaceChildren(...ordered.map(item));
    marks?.replaceChildren(...ordered.map(mark));
    empty.hidden = notes.length > 0;
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function open() {
    const resume = player.playing();
    player.pause();
    moment = { resume };
    for (const side of SIDES) {
      const target = player.now(side); // the middle of the frame this side shows
      moment[side] = target;
      const radio = form.querySelector(`input[name="side"][value="${side}"]`);
      radio.disabled = target.waiting; // nothing of this video is on screen at this moment
      form.querySelector(`[data-note-side-time="${side}"]`).textContent = target.waiting
        ? "(not in this stretch)"
        : `at ${tenthsClock(target.time)}`;
    }
    const chosen = form.querySelector('input[name="side"]:checked');
    if (!chosen || chosen.disabled) {
      form.querySelector(`input[name="side"][value="${moment.a.waiting ? "b" : "a"}"]`).checked = true;
    }
    showError("");
    form.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    text.focus();
  }

  function close({ resume = false } = {}) {
    const wasPlaying = moment?.resume;
    moment = null;
    form.hidden = true;
    text.value = "";
    openButton.setAttribute("aria-expanded", "false");
    openButton.focus();
    if (resume && wasPlaying) {
      player.play();
    }
  }

  async function save() {
    if (!moment || saving) {
      return;
    }
    const side = form.querySelector('input[name="side"]:checked')?.value;
    if (!side || moment[side].waiting) {
      showError("Choose a video that shows this moment.");
      return;
    }
    if (!text.value.trim()) {
      showError("Write the note first.");
      text.focus();
      return;
    }
    saving = true;
    try {
      const start = Math.round(moment[side].time * 1000) / 1000;
      const note = await requestJson(config[side].notes_url, {
        method: "POST",
        csrfToken,
        json: { start, text: text.value },
      });
      notes.push({ side, note });
      render();
      const said = `Note added on ${side.toUpperCase()} at ${tenthsClock(note.start)}.`;
      root.querySelector("[data-sync-status]").textContent = said;
      close({ resume: true });
    } catch (failure) {
      showError(failure instanceof ApiError ? failure.message : "The note could not be saved; try again.");
    } finally {
      saving = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      save();
    } else if (event.key === "Escape") {
      event.preventDefault();
      close({ resume: true });
    }
  });
  form.querySelector("[data-note-cancel]").addEventListener("click", () => close({ resume: true }));
  openButton.addEventListener("click", () => (form.hidden ? open() : close()));
  openButton.setAttribute("aria-expanded", "false");
  list.addEventListener("click", (event) => {
    const link = event.target.closest("[data-note-seek]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // a new tab: the link opens that video's page at the note
    }
    const element = link.closest("[data-note-id]");
    const entry = notes.find(
      ({ side, note }) => side === element.dataset.noteSide && String(note.id) === element.dataset.noteId,
    );
    if (entry) {
      event.preventDefault();
      player.seek(positionOf(entry), { exact: entry.side });
    }
  });

  render();
  if (config.read_only) {
    // The shared sample: its notes to read and follow, none to add.
    openButton.hidden = true;
    return { open() {} };
  }
  return { open: () => (form.hidden ? open() : text.focus()) };
}
