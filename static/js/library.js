// The library: each card's status badge and processing progress follow live "video" events
// (re-dispatched by live.js). When a video's processing ends, its card is rendered again by the
// server (poster, duration, final status); an event about a video that is not on the page yet shows
// a notice offering to reload. Without JavaScript the cards show the state they had at page load.

const IN_PROGRESS = new Set(["queued", "processing"]);
const FINISHED = new Set(["ready", "failed", "cancelled"]);

const labels = readLabels();
const refreshing = new Set();

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

async function renderCardAgain(videoId) {
  if (refreshing.has(videoId)) {
    return;
  }
  refreshing.add(videoId);
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) {
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(`[data-video-card][data-video-id="${videoId}"]`);
    const card = cardFor(videoId);
    if (fresh && card) {
      card.replaceWith(document.importNode(fresh, true));
    }
  } catch (error) {
    // The badge already says how it ended; the poster comes with the next page load.
  } finally {
    refreshing.delete(videoId);
  }
}

function isNewerThanEveryCard(videoId) {
  const shown = [...document.querySelectorAll("[data-video-card]")].map((card) => Number(card.dataset.videoId));
  return shown.every((id) => videoId > id);
}

function showNewVideoNotice(videoId) {
  // Only the first page lists the newest videos; on later pages an unknown video is an older one.
  const notice = document.querySelector("[data-library-notice]");
  if (notice && notice.dataset.firstPage === "true" && isNewerThanEveryCard(videoId)) {
    notice.hidden = false;
  }
}

document.addEventListener("sage:event", (event) => {
  const message = event.detail;
  if (!message || message.type !== "video" || !message.data || !Number.isInteger(message.data.id)) {
    return;
  }
  const data = message.data;
  const card = cardFor(data.id);
  if (!card) {
    if (IN_PROGRESS.has(data.status)) {
      showNewVideoNotice(data.id);
    }
    return;
  }
  const changed = card.dataset.status !== data.status;
  showState(card, data);
  if (changed && FINISHED.has(data.status)) {
    renderCardAgain(data.id);
  }
});
