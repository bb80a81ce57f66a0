// The one note editor: "Add note" (or N) opens it at the current time, pausing playback; Edit (or
// a double click) opens it in place of a note. Enter or Save sends it, Escape cancels, and playback
// goes on if it was playing. What was typed is never dropped: a second editor waits until this one
// is saved or cancelled. The server's message for a bad field is shown beside that field.

import { showRefusal } from "../shared/buy.js";
import { clock } from "../shared/clock.js";
import { PENDING_AI, hasEnd, timeLabel } from "./note.js";

const EDITOR_FIELDS = ["start", "end", "text"];

export function noteEditor({ root, parts, state, api, player, view, announce, aiNotesOn }) {
  const { addButton, editorSlot, editorTemplate } = parts;

  function editorValues(form) {
    return Object.fromEntries(EDITOR_FIELDS.map((name) => [name, form.elements[name].value]));
  }

  function editorChanged() {
    const { form, initial } = state.editor;
    const now = editorValues(form);
    return EDITOR_FIELDS.some((name) => now[name] !== initial[name]);
  }

  // `refusal`: the ApiError, whose refusal for tokens (an AI note) offers the pack to buy.
  function showEditorError(message, field = null, refusal = null) {
    const { form } = state.editor;
    const error = form.querySelector("[data-note-error]");
    for (const name of EDITOR_FIELDS) {
      form.elements[name].removeAttribute("aria-invalid");
    }
    showRefusal(error, message, refusal);
    if (field) {
      form.elements[field].setAttribute("aria-invalid", "true");
      form.elements[field].focus();
    }
  }

  function openEditor(note = null) {
    const noteId = note ? note.id : null;
    if (state.editor) {
      if (state.editor.noteId === noteId || editorChanged()) {
        // Never drop what was typed: the open editor stays until it is saved or cancelled.
        if (state.editor.noteId !== noteId) {
          showEditorError("Save or cancel this note first.");
        }
        state.editor.form.elements.text.focus();
        return;
      }
      closeEditor({ restoreFocus: false });
    }
    const ready = player.ready();
    const wasPlaying = Boolean(ready && ready.isPlaying());
    if (wasPlaying) {
      ready.pause(); // "pause while you type"; playback goes on after Save or Cancel
    }
    const form = editorTemplate.content.firstElementChild.cloneNode(true);
    let startSeconds = null;
    if (note) {
      form.elements.start.value = note.start_label;
      form.elements.end.value = hasEnd(note) ? note.end_label : "";
      // A note being written holds only the writer's status ("retrying in 8 s"), not words of its own.
      form.elements.text.value = PENDING_AI.has(note.ai_status) ? "" : note.text;
    } else {
      startSeconds = ready ? ready.currentTime() : Number(root.dataset.start) || 0;
      form.elements.start.value = clock(startSeconds);
    }
    // Only a new note with empty text is written by AI (the API's rule).
    form.elements.text.placeholder =
      !note && aiNotesOn ? "Write a note, or leave it empty for AI to write one" : "Write a note";
    form.setAttribute("aria-label", note ? `Edit the note at ${timeLabel(note)}` : "New note");
    state.editor = {
      form,
      noteId,
      item: null,
      startSeconds, // the exact time behind the rounded label, sent while the label is left as it is
      initial: editorValues(form),
      wasPlaying,
      returnFocus: document.activeElement,
      saving: false,
    };
    if (note) {
      const item = state.items.get(note.id).element;
      item.replaceChildren(form);
      item.classList.add("is-editing");
      state.editor.item = item;
      state.items.delete(note.id); // rebuilt from its note when the editor closes
    } else {
      editorSlot.replaceChildren(form);
      addButton.setAttribute("aria-expanded", "true");
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveEditor();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        cancelEditor();
      } else if (event.key === "Enter" && event.target.name === "text" && !event.shiftKey && !event.isComposing) {
        event.preventDefault(); // Shift+Enter is the new line
        form.requestSubmit();
      }
    });
    form.querySelector("[data-note-cancel]").addEventListener("click", () => cancelEditor());
    const text = form.elements.text;
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
    view.render();
  }

  function closeEditor({ restoreFocus = true } = {}) {
    const closed = state.editor;
    state.editor = null;
    if (closed.noteId === null) {
      editorSlot.replaceChildren();
      addButton.setAttribute("aria-expanded", "false");
    } else {
      closed.item.remove(); // render() puts a fresh item for the note in its place
    }
    view.render();
    if (closed.wasPlaying) {
      player.ready()?.play();
    }
    if (!restoreFocus) {
      return;
    }
    if (closed.noteId !== null && state.notes.has(closed.noteId)) {
      view.focusNote(closed.noteId, "[data-note-edit]");
    } else if (closed.returnFocus?.isConnected && closed.returnFocus !== document.body) {
      closed.returnFocus.focus();
    } else {
      addButton.focus();
    }
  }

  function cancelEditor() {
    if (state.editor && !state.editor.saving) {
      closeEditor();
    }
  }

  function editorPayload() {
    const { form, noteId, initial, startSeconds } = state.editor;
    const values = editorValues(form);
    const start = values.start.trim();
    const end = values.end.trim();
    if (noteId === null) {
      const payload = { start: start === initial.start ? startSeconds : start, text: values.text };
      if (end) {
        payload.end = end;
      }
      return payload;
    }
    // Editing sends what changed; clearing End makes a range note a point again.
    const payload = {};
    if (start !== initial.start.trim()) {
      payload.start = start;
    }
    if (end !== initial.end.trim()) {
      payload.end = end || null;
    }
    if (values.text !== initial.text) {
      payload.text = values.text;
    }
    return payload;
  }

  async function saveEditor() {
    if (!state.editor || state.editor.saving) {
      return;
    }
    const current = state.editor;
    const payload = editorPayload();
    if (current.noteId !== null && Object.keys(payload).length === 0) {
      closeEditor(); // nothing changed
      return;
    }
    current.saving = true;
    for (const button of current.form.querySelectorAll("button")) {
      button.disabled = true;
    }
    try {
      const note = current.noteId === null ? await api.create(payload) : await api.update(current.noteId, payload);
      state.notes.set(note.id, note);
      current.saving = false;
      if (state.editor === current) {
        closeEditor();
      } else {
        view.render();
      }
      if (current.noteId !== null) {
        announce(`Note at ${note.start_label} saved.`);
      } else if (PENDING_AI.has(note.ai_status)) {
        announce(`${note.ai_generated ? "AI note" : "Transcript excerpt"} added at ${note.start_label}: it is being written.`);
      } else {
        announce(`Note added at ${note.start_label}.`);
      }
    } catch (error) {
      current.saving = false;
      for (const button of current.form.querySelectorAll("button")) {
        button.disabled = false;
      }
      if (state.editor !== current) {
        return;
      }
      const field = EDITOR_FIELDS.find((name) => error.fields?.[name]?.length);
      showEditorError(field ? error.fields[field][0] : error.message, field ?? null, error);
      if (!field) {
        current.form.elements.text.focus();
      }
    }
  }

  return { open: openEditor };
}
