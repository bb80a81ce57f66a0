// The side panel: which SAGE site and account, the followed YouTube video's state in SAGE (not
// added / processing with its live stage / ready), and its notes, chat and transcript. It follows
// YouTube's in-page navigation (the service worker records each move; see background.js) without
// a reload.

import { ApiError, api, connection, siteOrigin } from "./lib/api.js";
import { beginConnect, checkCode, forgetPendingConnect, pendingConnect, redeem } from "./lib/connect.js";
import { CONNECTION, SITE_ORIGIN } from "./lib/keys.js";
import { backoffSeconds, sleep } from "./lib/retry.js";
import {
  clearBanner,
  clearRetrying,
  knowBillingUrl,
  onReconnect,
  sayProblem,
  sayRetrying,
  showError,
} from "./panel/banner.js";
import { showChatFor, stopChat } from "./panel/chat.js";
import { markEnd, markStart, noteHere, showNotesFor, stopNotes } from "./panel/notes.js";
import { followedTab, onFollowedTabChange } from "./panel/player.js";
import { showTranscriptFor, stopTranscript } from "./panel/transcript.js";

// The site's words for a processing stage (videos.presenters.STAGE_LABELS); the API gives the code.
const STAGE_LABELS = {
  probe: "Checking the file",
  thumbnails: "Making thumbnails",
  clips: "Analysing the picture and sound",
  fingerprint: "Fingerprinting for comparisons",
  transcript: "Fetching the captions",
  chunks: "Indexing the transcript",
  summary: "Writing a summary",
};
// What the site processes again on request (videos.services.RETRYABLE_STATUSES).
const RETRYABLE_STATUSES = new Set(["failed", "cancelled"]);
const CONNECT_POLL_SECONDS = 2;
const CONNECT_LIFETIME_MS = 10 * 60 * 1000; // the site keeps a request 600 s from when its page showed it

const $ = (id) => document.getElementById(id);
const sections = ["choose-site", "connect", "no-video", "video"];

let me = null;
let watching = null; // {youtubeId, title, sageVideo, prices, me, onChanged}
let statusTimer = null;
let polling = false; // a processing video is being looked at again on a timer
let connectRun = 0; // bumps to stop an earlier connect poll
let startRun = 0; // bumps when the site or the connection changes: an earlier start() gives way

function only(section) {
  for (const id of sections) $(id).hidden = id !== section;
}

// --- the site and the account ---------------------------------------------------------------------

async function start() {
  const run = ++startRun;
  const origin = await siteOrigin();
  if (run !== startRun) return;
  $("account").hidden = true;
  if (!origin) {
    only("choose-site");
    return;
  }
  if (!(await connection())) {
    if (run === startRun) showConnect(origin);
    return;
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      const account = await api("me");
      if (run !== startRun) return;
      me = account;
      clearRetrying();
      break;
    } catch (error) {
      if (run !== startRun) return;
      if (error instanceof ApiError && error.status === 401) {
        showConnect(origin);
        showError(error);
        return;
      }
      if (!(error instanceof ApiError && error.unreachable)) {
        showError(error);
        return;
      }
      const seconds = backoffSeconds(attempt);
      sayRetrying(error, seconds);
      await sleep(seconds);
    }
  }
  $("account-name").textContent = me.display_name || me.email;
  $("account").hidden = false;
  await follow(await followedTab());
}

async function showConnect(origin) {
  only("connect");
  stopVideo();
  $("connect-site").textContent = origin;
  const pending = await pendingConnect();
  if (pending && pending.origin === origin && Date.now() - pending.startedAt < CONNECT_LIFETIME_MS) {
    waitForApproval(pending); // the panel was closed while the person was approving
  } else {
    $("connect-waiting").hidden = true;
    $("connect-button").hidden = false;
  }
}

async function connect() {
  const origin = await siteOrigin();
  clearBanner();
  const pending = await beginConnect(origin);
  if (await connection()) {
    // Reconnecting: forgetting the dead token restarts the panel, which finds the pending request
    // and waits for it (one wait, not two racing).
    await chrome.storage.local.remove(CONNECTION);
  } else {
    waitForApproval(pending);
  }
}

