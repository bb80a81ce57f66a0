// One conversation's WebSocket (/ws/chat/<id>/): connects, reconnects by itself, resumes, and keeps
// the question being sent until the server has it.
//
// After every (re)connect it sends `resume`: the first time with 0/0, so the server replays the
// whole conversation (the page re-renders every message with the Markdown formatter); after a drop,
// with the last message and chunk seen, so only what was missed comes back. Chunks already seen
// (a replay overlapping what arrived before the drop) are dropped here, so the page never shows a
// piece of an answer twice.

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export const CONNECTION_LABELS = {
  connecting: "Connecting…",
  online: "Connected",
  reconnecting: "Connection lost: reconnecting…",
  offline: "Not connected",
  gone: "This conversation is not available: reload the page.",
  "signed-out": "You are signed out: log in again to chat.",
};

export class ChatConnection {
  // onFrame(frame, { returnedText }) gets every frame worth showing; returnedText is the question
  // an error frame refused (to give back to the composer). onState(state) gets CONNECTION_LABELS keys.
  constructor(socketPath, { onFrame, onState }) {
    this.socketPath = socketPath;
    this.onFrame = onFrame;
    this.onState = onState;
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = null;
    this.everConnected = false;
    this.closed = false;
    this.lastMessageId = 0;
    this.seqs = new Map(); // answer id → last chunk seq received
    this.pending = null; // { client_id, text } until the server shows the question
  }

  get online() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  get hasPending() {
    return Boolean(this.pending);
  }

  start() {
    this.connect();
  }

  // For good (the panel switching to another conversation): no reconnect, no more callbacks.
  close() {
    this.closed = true;
    window.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  send(frame) {
    if (this.online) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // Sends a question; false when offline (it is kept and sent as soon as the socket is back).
  ask(text) {
    this.pending = { client_id: newClientId(), text };
    return this.send({ type: "message", text, client_id: this.pending.client_id });
  }

  cancel() {
    this.send({ type: "cancel" });
  }

  connect() {
    if (this.closed) {
      return;
    }
    this.onState(this.everConnected ? "reconnecting" : "connecting");
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.socketPath}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (this.socket !== socket) {
        return;
      }
      this.retryMs = FIRST_RETRY_MS;
      const firstTime = !this.everConnected;
      this.everConnected = true;
      this.onState("online");
      const lastId = firstTime ? 0 : this.lastMessageId;
      this.send({ type: "resume", last_message_id: lastId, last_seq: firstTime ? 0 : this.seqs.get(lastId) || 0 });
      if (this.pending) {
        // Sent before the drop, perhaps never received: the same client_id is answered only once.
        this.send({ type: "message", text: this.pending.text, client_id: this.pending.client_id });
      }
    });
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket) {
        return;
      }
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) {
        return; // closed on purpose, or replaced
      }
      this.socket = null;
      if (event.code === CLOSE_NOT_FOUND || event.code === CLOSE_UNAUTHENTICATED) {
        this.onState(event.code === CLOSE_NOT_FOUND ? "gone" : "signed-out");
        return;
      }
      this.onState("reconnecting");
      const delay = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.retryTimer = window.setTimeout(() => this.connect(), delay);
    });
  }

  receive(frame) {
    let returnedText = null;
    if ((frame.type === "message" || frame.type === "done") && frame.message) {
      const message = frame.message;
      this.lastMessageId = Math.max(this.lastMessageId, message.id);
      if (frame.type === "message" && message.status === "streaming") {
        this.seqs.set(message.id, 0); // announced (or again by a replay): its text comes from seq 1
      }
      if (this.pending && message.client_id === this.pending.client_id) {
        this.pending = null;
      }
    } else if (frame.type === "chunk") {
      if (frame.seq <= (this.seqs.get(frame.message_id) || 0)) {
        return;
      }
      this.seqs.set(frame.message_id, frame.seq);
    } else if (frame.type === "error" && this.pending && frame.client_id === this.pending.client_id) {
      returnedText = this.pending.text; // not asked: the composer gets it back to send again
      this.pending = null;
    }
    this.onFrame(frame, { returnedText });
  }
}
