// The list of notes, ordered by time and filtered by the words in the filter box, with the marks
// under the player and the status line. An item is rebuilt only when its note changes, and moved
// only when its place changes, so focus survives a render.

import { renderMarks } from "./marks.js";
import { PENDING_AI, byTime, matches, timeLabel } from "./note.js";

const FAILED_AI_TEXT = "This note could not be written; nothing was charged for it.";

function fillText(element, note) {
  element.classList.toggle("note-text-pending", PENDING_AI.has(note.ai_status));
  element.classList.toggle("note-text-failed", note.ai_status === "failed"); // the text says why
  if (note.ai_status === "waiting") {
    element.textContent = "waiting for the transcript…";
  } else if (note.ai_status === "generating") {
    // The text of a note being written is what the writer says meanwhile ("Gemini is busy; retrying in 8 s …").
    element.textContent = note.text ? `writing… ${note.text}` : "writing…";
  } else if (note.ai_status === "failed" && !note.text) {
    element.textContent = FAILED_AI_TEXT;
  } else {
    element.innerHTML = note.html; // sanitised by the server: the only HTML this panel inserts
  }
}

function buildItem(itemTemplate, note) {
  // The same markup the server renders for each note (templates/videos/partials/note_item.html).
  const label = timeLabel(note);
  const item = itemTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.noteId = String(note.id);
  item.classList.toggle("note-ai", note.ai_generated);
  const time = item.querySelector("[data-note-seek]");
  time.textContent = `[${label}]`;
  time.href = `?t=${note.start}`;
  time.setAttribute("aria-label", `Play from ${note.start_label}`);
  // Who wrote it (a team's notes are everyone's in it), as text: a person's own name.
  item.querySelector("[data-note-author]").textContent = note.author_name || "";
  // Written for the person: by the language model (an AI note), or quoted from the transcript
  // (an excerpt, made without a model).
  const badge = item.querySelector("[data-note-ai]");
  badge.hidden = !note.ai_generated && !note.ai_status;
  badge.textContent = note.ai_generated ? "AI-written" : "Transcript excerpt";
  fillText(item.querySelector("[data-note-text]"), note);
  const frame = item.querySelector("[data-note-frame]");
  frame.hidden = !note.frame_url;
  if (note.frame_url) {
    frame.src = note.frame_url;
    frame.alt = `The picture at ${note.start_label}`;
  }
  // Edit and Delete only where the access policy lets this member (`can_change`: a commenter their own).
  item.querySelector("[data-note-actions]").hidden = note.can_change !== true;
  const edit = item.querySelector("[data-note-edit]");
  edit.setAttribute("aria-label", `Edit the note at ${label}`);
  item.querySelector("[data-note-delete]").setAttribute("aria-label", `Delete the note at ${label}`);
  return item;
}

function placeItems(list, elements) {
  // Moves only what moved, so a focused button that stays in the list keeps its focus.
  let cursor = list.firstElementChild;
  for (const element of elements) {
    if (element === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      list.insertBefore(element, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

function statusText(total, shownCount, query) {
  if (total === 0) {
    return "No notes yet. Press N or “Add note” to write one at the moment you are watching.";
  }
  if (!query) {
    return "";
  }
  return shownCount === 0 ? "No note contains these words." : `${shownCount} of ${total} notes`;
}

export function notesListView({ parts, state, player, afterRender }) {
  const { list, itemTemplate, filterBox, filterInput, status, timeline } = parts;

  function itemFor(note) {
    const cached = state.items.get(note.id);
    if (cached && cached.note === note) {
      return cached.element;
    }
    const element = buildItem(itemTemplate, note);
    state.items.set(note.id, { note, element });
    return element;
  }

  function render() {
    const query = filterInput.value.trim().toLowerCase();
    const ordered = [...state.notes.values()].sort(byTime);
    const editor = state.editor;
    let shownCount = 0;
    const elements = ordered.map((note) => {
      const element = editor && editor.noteId === note.id ? editor.item : itemFor(note);
      const shown = matches(note, query) || element === editor?.item; // never hide what is being edited
      element.hidden = !shown;
      shownCount += shown ? 1 : 0;
      return element;
    });
    for (const id of state.items.keys()) {
      if (!state.notes.has(id)) {
        state.items.delete(id);
      }
    }
    placeItems(list, elements);
    filterBox.hidden = ordered.length === 0 && !query;
    status.textContent = statusText(ordered.length, shownCount, query);
    if (timeline) {
      const shown = ordered.filter((note) => matches(note, query));
      renderMarks(timeline, shown, { duration: player.duration(), total: state.notes.size });
    }
    afterRender();
  }

  function focusNote(id, selector = "[data-note-seek]") {
    const element = state.items.get(id)?.element;
    element?.querySelector(selector)?.focus();
  }

  function shownNotesByTime() {
    return [...state.notes.values()].sort(byTime).filter((note) => !state.items.get(note.id)?.element.hidden);
  }

  return { render, focusNote, shownNotesByTime };
}
