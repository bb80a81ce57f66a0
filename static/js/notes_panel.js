// The notes panel on the video page: my notes on this video, ordered by time, beside the player.
//
// "Add note" or N pauses playback and opens an editor at the current time; Enter (or Save) creates
// the note, Escape cancels, and playback goes on if it was playing. A click on a note seeks there; a
// double click (or Edit) edits it in place. Delete hides a note at once behind an Undo toast: the
// DELETE request goes out only when the toast expires (or when the page is left), so Undo needs no
// request. Marks on a strip under the player show where the notes are. A note saved with empty text
// while AI notes are on is written by the server: it shows "writing…" until its live "note" event
// (or, if that event is missed, a poll) brings the text.
//
// A note comes with `text` (what I wrote: edited and filtered as text) and `html` (the server's
// rendering of a safe Markdown subset, sanitised there). Only `html` is ever inserted as HTML.
//
// The parts live in ./notes/: api.js, player.js, list.js and marks.js (what the panel shows),
// editor.js, undo.js (delete with an Undo toast), live.js (AI notes being written) and
// interactions.js (clicks and keys).

import { readJsonScript } from "./shared/page_data.js";
import { notesApi } from "./notes/api.js";
import { noteEditor } from "./notes/editor.js";
import { bindPanelEvents } from "./notes/interactions.js";
import { notesListView } from "./notes/list.js";
import { followNotes } from "./notes/live.js";
import { notesPlayer } from "./notes/player.js";
import { deleteWithUndo } from "./notes/undo.js";

function panelParts(root, panel) {
  return {
    addButton: panel.querySelector("[data-notes-add]"),
    editorSlot: panel.querySelector("[data-notes-editor-slot]"),
    editorTemplate: panel.querySelector("[data-note-editor-template]"),
    itemTemplate: panel.querySelector("[data-note-item-template]"),
    filterBox: panel.querySelector("[data-notes-filter-box]"),
    filterInput: panel.querySelector("[data-notes-filter]"),
    status: panel.querySelector("[data-notes-status]"),
    list: panel.querySelector("[data-notes-list]"),
    toast: panel.querySelector("[data-notes-toast]"),
    toastText: panel.querySelector("[data-notes-toast-text]"),
    undoButton: panel.querySelector("[data-notes-undo]"),
    announcer: panel.querySelector("[data-notes-announce]"),
    timeline: root.querySelector("[data-notes-timeline]"),
  };
}

export function setUpNotesPanel(root, currentPlayer) {
  const panel = root.querySelector("[data-notes-panel]");
  if (!panel) {
    return;
  }
  const parts = panelParts(root, panel);
  const state = {
    notes: new Map(), // id → the note as the API last gave it
    items: new Map(), // id → { note, element }: an item is rebuilt only when its note changes
    editor: null, // the one open editor: { form, noteId (null when adding), item, ... }
    pendingDelete: null, // { note, timer }: deleted on the page, not yet on the server
  };
  const api = notesApi(panel);
  const player = notesPlayer(panel, currentPlayer);
  const announce = (message) => {
    parts.announcer.textContent = message;
  };
  // The list and the live updates need each other: a render may start the poll, a poll renders.
  const videoId = Number(root.dataset.videoId);
  const live = followNotes({ videoId, state, api, render: () => view.render(), announce });
  const view = notesListView({ parts, state, player, afterRender: live.schedulePoll });
  const aiNotesOn = panel.dataset.aiNotes === "true";
  const editor = noteEditor({ root, parts, state, api, player, view, announce, aiNotesOn });
  const undo = deleteWithUndo({ parts, state, api, view, announce });
  bindPanelEvents({ root, parts, state, player, view, editor, undo });

  // The page came with the notes (the list it rendered for readers without JavaScript).
  const initial = readJsonScript("video-notes");
  for (const note of Array.isArray(initial) ? initial : []) {
    state.notes.set(note.id, note);
  }
  view.render();
}
