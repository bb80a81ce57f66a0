// Comments as they happen. A guest's page holds the link's own socket (/ws/shared/<token>/): it
// reconnects with capped, jittered backoff after a drop and then asks for the whole list again, so
// nothing said meanwhile is missed; `link.closed`, or a close with 4404, means the link is gone and
// nothing reconnects. The owner's page hears the same events on its /ws/events/ socket (live.js
// re-dispatches them on `document` as "sage:event"), keeping to the object it shows.

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
const CLOSE_LINK_GONE = 4404;
const COMMENT_EVENTS = new Set(["comment.created", "comment.updated", "comment.deleted"]);

export function followGuestSocket(path, { onEvent, onReconnect, onClosed }) {
  let retryMs = FIRST_RETRY_MS;
  let finished = false;
  let socket = null;
  let connectedOnce = false;

  function url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${path}`;
  }

  function finish() {
    if (!finished) {
      finished = true;
      onClosed();
    }
  }

  function connect() {
    try {
      socket = new WebSocket(url());
    } catch {
      retry();
      return;
    }
    socket.addEventListener("open", () => {
      retryMs = FIRST_RETRY_MS;
      if (connectedOnce) {
        onReconnect(); // what was said while it was down comes from the list
      }
      connectedOnce = true;
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message?.type === "link.closed") {
        finish();
      } else if (message && typeof message.type === "string") {
        onEvent(message);
        // The page's other modules hear the link's events too (review_status.js: statuses).
        document.dispatchEvent(new CustomEvent("sage:shared-event", { detail: message }));
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_LINK_GONE) {
        finish();
      } else if (!finished) {
        retry();
      }
    });
  }

  function retry() {
    const delay = Math.min(retryMs, MAX_RETRY_MS) * (0.75 + Math.random() * 0.5);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    window.setTimeout(() => {
      if (!finished) {
        connect();
      }
    }, delay);
  }

  connect();
  return {
    stop() {
      finished = true;
      socket?.close();
    },
  };
}

export function followOwnerEvents(config, onEvent) {
  // Only this page's object: the owner's socket carries every comment on everything they share.
  document.addEventListener("sage:event", (event) => {
    const message = event.detail;
    if (!message || !COMMENT_EVENTS.has(message.type) || !message.data) {
      return;
    }
    const data = message.data;
    const ours =
      (config.comparison_id && data.comparison_id === config.comparison_id) ||
      (config.video_id && data.video_id === config.video_id);
    if (ours) {
      onEvent(message);
    }
  });
}
