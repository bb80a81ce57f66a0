// Notes changed elsewhere: the live "note" event (an AI note written, its frame still made) and,
// while an AI note is being written, a poll of the list in case that event is missed.

import { PENDING_AI } from "./note.js";

const AI_POLL_MS = 4_000;

export function followNotes({ videoId, state, api, render, announce }) {
  let pollTimer = null;

  async function pollNotes() {
    let fresh;
    try {
      fresh = await api.list();
    } catch (error) {
      return; // offline for a moment: the next poll or live event tries again
    }
    // Only adds and updates: a note created meanwhile (after the list was read) must not vanish.
    for (const note of fresh) {
      if (state.pendingDelete?.note.id !== note.id) {
        state.notes.set(note.id, note);
      }
    }
    render();
  }

  function schedulePoll() {
    const writing = [...state.notes.values()].some((note) => PENDING_AI.has(note.ai_status));
    if (!writing || pollTimer !== null) {
      return;
    }
    pollTimer = window.setTimeout(async () => {
      await pollNotes();
      pollTimer = null;
      schedulePoll();
    }, AI_POLL_MS);
  }

  document.addEventListener("sage:event", (event) => {
    const message = event.detail;
    if (!message || message.type !== "note" || !message.data || message.data.video_id !== videoId) {
      return;
    }
    const note = message.data;
    if (state.pendingDelete?.note.id === note.id) {
      state.pendingDelete.note = note; // Undo brings back the filled note
      return;
    }
    const before = state.notes.get(note.id);
    // A live event goes to every member, so it carries no `can_change`: keep what the API said.
    state.notes.set(note.id, { ...note, can_change: note.can_change ?? before?.can_change ?? null });
    render();
    if (before && PENDING_AI.has(before.ai_status) && !PENDING_AI.has(note.ai_status)) {
      const outcome = note.ai_status === "done" ? "is written" : "could not be written";
      announce(`The ${note.ai_generated ? "AI note" : "transcript excerpt"} at ${note.start_label} ${outcome}.`);
    }
  });

  return { schedulePoll };
}
