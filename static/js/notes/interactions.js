// The panel's pointer and keyboard: a click on a note (or its mark) seeks there, a double click or
// Edit edits it, Delete deletes it; the filter box filters (Escape clears it); "Add note" or N
// opens the editor.

// Where N is a letter being typed, not the shortcut.
const TYPING_TARGETS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

export function bindPanelEvents({ root, parts, state, player, view, editor, undo }) {
  const { addButton, filterInput, list, timeline } = parts;

  function noteOf(element) {
    const item = element.closest("[data-note-id]");
    return item ? state.notes.get(Number(item.dataset.noteId)) : undefined;
  }
  // What the access policy lets this member do (the server's answers): take notes (the panel's
  // `data-can-create`), change or delete a note (its `can_change`).
  const canCreate = root.querySelector("[data-notes-panel]")?.dataset.canCreate !== "false";
  const changeable = (note) => note.can_change === true;

  list.addEventListener("click", (event) => {
    const target = event.target;
    const note = noteOf(target);
    if (!note || target.closest(".note-editor")) {
      return;
    }
    if (target.closest("[data-note-edit]")) {
      if (changeable(note)) {
        editor.open(note);
      }
    } else if (target.closest("[data-note-delete]")) {
      if (changeable(note)) {
        undo.deleteNote(note.id);
      }
    } else if (target.closest("[data-note-seek]")) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || !player.ready()) {
        return; // a new tab, or no player to drive: the link opens the page at ?t=
      }
      event.preventDefault();
      player.seekTo(note.start);
    } else if (!target.closest("a") && target.closest(".note-body") && window.getSelection().isCollapsed) {
      player.seekTo(note.start); // not a link in the text, nor the end of selecting text to copy
    }
  });

  list.addEventListener("dblclick", (event) => {
    const note = noteOf(event.target);
    if (note && changeable(note) && event.target.closest(".note-body")) {
      window.getSelection().removeAllRanges(); // the double click selected a word
      editor.open(note);
    }
  });

  timeline?.addEventListener("click", (event) => {
    const mark = event.target.closest(".notes-timeline-mark");
    const note = mark ? state.notes.get(Number(mark.dataset.noteId)) : undefined;
    if (note) {
      player.seekTo(note.start);
    }
  });
  // Without a duration from the server the marks wait for the player's (media events do not bubble).
  root.addEventListener("loadedmetadata", () => view.render(), true);

  filterInput.addEventListener("input", () => view.render());
  filterInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && filterInput.value) {
      filterInput.value = "";
      view.render();
    }
  });

  if (!canCreate) {
    return; // a viewer reads and exports notes: no Add, no N
  }
  addButton.addEventListener("click", () => editor.open());
  addButton.hidden = false;
  addButton.setAttribute("aria-expanded", "false");

  document.addEventListener("keydown", (event) => {
    if (event.key !== "n" && event.key !== "N") {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.isComposing || event.defaultPrevented) {
      return;
    }
    if (event.target instanceof Element && event.target.closest(TYPING_TARGETS)) {
      return;
    }
    event.preventDefault(); // the N must not land in the editor's text box
    editor.open();
  });
}
