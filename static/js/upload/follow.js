// Follows one video's processing: live "video" events (re-dispatched by live.js on `document`), and
// the API now and then in case the socket was down when something happened (and once at the start:
// the worker may have started before this page knew the video's id). `onUpdate` gets the video's
// state ({id, status, stage, percent, error_message, …}) whenever it moves on; following stops once
// the video is ready, failed or cancelled.

import { requestJson } from "../shared/api.js";

const FINISHED = new Set(["ready", "failed", "cancelled"]);
const RANK = { uploading: 0, queued: 1, processing: 2, ready: 3, failed: 3, cancelled: 3 };
const POLL_MS = 10_000;

export function followVideo(videoId, { videosUrl, onUpdate }) {
  let latest = null;
  let stopped = false;
  let timer = null;

  const isOlder = (data) =>
    latest !== null &&
    ((RANK[data.status] ?? 0) < (RANK[latest.status] ?? 0) ||
      (data.status === latest.status && data.status === "processing" && data.stage === latest.stage && data.percent < latest.percent));

  const apply = (data) => {
    // A poll's answer may be older than an event that overtook it: state only moves forward here.
    if (stopped || isOlder(data)) {
      return;
    }
    latest = data;
    onUpdate(data);
    if (FINISHED.has(data.status)) {
      stop();
    }
  };

  const onEvent = (event) => {
    const message = event.detail;
    if (message?.type === "video" && message.data?.id === videoId) {
      apply(message.data);
    }
  };

  const poll = async () => {
    try {
      apply(await requestJson(`${videosUrl}/${encodeURIComponent(videoId)}`));
    } catch {
      // The next poll or event will tell.
    }
    if (!stopped) {
      timer = window.setTimeout(poll, POLL_MS);
    }
  };

  function stop() {
    stopped = true;
    window.clearTimeout(timer);
    document.removeEventListener("sage:event", onEvent);
  }

  document.addEventListener("sage:event", onEvent);
  poll();
  return stop;
}

export function isFinished(status) {
  return FINISHED.has(status);
}