async function waitForApproval(pending) {
  const run = ++connectRun;
  $("connect-button").hidden = true;
  $("connect-waiting").hidden = false;
  $("check-code").textContent = await checkCode(pending.challenge);
  const status = $("connect-status");
  status.textContent = "Waiting for your approval…";
  let failures = 0;
  while (run === connectRun) {
    if (Date.now() - pending.startedAt > CONNECT_LIFETIME_MS) {
      status.textContent = "The request expired. Connect again.";
      break;
    }
    let outcome;
    try {
      outcome = await redeem(pending.verifier);
      failures = 0;
      clearRetrying();
    } catch (error) {
      failures += 1;
      if (error instanceof ApiError && (error.unreachable || error.status === 429 || error.status >= 500)) {
        const seconds = error.retryAfter ?? backoffSeconds(failures, { first: CONNECT_POLL_SECONDS });
        if (error.unreachable) sayRetrying(error, seconds);
        await sleep(seconds);
        continue;
      }
      showError(error);
      break;
    }
    if (run !== connectRun) return;
    // "unknown" until the site's page has shown the request (the person may be signing in first).
    if (outcome.status === "pending" || outcome.status === "unknown") {
      await sleep(CONNECT_POLL_SECONDS);
      continue;
    }
    await forgetPendingConnect();
    if (outcome.status === "approved") {
      await chrome.storage.local.set({ [CONNECTION]: outcome.connection }); // storage change restarts the panel
      return;
    }
    status.textContent =
      outcome.status === "denied" ? "Not connected: it was cancelled on the site." : "This request was already used. Connect again.";
    break;
  }
  if (run === connectRun) $("connect-button").hidden = false;
}

async function cancelConnect() {
  connectRun += 1;
  await forgetPendingConnect();
  $("connect-waiting").hidden = true;
  $("connect-button").hidden = false;
}

