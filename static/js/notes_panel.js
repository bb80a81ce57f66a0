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

const UNDO_MS = 6_000;
const AI_POLL_MS = 4_000; // while an AI note is being written, in case its live event is missed
const PENDING_AI = new Set(["waiting", "generating"]);
// Where N is a letter being typed, not the shortcut.
const TYPING_TARGETS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
const EDITOR_FIELDS = ["start", "end", "text"];
const FAILED_AI_TEXT = "The AI could not write this note; its tokens were refunded.";

class NotesApiError extends Error {
  constructor(message, { status = 0, fields = {} } = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

function clock(seconds) {
  // The server's `mm:ss` / `h:mm:ss` (sage.formatting.clock), for the editor's start field.
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const two = (number) => String(number).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(whole % 60)}` : `${two(minutes)}:${two(whole % 60)}`;
}

function timeLabel(note) {
  return note.end === null || note.end === undefined ? note.start_label : `${note.start_label}–${note.end_label}`;
}

function readInitialNotes() {
  const element = document.getElementById("video-notes");
  try {
    const initial = JSON.parse(element.textContent);
    return Array.isArray(initial) ? initial : [];
  } catch (error) {
    return [];
  }
}

function byTime(first, second) {
  return first.start - second.start || first.id - second.id;
}

export function setUpNotesPanel(root, currentPlayer) {
  const panel = root.querySelector("[data-notes-panel]");
  if (!panel) {
    return;
  }
  const videoId = Number(root.dataset.videoId);
  const listUrl = panel.dataset.notesUrl;
  const noteUrl = (id) => `${panel.dataset.noteUrl}${encodeURIComponent(id)}`;
  const csrfToken = panel.dataset.csrfToken || "";
  const aiNotesOn = panel.dataset.aiNotes === "true";

  const addButton = panel.querySelector("[data-notes-add]");
  const editorSlot = panel.querySelector("[data-notes-editor-slot]");
  const editorTemplate = panel.querySelector("[data-note-editor-template]");
  const itemTemplate = panel.querySelector("[data-note-item-template]");
  const filterBox = panel.querySelector("[data-notes-filter-box]");
  const filterInput = panel.querySelector("[data-notes-filter]");
  const status = panel.querySelector("[data-notes-status]");
  const list = panel.querySelector("[data-notes-list]");
  const toast = panel.querySelector("[data-notes-toast]");
  const toastText = panel.querySelector("[data-notes-toast-text]");
  const undoButton = panel.querySelector("[data-notes-undo]");
  const announcer = panel.querySelector("[data-notes-announce]");
  const timeline = root.querySelector("[data-notes-timeline]");

  const notes = new Map(); // id → the note as the API last gave it
  const items = new Map(); // id → { note, element }: an item is rebuilt only when its note changes
  let editor = null; // the one open editor: { form, noteId (null when adding), item, ... }
  let pendingDelete = null; // { note, timer }: deleted on the page, not yet on the server
  let pollTimer = null;

  // ---- the API ---------------------------------------------------------------------------------

  async function api(method, url, json) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
    };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new NotesApiError("The connection to the server was lost. Try again.");
    }
    if (response.status === 204) {
      return null;
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      // An empty body or a proxy's HTML page: the status says enough.
    }
    if (!response.ok) {
      const message = payload?.error?.message ?? `The server answered ${response.status}.`;
      throw new NotesApiError(message, { status: response.status, fields: payload?.error?.fields ?? {} });
    }
    return payload;
  }

  function sendDelete(note, { keepalive = false } = {}) {
    return fetch(noteUrl(note.id), {
      method: "DELETE",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      keepalive, // lets the request outlive the page when it is being left
    });
  }

  // ---- the player ----------------------------------------------------------------------------------

  function readyPlayer() {
    const player = currentPlayer();
    return player && player.isReady() ? player : null;
  }

  function seekTo(seconds) {
    const player = readyPlayer();
    if (player) {
      player.seek(seconds);
      player.play();
    }
  }

  function videoDuration() {
    const known = Number(panel.dataset.duration);
    if (known > 0) {
      return known;
    }
    return readyPlayer()?.duration() || null;
  }

  // ---- rendering -------------------------------------------------------------------------------------

  function announce(message) {
    announcer.textContent = message;
  }

  function filterQuery() {
    return filterInput.value.trim().toLowerCase();
  }

  function matches(note, query) {
    return !query || note.text.toLowerCase().includes(query);
  }

  function fillText(element, note) {
    element.classList.toggle("note-text-pending", PENDING_AI.has(note.ai_status));
    element.classList.toggle("note-text-failed", note.ai_status === "failed"); // the text says why
    if (note.ai_status === "waiting") {
      element.textContent = "waiting for the transcript…";
    } else if (note.ai_status === "generating") {
      element.textContent = "writing…";
    } else if (note.ai_status === "failed" && !note.text) {
      element.textContent = FAILED_AI_TEXT;
    } else {
      element.innerHTML = note.html; // sanitised by the server: the only HTML this panel inserts
    }
  }

  function buildItem(note) {
    // The same markup the server renders for each note (templates/videos/partials/note_item.html).
    const label = timeLabel(note);
    const item = itemTemplate.content.firstElementChild.cloneNode(true);
    item.dataset.noteId = String(note.id);
    item.classList.toggle("note-ai", note.ai_generated);
    const time = item.querySelector("[data-note-seek]");
    time.textContent = `[${label}]`;
    time.href = `?t=${note.start}`;
    time.setAttribute("aria-label", `Play from ${note.start_label}`);
    item.querySelector("[data-note-ai]").hidden = !note.ai_generated;
    fillText(item.querySelector("[data-note-text]"), note);
    const frame = item.querySelector("[data-note-frame]");
    frame.hidden = !note.frame_url;
    if (note.frame_url) {
      frame.src = note.frame_url;
      frame.alt = `The picture at ${note.start_label}`;
    }
    item.querySelector("[data-note-actions]").hidden = false;
    const edit = item.querySelector("[data-note-edit]");
    edit.setAttribute("aria-label", `Edit the note at ${label}`);
    item.querySelector("[data-note-delete]").setAttribute("aria-label", `Delete the note at ${label}`);
    return item;
  }

  function itemFor(note) {
    const cached = items.get(note.id);
    if (cached && cached.note === note) {
      return cached.element;
    }
    const element = buildItem(note);
    items.set(note.id, { note, element });
    return element;
  }

  function placeItems(elements) {
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

  function renderMarks(ordered, query) {
    if (!timeline) {
      return;
    }
    const duration = videoDuration();
    const shown = ordered.filter((note) => matches(note, query));
    timeline.hidden = !duration || notes.size === 0;
    if (timeline.hidden) {
      timeline.replaceChildren();
      return;
    }
    const percent = (seconds) => `${Math.min(100, Math.max(0, (seconds / duration) * 100))}%`;
    timeline.replaceChildren(
      ...shown.map((note) => {
        const mark = document.createElement("span");
        mark.className = "notes-timeline-mark";
        mark.classList.toggle("notes-timeline-range", note.end !== null && note.end !== undefined);
        mark.classList.toggle("note-ai", note.ai_generated);
        mark.dataset.noteId = String(note.id);
        mark.style.left = percent(note.start);
        if (note.end !== null && note.end !== undefined) {
          mark.style.width = `calc(${percent(note.end)} - ${percent(note.start)})`;
        }
        mark.title = `[${timeLabel(note)}] ${note.text}`.trim();
        return mark;
      }),
    );
  }

  function renderStatus(ordered, shownCount, query) {
    if (ordered.length === 0) {
      status.textContent = "No notes yet. Press N or “Add note” to write one at the moment you are watching.";
    } else if (!query) {
      status.textContent = "";
    } else if (shownCount === 0) {
      status.textContent = "No note contains these words.";
    } else {
      status.textContent = `${shownCount} of ${ordered.length} notes`;
    }
  }

  function render() {
    const query = filterQuery();
    const ordered = [...notes.values()].sort(byTime);
    let shownCount = 0;
    const elements = ordered.map((note) => {
      const element = editor && editor.noteId === note.id ? editor.item : itemFor(note);
      const shown = matches(note, query) || element === editor?.item; // never hide what is being edited
      element.hidden = !shown;
      shownCount += shown ? 1 : 0;
      return element;
    });
    for (const id of items.keys()) {
      if (!notes.has(id)) {
        items.delete(id);
      }
    }
    placeItems(elements);
    filterBox.hidden = ordered.length === 0 && !query;
    renderStatus(ordered, shownCount, query);
    renderMarks(ordered, query);
    schedulePoll();
  }

  function focusNote(id, selector = "[data-note-seek]") {
    const element = items.get(id)?.element;
    element?.querySelector(selector)?.focus();
  }

  // ---- loading, and AI notes being written -----------------------------------------------------------

  async function pollNotes() {
    let fresh;
    try {
      fresh = await api("GET", listUrl);
    } catch (error) {
      return; // offline for a moment: the next poll or live event tries again
    }
    // Only adds and updates: a note created meanwhile (after the list was read) must not vanish.
    for (const note of fresh) {
      if (pendingDelete?.note.id !== note.id) {
        notes.set(note.id, note);
      }
    }
    render();
  }

  function schedulePoll() {
    const writing = [...notes.values()].some((note) => PENDING_AI.has(note.ai_status));
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
    if (pendingDelete?.note.id === note.id) {
      pendingDelete.note = note; // Undo brings back the filled note
      return;
    }
    const before = notes.get(note.id);
    notes.set(note.id, note);
    render();
    if (before && PENDING_AI.has(before.ai_status) && !PENDING_AI.has(note.ai_status)) {
      const outcome = note.ai_status === "done" ? "is written" : "could not be written";
      announce(`The AI note at ${note.start_label} ${outcome}.`);
    }
  });

  // ---- the editor: adding and editing ----------------------------------------------------------------

  function editorValues(form) {
    return Object.fromEntries(EDITOR_FIELDS.map((name) => [name, form.elements[name].value]));
  }

  function editorChanged() {
    const now = editorValues(editor.form);
    return EDITOR_FIELDS.some((name) => now[name] !== editor.initial[name]);
  }

  function showEditorError(message, field = null) {
    const error = editor.form.querySelector("[data-note-error]");
    for (const name of EDITOR_FIELDS) {
      editor.form.elements[name].removeAttribute("aria-invalid");
    }
    error.textContent = message;
    error.hidden = !message;
    if (field) {
      editor.form.elements[field].setAttribute("aria-invalid", "true");
      editor.form.elements[field].focus();
    }
  }

  function openEditor(note = null) {
    const noteId = note ? note.id : null;
    if (editor) {
      if (editor.noteId === noteId || editorChanged()) {
        // Never drop what was typed: the open editor stays until it is saved or cancelled.
        if (editor.noteId !== noteId) {
          showEditorError("Save or cancel this note first.");
        }
        editor.form.elements.text.focus();
        return;
      }
      closeEditor({ restoreFocus: false });
    }
    const player = readyPlayer();
    const wasPlaying = Boolean(player && player.isPlaying());
    if (wasPlaying) {
      player.pause(); // "pause while you type"; playback goes on after Save or Cancel
    }
    const form = editorTemplate.content.firstElementChild.cloneNode(true);
    let startSeconds = null;
    if (note) {
      form.elements.start.value = note.start_label;
      form.elements.end.value = note.end === null || note.end === undefined ? "" : note.end_label;
      form.elements.text.value = note.text;
    } else {
      startSeconds = player ? player.currentTime() : Number(root.dataset.start) || 0;
      form.elements.start.value = clock(startSeconds);
    }
    // Only a new note with empty text is written by AI (the API's rule).
    form.elements.text.placeholder =
      !note && aiNotesOn ? "Write a note, or leave it empty for AI to write one" : "Write a note";
    form.setAttribute("aria-label", note ? `Edit the note at ${timeLabel(note)}` : "New note");
    editor = {
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
      const item = items.get(note.id).element;
      item.replaceChildren(form);
      item.classList.add("is-editing");
      editor.item = item;
      items.delete(note.id); // rebuilt from its note when the editor closes
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
    render();
  }

  function closeEditor({ restoreFocus = true } = {}) {
    const closed = editor;
    editor = null;
    if (closed.noteId === null) {
      editorSlot.replaceChildren();
      addButton.setAttribute("aria-expanded", "false");
    } else {
      closed.item.remove(); // render() puts a fresh item for the note in its place
    }
    render();
    if (closed.wasPlaying) {
      readyPlayer()?.play();
    }
    if (!restoreFocus) {
      return;
    }
    if (closed.noteId !== null && notes.has(closed.noteId)) {
      focusNote(closed.noteId, "[data-note-edit]");
    } else if (closed.returnFocus?.isConnected && closed.returnFocus !== document.body) {
      closed.returnFocus.focus();
    } else {
      addButton.focus();
    }
  }

  function cancelEditor() {
    if (editor && !editor.saving) {
      closeEditor();
    }
  }

  function editorPayload() {
    const values = editorValues(editor.form);
    const start = values.start.trim();
    const end = values.end.trim();
    if (editor.noteId === null) {
      const payload = { start: start === editor.initial.start ? editor.startSeconds : start, text: values.text };
      if (end) {
        payload.end = end;
      }
      return payload;
    }
    // Editing sends what changed; clearing End makes a range note a point again.
    const payload = {};
    if (start !== editor.initial.start.trim()) {
      payload.start = start;
    }
    if (end !== editor.initial.end.trim()) {
      payload.end = end || null;
    }
    if (values.text !== editor.initial.text) {
      payload.text = values.text;
    }
    return payload;
  }

  async function saveEditor() {
    if (!editor || editor.saving) {
      return;
    }
    const current = editor;
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
      const note =
        current.noteId === null
          ? await api("POST", listUrl, payload)
          : await api("PATCH", noteUrl(current.noteId), payload);
      notes.set(note.id, note);
      current.saving = false;
      if (editor === current) {
        closeEditor();
      } else {
        render();
      }
      if (current.noteId !== null) {
        announce(`Note at ${note.start_label} saved.`);
      } else if (PENDING_AI.has(note.ai_status)) {
        announce(`AI note added at ${note.start_label}: it is being written.`);
      } else {
        announce(`Note added at ${note.start_label}.`);
      }
    } catch (error) {
      current.saving = false;
      for (const button of current.form.querySelectorAll("button")) {
        button.disabled = false;
      }
      if (editor !== current) {
        return;
      }
      const field = EDITOR_FIELDS.find((name) => error.fields?.[name]?.length);
      showEditorError(field ? error.fields[field][0] : error.message, field ?? null);
      if (!field) {
        current.form.elements.text.focus();
      }
    }
  }

  // ---- deleting, with undo ---------------------------------------------------------------------------

  function startUndoTimer() {
    window.clearTimeout(pendingDelete.timer);
    pendingDelete.timer = window.setTimeout(() => commitDelete(), UNDO_MS);
  }

  function hideToast() {
    const hadFocus = toast.contains(document.activeElement);
    toast.hidden = true;
    if (hadFocus) {
      addButton.focus(); // focus must not be lost with the toast
    }
  }

  async function commitDelete({ keepalive = false } = {}) {
    const pending = pendingDelete;
    if (!pending) {
      return;
    }
    window.clearTimeout(pending.timer);
    pendingDelete = null;
    hideToast();
    try {
      const response = await sendDelete(pending.note, { keepalive });
      if (response.ok || response.status === 404) {
        return; // 404: it was already gone
      }
    } catch (error) {
      if (keepalive) {
        return; // the page is going away: nothing left to tell
      }
    }
    // The server kept it: it comes back, with a word about why.
    notes.set(pending.note.id, pending.note);
    render();
    announce(`The note at ${pending.note.start_label} could not be deleted. Try again.`);
    status.textContent = `The note at ${pending.note.start_label} could not be deleted. Try again.`;
  }

  function deleteNote(id) {
    const note = notes.get(id);
    if (!note) {
      return;
    }
    if (pendingDelete) {
      commitDelete(); // its toast is about to be replaced: the earlier delete goes through now
    }
    // Focus moves to the neighbouring note, so the keyboard stays in the list.
    const ordered = [...notes.values()].sort(byTime).filter((other) => !items.get(other.id)?.element.hidden);
    const index = ordered.findIndex((other) => other.id === id);
    const neighbour = ordered[index + 1] ?? ordered[index - 1] ?? null;
    notes.delete(id);
    render();
    if (neighbour) {
      focusNote(neighbour.id);
    } else {
      addButton.focus();
    }
    pendingDelete = { note, timer: null };
    toastText.textContent = `Note at ${timeLabel(note)} deleted.`;
    toast.hidden = false;
    announce(`Note at ${timeLabel(note)} deleted. Undo is in the message at the bottom of the notes.`);
    startUndoTimer();
  }

  function undoDelete() {
    const pending = pendingDelete;
    if (!pending) {
      return;
    }
    window.clearTimeout(pending.timer);
    pendingDelete = null;
    notes.set(pending.note.id, pending.note);
    render();
    toast.hidden = true;
    focusNote(pending.note.id);
    announce(`Note at ${timeLabel(pending.note)} restored.`);
  }

  // While the pointer or the keyboard is on the toast it stays; it expires a full period after.
  const toastEvents = [["pointerenter", true], ["pointerleave", false], ["focusin", true], ["focusout", false]];
  for (const [type, pause] of toastEvents) {
    toast.addEventListener(type, (event) => {
      if (!pendingDelete || (type === "focusout" && toast.contains(event.relatedTarget))) {
        return;
      }
      if (pause) {
        window.clearTimeout(pendingDelete.timer);
      } else if (!toast.matches(":hover") && !toast.contains(document.activeElement)) {
        startUndoTimer();
      }
    });
  }
  undoButton.addEventListener("click", undoDelete);
  // A delete still waiting for its toast goes through when the page is left (keepalive lets the
  // request outlive the page).
  window.addEventListener("pagehide", () => commitDelete({ keepalive: true }));

  // ---- events ----------------------------------------------------------------------------------------

  function noteOf(element) {
    const item = element.closest("[data-note-id]");
    return item ? notes.get(Number(item.dataset.noteId)) : undefined;
  }

  list.addEventListener("click", (event) => {
    const target = event.target;
    const note = noteOf(target);
    if (!note || target.closest(".note-editor")) {
      return;
    }
    if (target.closest("[data-note-edit]")) {
      openEditor(note);
    } else if (target.closest("[data-note-delete]")) {
      deleteNote(note.id);
    } else if (target.closest("[data-note-seek]")) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || !readyPlayer()) {
        return; // a new tab, or no player to drive: the link opens the page at ?t=
      }
      event.preventDefault();
      seekTo(note.start);
    } else if (!target.closest("a") && target.closest(".note-body") && window.getSelection().isCollapsed) {
      seekTo(note.start); // not a link in the text, nor the end of selecting text to copy
    }
  });

  list.addEventListener("dblclick", (event) => {
    const note = noteOf(event.target);
    if (note && event.target.closest(".note-body")) {
      window.getSelection().removeAllRanges(); // the double click selected a word
      openEditor(note);
    }
  });

  timeline?.addEventListener("click", (event) => {
    const mark = event.target.closest(".notes-timeline-mark");
    const note = mark ? notes.get(Number(mark.dataset.noteId)) : undefined;
    if (note) {
      seekTo(note.start);
    }
  });
  // Without a duration from the server the marks wait for the player's (media events do not bubble).
  root.addEventListener("loadedmetadata", () => render(), true);

  filterInput.addEventListener("input", () => render());
  filterInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && filterInput.value) {
      filterInput.value = "";
      render();
    }
  });

  addButton.addEventListener("click", () => openEditor());
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
    openEditor();
  });

  // The page came with the notes (the list it rendered for readers without JavaScript).
  for (const note of readInitialNotes()) {
    notes.set(note.id, note);
  }
  render();
}
