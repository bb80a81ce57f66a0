// The conversation page: one WebSocket to /ws/chat/<id>/ that sends questions and streams answers.
//
// After every (re)connect the page sends `resume`: the first time with 0/0, so the server replays
// the whole conversation and every message is re-rendered here with the Markdown formatter (the
// server's rendering is plain escaped text, for reading without JavaScript); after a drop, with the
// last message and chunk seen, so only what was missed comes back. Messages are kept by id, so a
// replay updates them in place and never shows one twice.
//
// Safety: message text is untrusted (questions, transcripts quoted in answers). It is HTML-escaped
// first and only then given the few tags of the formatter; citations are built with textContent.

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;
const STATE_LABELS = {
  connecting: "Connecting…",
  online: "Connected",
  reconnecting: "Connection lost: reconnecting…",
  offline: "Not connected",
  gone: "This conversation is not available: reload the page.",
  "signed-out": "You are signed out: log in again to chat.",
};
const STATUS_NOTES = {
  streaming: "Writing…",
  cancelled: "Cancelled.",
};

// --- formatting ----------------------------------------------------------------------------------

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

function formatInline(escaped) {
  // Code spans first, so a * inside `code` stays a *.
  return escaped
    .split(/(`[^`\n]+`)/)
    .map((part) => {
      if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) {
        return `<code>${part.slice(1, -1)}</code>`;
      }
      return part
        .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|[^*\w])\*([^*\n]+)\*(?![*\w])/g, "$1<em>$2</em>");
    })
    .join("");
}

const BULLET = /^\s*[-*]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

// A small, safe Markdown: paragraphs, line breaks, - and 1. lists, **bold**, *italic*, `code`.
export function formatMarkdown(text) {
  const blocks = [];
  let paragraph = [];
  let list = null;
  const flushParagraph = () => {
    if (paragraph.length) {
      blocks.push(`<p>${paragraph.map(formatInline).join("<br>")}</p>`);
      paragraph = [];
    }
  };
  const flushList = () => {
    if (list) {
      blocks.push(`<${list.tag}>${list.items.map((item) => `<li>${formatInline(item)}</li>`).join("")}</${list.tag}>`);
      list = null;
    }
  };
  for (const line of escapeHtml(text).split("\n")) {
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag, items: [] };
      }
      list.items.push((bullet || numbered)[1]);
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return blocks.join("");
}

function clock(seconds) {
  // The server's `mm:ss` / `h:mm:ss` (sage.formatting.clock).
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const two = (number) => String(number).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(whole % 60)}` : `${two(minutes)}:${two(whole % 60)}`;
}

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// --- the page ------------------------------------------------------------------------------------

class ChatPage {
  constructor(root, config) {
    this.config = config;
    this.list = root.querySelector("[data-messages]");
    this.connection = root.querySelector("[data-connection]");
    this.form = root.querySelector("[data-composer]");
    this.question = root.querySelector("[data-question]");
    this.sendButton = root.querySelector("[data-send]");
    this.cancelButton = root.querySelector("[data-cancel]");
    this.composerError = root.querySelector("[data-composer-error]");
    this.starters = root.querySelector("[data-starters]");
    this.player = root.querySelector("video[data-player]");
    this.messages = new Map(); // id → { element, message, text }
    this.seqs = new Map(); // answer id → last chunk seq shown
    this.lastMessageId = 0;
    this.pending = null; // { client_id, text } until the server shows the question
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.everConnected = false;

    for (const element of this.list.querySelectorAll("[data-message-id]")) {
      // Known from the server's rendering until the replay re-renders them.
      this.messages.set(Number(element.dataset.messageId), { element, message: null, text: "" });
    }
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask(this.question.value);
    });
    this.question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.ask(this.question.value);
      }
    });
    this.cancelButton.addEventListener("click", () => this.send({ type: "cancel" }));
    this.list.addEventListener("click", (event) => this.onChipClick(event));
    if (this.starters) {
      this.starters.addEventListener("click", (event) => {
        const button = event.target.closest("[data-starter]");
        if (button) {
          this.ask(button.textContent.trim());
        }
      });
    }
    this.connect();
  }

  // --- socket ------------------------------------------------------------------------------------

  connect() {
    this.showConnection(this.everConnected ? "reconnecting" : "connecting");
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.config.socket_path}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = FIRST_RETRY_MS;
      const firstTime = !this.everConnected;
      this.everConnected = true;
      this.showConnection("online");
      const lastId = firstTime ? 0 : this.lastMessageId;
      this.send({ type: "resume", last_message_id: lastId, last_seq: firstTime ? 0 : this.seqs.get(lastId) || 0 });
      if (this.pending) {
        // Sent before the drop, perhaps never received: the same client_id is answered only once.
        this.send({ type: "message", text: this.pending.text, client_id: this.pending.client_id });
      }
      this.updateControls();
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      if (event.code === CLOSE_NOT_FOUND || event.code === CLOSE_UNAUTHENTICATED) {
        this.showConnection(event.code === CLOSE_NOT_FOUND ? "gone" : "signed-out");
        this.updateControls();
        return;
      }
      this.showConnection("reconnecting");
      this.updateControls();
      const delay = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      window.setTimeout(() => this.connect(), delay);
    });
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  showConnection(state) {
    this.connection.dataset.state = state;
    this.connection.textContent = STATE_LABELS[state];
  }

  // --- frames --------------------------------------------------------------------------------------

  onFrame(frame) {
    if (frame.type === "message" && frame.message) {
      const message = frame.message;
      if (message.status === "streaming") {
        // Announced (or announced again by a replay): its text comes as chunks from seq 1.
        this.seqs.set(message.id, 0);
        this.upsert(message, "");
      } else {
        this.upsert(message, message.content || "");
      }
      if (this.pending && message.client_id === this.pending.client_id) {
        this.pending = null;
      }
    } else if (frame.type === "chunk") {
      const seen = this.seqs.get(frame.message_id) || 0;
      const entry = this.messages.get(frame.message_id);
      if (!entry || frame.seq <= seen) {
        return;
      }
      this.seqs.set(frame.message_id, frame.seq);
      entry.text += frame.text;
      this.renderContent(entry);
    } else if (frame.type === "done" && frame.message) {
      this.upsert(frame.message, frame.message.content || "");
    } else if (frame.type === "error") {
      this.onError(frame);
    }
    this.updateControls();
  }

  onError(frame) {
    if (this.pending && frame.client_id === this.pending.client_id) {
      // Not asked: give the question back so it can be sent again.
      if (!this.question.value) {
        this.question.value = this.pending.text;
      }
      this.pending = null;
    }
    this.showError(frame.message || "Something went wrong.");
  }

  showError(text) {
    this.composerError.textContent = text;
    this.composerError.hidden = !text;
  }

  upsert(message, text) {
    let entry = this.messages.get(message.id);
    if (!entry) {
      const element = document.createElement("li");
      element.dataset.messageId = String(message.id);
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = message.role === "user" ? "You:" : "Answer:";
      const content = document.createElement("div");
      content.className = "chat-message-content";
      content.dataset.content = "";
      element.append(label, content);
      entry = { element, message, text };
      this.messages.set(message.id, entry);
      this.insertInOrder(message.id, element);
      if (this.starters) {
        this.starters.hidden = true;
      }
    }
    entry.message = message;
    entry.text = text;
    entry.element.className = `chat-message chat-message-${message.role}`;
    entry.element.dataset.status = message.status;
    this.lastMessageId = Math.max(this.lastMessageId, message.id);
    this.renderContent(entry);
    this.renderNote(entry);
    this.renderCitations(entry);
  }

  insertInOrder(id, element) {
    const later = [...this.list.children].find((child) => Number(child.dataset.messageId) > id);
    this.list.insertBefore(element, later || null);
    element.scrollIntoView({ block: "nearest" });
  }

  renderContent(entry) {
    const content = entry.element.querySelector("[data-content]");
    // formatMarkdown escapes the text before adding its own tags: the only HTML inserted here.
    content.innerHTML = formatMarkdown(entry.text);
  }

  renderNote(entry) {
    const { message } = entry;
    let note = entry.element.querySelector("[data-note]");
    const text = message.status === "error" ? message.error || "The answer failed." : STATUS_NOTES[message.status];
    if (!text) {
      note?.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "chat-message-note";
      note.dataset.note = "";
      entry.element.querySelector("[data-content]").after(note);
    }
    note.textContent = text;
  }

  renderCitations(entry) {
    entry.element.querySelector(".chat-citations")?.remove();
    const citations = entry.message.citations || [];
    if (!citations.length) {
      return;
    }
    const list = document.createElement("ul");
    list.className = "chat-citations";
    list.setAttribute("aria-label", "Citations");
    for (const citation of citations) {
      const videoId = Number(citation.video_id);
      const start = Number(citation.start) || 0;
      const chip = document.createElement("a");
      chip.className = "chat-chip";
      chip.href = `${this.config.video_url.replace("{id}", String(videoId))}?t=${Math.floor(start)}`;
      chip.dataset.videoId = String(videoId);
      chip.dataset.start = String(start);
      chip.title = citation.text || "";
      chip.textContent = `[${clock(start)}] ${this.config.titles[String(videoId)] || "Video"}`;
      const item = document.createElement("li");
      item.append(chip);
      list.append(item);
    }
    entry.element.append(list);
  }

  // --- actions -------------------------------------------------------------------------------------

  streamingAnswer() {
    for (const entry of this.messages.values()) {
      if (entry.message && entry.message.role === "assistant" && entry.message.status === "streaming") {
        return entry;
      }
    }
    return null;
  }

  updateControls() {
    const online = Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
    const streaming = Boolean(this.streamingAnswer());
    this.sendButton.disabled = !online || streaming || Boolean(this.pending);
    this.cancelButton.hidden = !streaming;
    this.cancelButton.disabled = !online;
  }

  ask(rawText) {
    const text = rawText.trim();
    if (!text) {
      this.showError("Type a question first.");
      return;
    }
    if (text.length > this.config.max_chars) {
      this.showError(`The message is too long: at most ${this.config.max_chars} characters.`);
      return;
    }
    if (this.streamingAnswer() || this.pending) {
      this.showError("Wait for the answer being written, or stop it.");
      return;
    }
    this.pending = { client_id: newClientId(), text };
    if (!this.send({ type: "message", text, client_id: this.pending.client_id })) {
      // Kept as pending: sent as soon as the socket is back.
      this.showError("Not connected: the question will be sent when the connection is back.");
    } else {
      this.showError("");
    }
    this.question.value = "";
    this.updateControls();
  }

  onChipClick(event) {
    const chip = event.target.closest("a.chat-chip");
    if (!chip || !this.player || Number(chip.dataset.videoId) !== this.config.video_id) {
      return; // another video's moment: its page opens at that time
    }
    event.preventDefault();
    this.player.currentTime = Number(chip.dataset.start) || 0;
    this.player.play().catch(() => {}); // autoplay refusals leave it paused at the moment
  }
}

const root = document.getElementById("chat-page");
const configElement = document.getElementById("chat-config");
if (root && configElement) {
  new ChatPage(root, JSON.parse(configElement.textContent));
}
