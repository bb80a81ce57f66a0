// The guest's form: "Comment at this moment" (or C) pauses the players, takes the chosen side's time
// there (on a comparison each side's own time through the alignment, as notes do; a side with
// nothing on screen at this moment cannot be chosen), and "Mark in here" / "Mark out here" make it a
// range. Enter posts, Shift+Enter starts a new line, Esc cancels. The name is asked the first time
// and kept; what is typed and not yet sent is kept in sessionStorage, so a reload does not lose it.
// A member's form (on their own page) is the same without the name. "Draw on the picture" draws on
// the chosen side's paused player (../drawing/); the comment is then saved with its drawing, and may
// have no text.

import { drawingToolbar } from "../drawing/toolbar.js";
import { randomHex, reviewerName, rememberName } from "./identity.js";

const NAME_MAX = 60;
const CLIENT_ID_BYTES = 16;

export function setUpCompose(panel, { players, sideLabel, clockText, draftKey, post, layerFor = () => null }) {
  const compose = panel.querySelector("[data-comments-compose]");
  const form = panel.querySelector("[data-comment-form]");
  const openButton = panel.querySelector("[data-comment-open]");
  if (!compose || !form || !openButton) {
    return null;
  }
  const body = form.querySelector("[data-comment-body]");
  const error = form.querySelector("[data-comment-error]");
  const nameField = form.querySelector("[data-comment-name-field]");
  const nameInput = form.querySelector("[data-comment-name]");
  const asLine = form.querySelector("[data-comment-as]");
  const moment = form.querySelector("[data-comment-moment]");
  const clearRange = form.querySelector("[data-comment-clear-range]");
  const sides = [...form.querySelectorAll('input[name="side"]')].map((radio) => radio.value);
  const asksName = Boolean(nameField); // a guest's form; a member's name is their account's
  const drawButton = form.querySelector("[data-comment-draw]");
  const drawingTools = form.querySelector("[data-comment-drawing-tools]");
  const submitButton = form.querySelector('button[type="submit"]');
  const submitLabel = submitButton.textContent;
  let drawingOn = null; // the layer being drawn on, while drawing
  const toolbar = drawingTools ? drawingToolbar(drawingTools, () => drawingOn) : null;
  // { times: {side: {time, waiting}}, start, end, resume } while the form is open
  let open = null;
  let sending = false;
  // The id this comment is sent with, kept while it is unchanged: sending it again after a failure
  // whose comment was stored anyway (the reply lost) gets the stored one back, not a second copy.
  let clientId = null;

  const chosenSide = () => form.querySelector('input[name="side"]:checked')?.value || sides[0];

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function showName() {
    if (!asksName) {
      return;
    }
    const name = reviewerName();
    const asking = !name || !nameField.hidden;
    nameField.hidden = !asking;
    asLine.hidden = asking;
    form.querySelector("[data-comment-as-name]").textContent = name;
  }

  function showMoment() {
    const side = chosenSide();
    const where = side === "video" ? "" : `${sideLabel(side)} `;
    moment.textContent =
      open.end === null
        ? `At ${where}${clockText(open.start)}`
        : `From ${where}${clockText(open.start)} to ${clockText(open.end)}`;
    clearRange.hidden = open.end === null;
  }

  function saveDraft() {
    try {
      if (open && body.value) {
        // The id goes with the draft: a page reloaded after a send whose answer it never saw sends
        // the same comment again with it, and gets the stored one back.
        const draft = { body: body.value, side: chosenSide(), start: open.start, end: open.end, client_id: clientId };
        window.sessionStorage.setItem(draftKey, JSON.stringify(draft));
      } else {
        window.sessionStorage.removeItem(draftKey);
      }
    } catch {
      // Not kept: only a reload would lose it.
    }
  }

  function readDraft() {
    try {
      const draft = JSON.parse(window.sessionStorage.getItem(draftKey) || "null");
      return draft && typeof draft.body === "string" && sides.includes(draft.side) ? draft : null;
    } catch {
      return null;
    }
  }

  function show({ draft = null } = {}) {
    const resume = open ? open.resume : players.playing();
    players.pause();
    const times = Object.fromEntries(sides.map((side) => [side, players.now(side)]));
    for (const side of sides) {
      const radio = form.querySelector(`input[name="side"][value="${side}"]`);
      radio.disabled = times[side].waiting && draft?.side !== side; // nothing of that video is on screen
      const label = form.querySelector(`[data-comment-side-time="${side}"]`);
      label.textContent = times[side].waiting ? "(not in this stretch)" : `at ${clockText(times[side].time)}`;
    }
    if (draft) {
      form.querySelector(`input[name="side"][value="${draft.side}"]`).checked = true;
    } else {
      const chosen = form.querySelector('input[name="side"]:checked');
      if (!chosen || chosen.disabled) {
        const usable = sides.find((side) => !times[side].waiting) || sides[0];
        form.querySelector(`input[name="side"][value="${usable}"]`).checked = true;
      }
    }
    const side = chosenSide();
    if (draft) {
      clientId = typeof draft.client_id === "string" ? draft.client_id : null;
    } else {
      clientId = null; // a new comment; a draft kept from a failed send keeps its id
    }
    open = {
      times,
      resume,
      start: draft ? Number(draft.start) || 0 : times[side].time,
      end: draft && Number.isFinite(draft.end) ? draft.end : null,
    };
    if (draft) {
      body.value = draft.body;
    }
    showName();
    showMoment();
    showError("");
    form.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    (!asksName || nameField.hidden || nameInput.value ? body : nameInput).focus();
  }

  function newComment() {
    clientId = null; // a changed drawing is a new comment, as changed text is
  }

  function drawingShapes() {
    return drawingOn ? drawingOn.shapes() : [];
  }

  function startDrawing() {
    const layer = layerFor(chosenSide());
    if (!layer) {
      showError("This player cannot be drawn on.");
      return;
    }
    if (!layer.startEditing()) {
      showError("Pause the video to draw on it.");
      return;
    }
    drawingOn = layer;
    layer.video.addEventListener("sage:drawing-change", newComment);
    toolbar.apply();
    drawingTools.hidden = false;
    drawButton.setAttribute("aria-pressed", "true");
    submitButton.textContent = "Save with comment";
    clientId = null;
    showError("");
  }

  function stopDrawing() {
    if (drawingOn) {
      drawingOn.video.removeEventListener("sage:drawing-change", newComment);
      drawingOn.stopEditing();
      drawingOn.reset();
    }
    drawingOn = null;
    if (drawingTools) {
      drawingTools.hidden = true;
      drawButton.setAttribute("aria-pressed", "false");
      submitButton.textContent = submitLabel;
    }
  }

  function close({ resume = false } = {}) {
    stopDrawing();
    const wasPlaying = open?.resume;
    open = null;
    form.hidden = true;
    body.value = "";
    saveDraft();
    openButton.setAttribute("aria-expanded", "false");
    if (resume && wasPlaying) {
      players.play();
    }
  }

  function mark(which) {
    if (!open) {
      return;
    }
    const side = chosenSide();
    const now = players.now(side);
    if (now.waiting) {
      showError(`${sideLabel(side)} has nothing at this moment.`);
      return;
    }
    if (which === "in") {
      open.start = now.time;
      if (open.end !== null && open.end <= open.start) {
        open.end = null;
      }
    } else if (now.time <= open.start) {
      showError("Mark out after the start: play on or move the playhead, then mark out.");
      return;
    } else {
      open.end = now.time;
    }
    showError("");
    showMoment();
    saveDraft();
  }

  async function send() {
    if (!open || sending) {
      return;
    }
    const text = body.value.trim();
    let name = reviewerName();
    if (asksName && !nameField.hidden) {
      name = nameInput.value.trim();
      if (!name) {
        showError("Give the name to show beside your comment.");
        nameInput.focus();
        return;
      }
      if (name.length > NAME_MAX) {
        showError(`A name is at most ${NAME_MAX} characters.`);
        nameInput.focus();
        return;
      }
    }
    const shapes = drawingShapes();
    if (!text && !shapes.length) {
      showError(drawingOn ? "Draw on the picture or write the comment first." : "Write the comment first.");
      body.focus();
      return;
    }
    const side = chosenSide();
    const round = (seconds) => Math.round(seconds * 1000) / 1000;
    clientId ??= randomHex(CLIENT_ID_BYTES);
    saveDraft(); // with the id, before the send can be cut short by a reload
    const comment = { side, start: round(open.start), body: text, client_id: clientId };
    if (asksName) {
      comment.author_name = name;
    }
    if (open.end !== null) {
      comment.end = round(open.end);
    }
    if (shapes.length) {
      comment.drawing = { shapes };
    }
    sending = true;
    try {
      await post(comment);
      clientId = null;
      if (asksName) {
        rememberName(name);
        nameField.hidden = true;
      }
      close({ resume: true });
    } catch (failure) {
      showError(failure.message);
    } finally {
      sending = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close({ resume: true });
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.target === body) {
      event.preventDefault();
      send();
    }
  });
  body.addEventListener("input", () => {
    clientId = null; // a changed comment is a new one
    saveDraft();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "side" && open) {
      const side = chosenSide();
      open.start = open.times[side].time;
      open.end = null;
      showMoment();
      saveDraft();
      if (drawingOn) {
        // The drawing is on one side's picture: start again on the other's.
        stopDrawing();
        startDrawing();
      }
    }
  });
  form.querySelector("[data-comment-mark-in]").addEventListener("click", () => mark("in"));
  form.querySelector("[data-comment-mark-out]").addEventListener("click", () => mark("out"));
  clearRange.addEventListener("click", () => {
    if (open) {
      open.end = null;
      showMoment();
      saveDraft();
    }
  });
  form.querySelector("[data-comment-cancel]").addEventListener("click", () => close({ resume: true }));
  drawButton?.addEventListener("click", () => (drawingOn ? stopDrawing() : startDrawing()));
  if (drawButton && !sides.some((side) => layerFor(side))) {
    drawButton.hidden = true; // no file player here (a YouTube video): nothing to draw on
  }
  if (asksName) {
    form.querySelector("[data-comment-name-change]").addEventListener("click", () => {
      nameInput.value = reviewerName();
      nameField.hidden = false;
      asLine.hidden = true;
      nameInput.focus();
    });
    nameInput.value = reviewerName();
  }
  openButton.hidden = false;
  openButton.setAttribute("aria-expanded", "false");
  openButton.addEventListener("click", () => (form.hidden ? show() : body.focus()));

  const draft = readDraft();
  if (draft && draft.body) {
    show({ draft });
  }

  return {
    open: () => (form.hidden ? show() : body.focus()),
    allow(allowed) {
      compose.hidden = !allowed;
      if (!allowed) {
        form.hidden = true; // the typed text stays in the draft, should comments come back on
      }
    },
  };
}
