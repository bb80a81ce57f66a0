// The library: each card's status badge and processing progress follow live "video" events
// (re-dispatched by live.js). When a video's processing ends, its card is rendered again by the
// server (poster, duration, final status). A video that is not on the page yet (uploaded in another
// tab, added through the API) is inserted at the top of the first page, rendered by the server with
// the page's own filters, so it appears only where it belongs. Without JavaScript the cards show
// the state they had at page load.

const IN_PROGRESS = new Set(["queued", "processing"]);
const FINISHED = new Set(["ready", "failed", "cancelled"]);

const labels = readLabels();
const refreshing = new Set();
const lastUnseen = new Map(); // video id → its latest event while its card is being fetched
// video id → the status it had when the page, fetched again, did not list it (its filters leave it
// out): asked again only when that status changes, not at every progress event.
const leftOut = new Map();

function stageText(data) {
  if (data.stage) {
    return labels.stages[data.stage] || data.stage;
  }
  return data.status === "processing" ? labels.starting : labels.waiting;
}

function readLabels() {
  const element = document.getElementById("video-live-labels");
  try {
    return JSON.parse(element.textContent);
  } catch (error) {
    return { stages: {}, statuses: {}, waiting: "", starting: "" };
  }
}

function cardFor(videoId) {
  return document.querySelector(`[data-video-card][data-video-id="${videoId}"]`);
}

function showState(card, data) {
  card.dataset.status = data.status;
  const status = labels.statuses[data.status] || { label: data.status, badge: "" };
  const badge = card.querySelector('[data-field="status"]');
  if (badge) {
    badge.textContent = status.label;
    badge.className = `badge video-status-badge ${status.badge}`.trim();
  }
  const block = card.querySelector('[data-field="progress-block"]');
  if (block) {
    block.hidden = !IN_PROGRESS.has(data.status);
  }
  const percent = Number.isInteger(data.percent) ? data.percent : 0;
  const progress = card.querySelector('progress[data-field="progress"]');
  if (progress) {
    progress.value = percent;
    progress.textContent = `${percent}%`;
  }
  const percentText = card.querySelector('[data-field="percent"]');
  if (percentText) {
    percentText.textContent = `${percent}%`;
  }
  const stage = card.querySelector('[data-field="stage"]');
  if (stage) {
    stage.textContent = stageText(data);
  }
}

async function freshPage() {
  // This page (its filters, its page number) as the server renders it now; null if it failed.
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) {
      return null;
    }
    return new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (error) {
    return null;
  }
}

async function renderCardAgain(videoId) {
  if (refreshing.has(videoId)) {
    return;
  }
  refreshing.add(videoId);
  try {
    const page = await freshPage();
    const fresh = page?.querySelector(`[data-video-card][data-video-id="${videoId}"]`);
    const card = cardFor(videoId);
    if (fresh && card) {
      card.replaceWith(document.importNode(fresh, true));
    }
    // Otherwise the badge already says how it ended; the poster comes with the next page load.
  } finally {
    refreshing.delete(videoId);
  }
}

function placeAsOnThePage(grid, card, fresh) {
  // Before the first card that follows it on the page as rendered now and is shown here: two uploads
  // may finish in either order, so the older video's card can come second.
  for (let next = fresh.nextElementSibling; next; next = next.nextElementSibling) {
    const shown = next.matches("[data-video-card]") ? cardFor(next.dataset.videoId) : null;
    if (shown) {
      shown.before(card);
      return;
    }
  }
  grid.append(card);
}

async function insertNewCard(videoId, status) {
  // Only the first page lists the newest videos; on later pages an unknown video is an older one.
  const list = document.querySelector("[data-library-list]");
  const grid = document.querySelector("[data-video-grid]");
  if (refreshing.has(videoId)) {
    return; // being fetched: its latest event waits in lastUnseen
  }
  if (!list || !grid || list.dataset.firstPage !== "true" || leftOut.get(videoId) === status) {
    lastUnseen.delete(videoId);
    return;
  }
  refreshing.add(videoId);
  try {
    const page = await freshPage();
    const fresh = page?.querySelector(`[data-video-card][data-video-id="${videoId}"]`);
    if (!fresh) {
      leftOut.set(videoId, status);
      return;
    }
    if (cardFor(videoId)) {
      return; // inserted meanwhile
    }
    placeAsOnThePage(grid, document.importNode(fresh, true), fresh);
    grid.hidden = false;
    // An event that came while the page was fetched may be newer than what the page was rendered from.
    const latest = lastUnseen.get(videoId);
    if (latest) {
      follow(latest);
    }
    document.querySelector("[data-library-empty]")?.remove();
    const count = page.querySelector("[data-library-count]");
    const shownCount = document.querySelector("[data-library-count]");
    if (count && shownCount) {
      shownCount.textContent = count.textContent;
    }
  } finally {
    refreshing.delete(videoId);
    lastUnseen.delete(videoId);
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  if (!message || message.type !== "video" || !message.data || !Number.isInteger(message.data.id)) {
    return;
  }
  follow(message.data);
});

function follow(data) {
  const card = cardFor(data.id);
  if (!card) {
    lastUnseen.set(data.id, data);
    insertNewCard(data.id, data.status);
    return;
  }
  const changed = card.dataset.status !== data.status;
  showState(card, data);
  if (changed && FINISHED.has(data.status)) {
    renderCardAgain(data.id);
  }
}
