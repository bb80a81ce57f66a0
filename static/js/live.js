// Live events for signed-in pages: one WebSocket to /ws/events/, reconnecting with capped
// exponential backoff. Every message is re-dispatched on `document` as a "sage:event"
// CustomEvent so page modules can listen without opening sockets of their own.

const EVENTS_PATH = "/ws/events/";
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
// The server closes with 4401 when the session is gone: retrying cannot help until a new page load.
const CLOSE_UNAUTHENTICATED = 4401;

// The server renders balances with Django's intcomma (en-US grouping, "1,800"); live updates must
// read the same whatever the browser's locale.
const tokenFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

let retryMs = FIRST_RETRY_MS;
let retryTimer = null;

function eventsUrl() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${EVENTS_PATH}`;
}

function showBalance(balance) {
  if (!Number.isInteger(balance)) {
    return;
  }
  const text = tokenFormat.format(balance);
  // The header's #header-balance, and any other place on the page that shows the balance.
  for (const element of document.querySelectorAll('#header-balance .balance-value, [data-live="balance"] .balance-value')) {
    element.textContent = text;
  }
}

// A notice at the top of the page, where the server puts its messages (base.html), said once.
function notice(text) {
  let box = document.querySelector(".messages");
  if (!box) {
    box = document.createElement("div");
    box.className = "messages";
    box.setAttribute("role", "status");
    document.querySelector("main")?.before(box);
  }
  let line = box.querySelector("[data-live-notice]");
  if (!line) {
    line = document.createElement("p");
    line.className = "message message-warning";
    line.dataset.liveNotice = "";
    box.append(line);
  }
  line.textContent = text;
}

function handleMessage(message) {
  if (message.type === "balance" && message.data) {
    showBalance(message.data.balance);
  }
  // A removed member's open page would otherwise go on as if nothing had happened, until its next
  // click failed with "not found".
  if (message.type === "membership.ended") {
    notice("You are no longer a member of this workspace: what this page shows may be out of your reach now.");
  }
  if (message.type === "membership.role_changed" && message.data?.role) {
    notice(`Your role in this workspace is now ${message.data.role}: reload the page to see what you may do.`);
  }
  document.dispatchEvent(new CustomEvent("sage:event", { detail: message }));
}

function scheduleReconnect() {
  if (retryTimer !== null) {
    return;
  }
  // Jitter spreads reconnects out when a server restart drops every socket at once.
  const delay = Math.min(retryMs, MAX_RETRY_MS) * (0.75 + Math.random() * 0.5);
  retryTimer = window.setTimeout(() => {
    retryTimer = null;
    connect();
  }, delay);
  retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
}

function connect() {
  let socket;
  try {
    socket = new WebSocket(eventsUrl());
  } catch (error) {
    scheduleReconnect();
    return;
  }
  socket.addEventListener("open", () => {
    retryMs = FIRST_RETRY_MS;
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message && typeof message.type === "string") {
      handleMessage(message);
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code !== CLOSE_UNAUTHENTICATED) {
      scheduleReconnect();
    }
  });
}

connect();