async function disconnect() {
  try {
    await api("tokens/current", { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      // Forgotten here anyway; the token is still listed on the site, to revoke there.
      sayProblem(`SAGE did not confirm the token was revoked (${error.message}). Revoke it under API tokens on the site.`);
    }
  }
  await chrome.storage.local.remove(CONNECTION);
}

// --- the followed video ---------------------------------------------------------------------------

function stopVideo() {
  clearTimeout(statusTimer);
  polling = false;
  watching = null;
  stopNotes();
  stopChat();
  stopTranscript();
}

async function follow(tab) {
  if (!me) return;
  if (!tab || !tab.videoId) {
    if (watching) stopVideo();
    only("no-video");
    return;
  }
  if (watching && watching.youtubeId === tab.videoId) {
    // The same video, reloaded or looked at again: its state may have changed elsewhere (added or
    // processed on the site), so it is looked up again unless a processing poll is on its way.
    if (tab.title) $("video-title").textContent = tab.title;
    if (!polling) refresh(watching);
    return;
  }
  stopVideo();
  only("video");
  const next = { youtubeId: tab.videoId, title: tab.title, sageVideo: null, shownReady: null, prices: {}, me, reloadPrices: () => loadPrices(next), onChanged: () => refresh(next) };
  watching = next;
  $("video-title").textContent = tab.title || "YouTube video";
  $("video-state").textContent = "Looking it up in SAGE…";
  $("add").hidden = true;
  $("retry-video").hidden = true;
  await loadPrices(next);
  if (watching !== next) return;
  await refresh(next);
  if (watching === next) showNotesFor(next);
}

async function findVideo(youtubeId) {
  const page = await api(`videos?youtube_id=${encodeURIComponent(youtubeId)}`);
  const rows = Array.isArray(page) ? page : page.results || [];
  return rows.find((video) => video.source === "youtube" && video.youtube_id === youtubeId) || null;
}

async function loadPrices(next) {
  // What each paid action costs and today's questions left (GET /api/v1/prices: a `read` token may,
  // billing stays out of its reach), said before anything is spent.
  try {
    next.prices = await api("prices");
    knowBillingUrl(next.prices.billing_url);
  } catch {
    next.prices = {}; // an older site: the panel says what it knows without the figures
  }
}

function youtubePrice(prices) {
  if (prices.youtube_video == null || prices.youtube_video === 0) {
    return "Adding it is free: SAGE reads YouTube's captions; nothing is downloaded.";
  }
  return `Adding it costs ${prices.youtube_video} tokens.`;
}

function describe(video) {
  if (video.status === "ready") return "Ready in SAGE.";
  if (video.status === "queued") return `Processing: ${STAGE_LABELS[video.stage] || "waiting for a worker"}.`;
  if (video.status === "processing") {
    const stage = STAGE_LABELS[video.stage] || "starting";
    return `Processing: ${stage}${video.percent ? ` (${Math.round(video.percent)} %)` : ""}.`;
  }
  if (video.status === "failed") return `Processing failed: ${video.error_message || "see the video on SAGE."}`;
  return `Processing was ${video.status}.`;
}

// Looks the video up, says its state, and while it is processing looks again (1, 2, 4… up to 10 s).
async function refresh(next, attempt = 0) {
  clearTimeout(statusTimer);
  polling = false;
  let video;
  try {
    video = next.sageVideo && next.sageVideo.status !== "ready" ? await api(`videos/${next.sageVideo.id}`) : await findVideo(next.youtubeId);
  } catch (error) {
    if (watching === next && next.sageVideo && error instanceof ApiError && error.status === 404) {
      next.sageVideo = null; // deleted on the site meanwhile: it is "not added" again
      refresh(next, attempt);
      return;
    }
    if (watching !== next) return;
    if (error instanceof ApiError && error.unreachable) {
      const seconds = backoffSeconds(attempt);
      sayRetrying(error, seconds);
      statusTimer = setTimeout(() => refresh(next, attempt + 1), seconds * 1000);
    } else {
      showError(error);
    }
    return;
  }
  if (watching !== next) return;
  clearRetrying();
  next.sageVideo = video;
  $("add").hidden = Boolean(video);
  $("retry-video").hidden = !video || !RETRYABLE_STATUSES.has(video.status);
  if (!video) {
    $("video-state").textContent = "Not in SAGE yet.";
    $("add-price").textContent = youtubePrice(next.prices);
  } else {
    $("video-state").textContent = describe(video);
    if (video.status === "queued" || video.status === "processing") {
      polling = true;
      statusTimer = setTimeout(() => refresh(next, attempt + 1), backoffSeconds(attempt, { first: 1, most: 10 }) * 1000);
    }
  }
  // Chat and the transcript depend on whether the video is ready: shown again only when that changes
  // (never under an answer being streamed).
  const ready = video?.status === "ready";
  if (next.shownReady !== ready) {
    next.shownReady = ready;
    showChatFor(next);
    showTranscriptFor(next);
  }
}

async function addVideo() {
  if (!watching) return;
  const next = watching;
  $("add-button").disabled = true;
  try {
    next.sageVideo = await api("videos/youtube", { method: "POST", body: { url: next.youtubeId } });
    await refresh(next);
  } catch (error) {
    showError(error, { retry: addVideo });
  } finally {
    $("add-button").disabled = false;
  }
}

// A video whose adding failed (or was cancelled) on the site: processed again from where it stopped.
async function retryVideo() {
  if (!watching?.sageVideo) return;
  const next = watching;
  $("retry-video").disabled = true;
  try {
    next.sageVideo = await api(`videos/${next.sageVideo.id}/retry`, { method: "POST" });
    await refresh(next);
  } catch (error) {
    showError(error, { retry: retryVideo });
  } finally {
    $("retry-video").disabled = false;
  }
}

// --- tabs and keys --------------------------------------------------------------------------------

function selectTab(name) {
  for (const each of ["notes", "chat", "transcript"]) {
    $(`tab-${each}`).setAttribute("aria-selected", String(each === name));
    $(each).hidden = each !== name;
  }
}

for (const name of ["notes", "chat", "transcript"]) $(`tab-${name}`).addEventListener("click", () => selectTab(name));

document.addEventListener("keydown", (event) => {
  if (!watching || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const action = { n: noteHere, "[": markStart, "]": markEnd }[event.key];
  if (!action) return;
  event.preventDefault();
  selectTab("notes");
  action();
});

$("open-options").addEventListener("click", () => chrome.runtime.openOptionsPage());
$("change-site").addEventListener("click", () => chrome.runtime.openOptionsPage());
$("connect-button").addEventListener("click", connect);
$("connect-cancel").addEventListener("click", cancelConnect);
$("disconnect").addEventListener("click", disconnect);
$("add-button").addEventListener("click", addVideo);
$("retry-video").addEventListener("click", retryVideo);
onReconnect(connect);

onFollowedTabChange((tab) => follow(tab));
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && (changes[SITE_ORIGIN] || changes[CONNECTION])) {
    me = null;
    stopVideo();
    start();
  }
});

start();
