// Deleting a note: it leaves the page at once, behind an Undo toast, and the DELETE request goes
// out only when the toast expires (or when the page is left), so Undo needs no request. A delete
// the server refuses puts the note back with a word about why.

import { timeLabel } from "./note.js";

const UNDO_MS = 6_000;
const REFUSED = "This note is not yours to delete.";

async function refusalText(response) {
  try {
    const body = await response.json();
    return body?.error?.message || REFUSED;
  } catch {
    return REFUSED;
  }
}

export function deleteWithUndo({ parts, state, api, view, announce }) {
  const { addButton, status, toast, toastText, undoButton } = parts;

  function startUndoTimer() {
    window.clearTimeout(state.pendingDelete.timer);
    state.pendingDelete.timer = window.setTimeout(() => commitDelete(), UNDO_MS);
  }

  function hideToast() {
    const hadFocus = toast.contains(document.activeElement);
    toast.hidden = true;
    if (hadFocus) {
      addButton.focus(); // focus must not be lost with the toast
    }
  }

  async function commitDelete({ keepalive = false } = {}) {
    const pending = state.pendingDelete;
    if (!pending) {
      return;
    }
    window.clearTimeout(pending.timer);
    state.pendingDelete = null;
    hideToast();
    try {
      const response = await api.remove(pending.note.id, { keepalive });
      if (response.ok || response.status === 404) {
        return; // 404: it was already gone
      }
      if (response.status === 403) {
        // Refused (the member's role changed since the page was read): the note comes back without
        // its Edit and Delete, and the policy's sentence says what role it takes. Nothing to retry.
        refused(pending.note, await refusalText(response));
        return;
      }
    } catch (error) {
      if (keepalive) {
        return; // the page is going away: nothing left to tell
      }
    }
    // The server kept it: it comes back, with a word about why.
    state.notes.set(pending.note.id, pending.note);
    view.render();
    announce(`The note at ${pending.note.start_label} could not be deleted. Try again.`);
    status.textContent = `The note at ${pending.note.start_label} could not be deleted. Try again.`;
  }

  function refused(note, text) {
    state.notes.set(note.id, { ...note, can_change: false });
    view.render();
    announce(text);
    status.textContent = text;
  }

  function deleteNote(id) {
    const note = state.notes.get(id);
    if (!note) {
      return;
    }
    if (state.pendingDelete) {
      commitDelete(); // its toast is about to be replaced: the earlier delete goes through now
    }
    // Focus moves to the neighbouring note, so the keyboard stays in the list.
    const ordered = view.shownNotesByTime();
    const index = ordered.findIndex((other) => other.id === id);
    const neighbour = ordered[index + 1] ?? ordered[index - 1] ?? null;
    state.notes.delete(id);
    view.render();
    if (neighbour) {
      view.focusNote(neighbour.id);
    } else {
      addButton.focus();
    }
    state.pendingDelete = { note, timer: null };
    toastText.textContent = `Note at ${timeLabel(note)} deleted.`;
    toast.hidden = false;
    announce(`Note at ${timeLabel(note)} deleted. Undo is in the message at the bottom of the notes.`);
    startUndoTimer();
  }

  function undoDelete() {
    const pending = state.pendingDelete;
    if (!pending) {
      return;
    }
    window.clearTimeout(pending.timer);
    state.pendingDelete = null;
    state.notes.set(pending.note.id, pending.note);
    view.render();
    toast.hidden = true;
    view.focusNote(pending.note.id);
    announce(`Note at ${timeLabel(pending.note)} restored.`);
  }

  // While the pointer or the keyboard is on the toast it stays; it expires a full period after.
  const toastEvents = [["pointerenter", true], ["pointerleave", false], ["focusin", true], ["focusout", false]];
  for (const [type, pause] of toastEvents) {
    toast.addEventListener(type, (event) => {
      if (!state.pendingDelete || (type === "focusout" && toast.contains(event.relatedTarget))) {
        return;
      }
      if (pause) {
        window.clearTimeout(state.pendingDelete.timer);
      } else if (!toast.matches(":hover") && !toast.contains(document.activeElement)) {
        startUndoTimer();
      }
    });
  }
  undoButton.addEventListener("click", undoDelete);
  // A delete still waiting for its toast goes through when the page is left (keepalive lets the
  // request outlive the page).
  window.addEventListener("pagehide", () => commitDelete({ keepalive: true }));

  return { deleteNote };
}
