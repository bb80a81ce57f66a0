// Review statuses, live (reviews/approvals.py): every badge of a version or a comparison
// ([data-review-status-of="video:12"]) and its status card follow "review_status" events — from the
// signed-in socket (live.js, "sage:event") or a shared page's link socket (comments/live.js,
// "sage:shared-event"). The forms are plain posts and work without this; on a shared page this also
// fills in the name the reviewer gave for comments, and shows or hides the form as the owner allows.

import { formatWhen } from "./shared/dates.js";
import { rememberName, reviewerName } from "./reviews/comments/identity.js";

function showBadges(key, data) {
  for (const badge of document.querySelectorAll(`[data-review-status-of="${key}"]`)) {
    badge.dataset.reviewStatus = data.status;
    const label = badge.querySelector("[data-review-status-label]");
    if (label) {
      label.textContent = data.label;
    }
  }
  for (const select of document.querySelectorAll(`[data-review-status-form="${key}"] [data-review-status-select]`)) {
    select.value = data.status;
  }
}

function showInCard(key, data) {
  const card = document.querySelector(`[data-review-status-card="${key}"]`);
  const change = data.history?.[0];
  // One change may come twice (a signed-in owner on a shared page hears both sockets).
  if (!card || !change || card.dataset.reviewStatusAt === change.at) {
    return;
  }
  card.dataset.reviewStatusAt = change.at;
  const who = card.querySelector("[data-review-status-who]");
  if (who) {
    who.textContent = `${change.label} by ${change.by_name}, just now`;
  }
  const history = card.querySelector("[data-review-status-history]");
  if (history) {
    const item = document.createElement("li");
    const via = change.link_name ? ` (via “${change.link_name}”)` : "";
    item.append(`${change.label} by ${change.by_name}${via} `);
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = `· ${formatWhen(change.at)}`;
    item.append(when);
    history.prepend(item);
    const title = card.querySelector("[data-review-status-history-title]");
    if (title) {
      title.hidden = false;
    }
  }
}

function follow(event) {
  const message = event.detail;
  if (message?.type === "review_status" && message.data && Number.isInteger(message.data.id)) {
    const key = `${message.data.target}:${message.data.id}`;
    showBadges(key, message.data);
    showInCard(key, message.data);
  } else if (message?.type === "link.updated" && message.data) {
    for (const form of document.querySelectorAll("[data-review-status-guest]")) {
      form.hidden = !message.data.can_set_status;
    }
  }
}

document.addEventListener("sage:event", follow);
document.addEventListener("sage:shared-event", follow);

for (const form of document.querySelectorAll("[data-review-status-guest]")) {
  const name = form.querySelector("[data-review-status-name]");
  if (name && !name.value) {
    name.value = reviewerName();
  }
  form.addEventListener("submit", () => {
    if (name?.value.trim()) {
      rememberName(name.value);
    }
  });
}
