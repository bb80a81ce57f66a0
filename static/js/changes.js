// The change list's page (templates/conform/changes.html): choosing an event — its row or one of its
// blocks — seeks both players to it (v1 to where the event's material sat, v2 to where it is now),
// paused, so that the two frames can be compared; the event chosen is marked in the list and the blocks.

import { requestJson } from "./shared/api.js";

const page = document.querySelector("[data-changes-page]");

function seekTo(player, seconds) {
  if (!player || !Number.isFinite(seconds)) return;
  player.pause();
  const apply = () => {
    player.currentTime = Math.min(seconds, Number.isFinite(player.duration) ? player.duration : seconds);
  };
  if (player.readyState >= 1) apply();
  else player.addEventListener("loadedmetadata", apply, { once: true });
}

function choose(number) {
  const row = page.querySelector(`[data-event="${number}"]`);
  if (!row) return;
  seekTo(page.querySelector('[data-player="a"]'), Number(row.dataset.seekA));
  seekTo(page.querySelector('[data-player="b"]'), Number(row.dataset.seekB));
  for (const chosen of page.querySelectorAll(".is-current")) chosen.classList.remove("is-current");
  row.classList.add("is-current");
  for (const block of page.querySelectorAll(`[data-event-block="${number}"]`)) block.classList.add("is-current");
}

if (page) {
  page.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek-event], [data-event-block]");
    if (!target) return;
    choose(target.dataset.seekEvent || target.dataset.eventBlock);
  });
}

// Each event's status (videos/conform/event_status.py): choosing one in its menu saves it at once
// through the API, without leaving the page (the form's Save button is for pages without this), and
// a status set on another open page arrives live ("change_event.status").
function showStatus(row, data) {
  row.dataset.eventStatus = data.status;
  const select = row.querySelector("[data-event-status-select]");
  if (select) select.value = data.status;
  const label = row.querySelector("[data-event-status-label]");
  if (label) label.textContent = data.status_label;
  const by = row.querySelector("[data-event-status-by]");
  if (by) by.textContent = data.status_by ? `by ${data.status_by}` : "";
  const done = page.querySelectorAll('[data-event-status="done"]').length;
  const count = page.querySelector("[data-events-done]");
  if (count) count.textContent = String(done);
}

async function saveStatus(form) {
  const row = form.closest("[data-event]");
  const select = form.querySelector("[data-event-status-select]");
  const by = row.querySelector("[data-event-status-by]");
  const before = row.dataset.eventStatus;
  try {
    const data = await requestJson(form.dataset.api, {
      method: "PUT",
      csrfToken: form.querySelector("[name=csrfmiddlewaretoken]").value,
      json: { status: select.value },
    });
    showStatus(row, data);
  } catch (error) {
    select.value = before;
    if (by) by.textContent = `Not saved: ${error.message}`;
  }
}

if (page) {
  const comparison = Number(page.dataset.comparison);
  for (const form of page.querySelectorAll("[data-event-status-form]")) {
    form.querySelector("[data-event-status-save]").hidden = true;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveStatus(form);
    });
    form.querySelector("[data-event-status-select]").addEventListener("change", () => saveStatus(form));
  }
  document.addEventListener("sage:event", (event) => {
    const message = event.detail;
    if (message?.type !== "change_event.status" || message.data?.comparison !== comparison) return;
    const row = page.querySelector(`[data-event-key="${CSS.escape(message.data.key)}"]`);
    if (row) showStatus(row, message.data);
  });
}
