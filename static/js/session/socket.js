// A session's WebSocket (/ws/sessions/<code>/, ?link=<token> for a guest): says hello on every
// (re)connect, keeps the server's clock with pings, and reconnects by itself with capped, jittered
// exponential backoff (as live.js does) until the server says the session is over for this page.

import { FAST_PING_MS, FAST_PINGS_FOR_MS, SLOW_PING_MS, ServerClock } from "./clock.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
// Closes after which reconnecting cannot help (protocol53.md, "Socket").
export const CLOSE_ENDED = 4410;
export const CLOSE_LEFT = 4403;
export const CLOSE_NOT_FOUND = 4404;
const FINAL_CLOSES = new Set([CLOSE_ENDED, CLOSE_LEFT, CLOSE_NOT_FOUND, 4401]);

export class SessionSocket {
  // hello(): the first frame; onFrame(frame) every frame but pongs; onState(state) one of
  // "connecting", "online", "reconnecting", "closed" (with the close code).
  constructor(path, { hello, onFrame, onState }) {
    this.path = path;
    this.hello = hello;
    this.onFrame = onFrame;
    this.onState = onState;
    this.clock = new ServerClock();
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pingId = 0;
    this.pings = new Map(); // ping id → t0
    this.finished = false;
  }

  get online() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${this.path}`;
  }

  start() {
    this.onState("connecting");
    this.connect();
  }

  send(frame) {
    if (!this.online) {
      return false;
    }
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  // For good: the Leave button (after its bye) or the page going away.
  close() {
    this.finished = true;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.pingTimer);
    this.socket?.close(1000);
  }

  connect() {
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify(this.hello()));
    });
    socket.addEventListener("message", (event) => this.receive(event));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) {
        return;
      }
      window.clearTimeout(this.pingTimer);
      if (this.finished || FINAL_CLOSES.has(event.code)) {
        this.finished = true;
        this.onState("closed", event.code);
        return;
      }
      this.onState("reconnecting");
      this.retry();
    });
  }

  receive(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") {
      return;
    }
    if (frame.type === "clock.pong") {
      const t0 = this.pings.get(frame.id);
      if (t0 !== undefined) {
        this.pings.delete(frame.id);
        this.clock.add(t0, frame.t1, frame.t2);
      }
      return;
    }
    if (frame.type === "welcome") {
      this.retryMs = FIRST_RETRY_MS;
      this.clock.guess(frame.data?.server_ms);
      this.startPinging();
      this.onState("online");
    }
    this.onFrame(frame);
  }

  startPinging() {
    window.clearTimeout(this.pingTimer);
    const fastUntil = Date.now() + FAST_PINGS_FOR_MS;
    const ping = () => {
      this.pingId += 1;
      const t0 = Date.now();
      this.pings.set(this.pingId, t0);
      if (this.pings.size > 30) {
        this.pings.delete(this.pings.keys().next().value); // answers lost with a dropped socket
      }
      this.send({ type: "clock.ping", id: this.pingId, t0 });
      this.pingTimer = window.setTimeout(ping, Date.now() < fastUntil ? FAST_PING_MS : SLOW_PING_MS);
    };
    ping();
  }

  retry() {
    if (this.retryTimer !== null || this.finished) {
      return;
    }
    // Jitter spreads reconnects out when a server restart drops every socket at once.
    const delay = Math.min(this.retryMs, MAX_RETRY_MS) * (0.75 + Math.random() * 0.5);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
