// A conversation's messages rendered into a list: questions, answers streaming in chunk by chunk,
// status notes and citation chips (each plays from where its cited sentence starts), and the
// answers' [mm:ss] times, which play their moment (./times.js). Messages are kept by id, so a
// replay updates them in place and never shows one twice. Used by the chat page and by the video
// page's chat panel.
//
// Markdown is rendered by the server only (notes.markdown, the notes' safe dialect): a message's
// frame carries it as `html`. While an answer streams its text is shown as plain text, then
// replaced by the server's HTML when the `done` frame arrives.

import { clockMark } from "../shared/clock.js";
import { linkTimes } from "./times.js";

const STATUS_NOTES = {
  streaming: "Writing…",
  cancelled: "Cancelled.",
};

export class ChatThread {
  // list: the <ol> to render into. videoUrl: the video page's URL with "{id}" for the video's id.
  // videoId: the conversation's video (null for the whole library). titles: video id → title, for
  // chip labels. onCitation(videoId, seconds) plays a moment and returns true, or returns false to
  // let the chip's (or the [mm:ss] time's) link open the video page at that time.
  // scrollList: the list scrolls by itself (the panel), rather than the page (the chat page).
  constructor(list, { videoUrl, videoId = null, titles, onCitation, scrollList = false }) {
    this.list = list;
    this.videoUrl = videoUrl;
    this.videoId = videoId;
    this.titles = titles || {};
    this.onCitation = onCitation;
    this.scrollList = scrollList;
    this.messages = new Map(); // id → { element, message, text, html }
    for (const element of list.querySelectorAll("[data-message-id]")) {
      // Rendered by the server until the replay renders them again (the same HTML).
      this.messages.set(Number(element.dataset.messageId), { element, message: null, text: "", html: "" });
    }
    list.addEventListener("click", (event) => this.onChipClick(event));
  }

  get size() {
    return this.messages.size;
  }

  clear() {
    this.messages.clear();
    this.list.replaceChildren();
  }

  // A frame from ChatConnection: message (announced or replayed), chunk of an answer, done.
  apply(frame) {
    if (frame.type === "message" && frame.message) {
      const message = frame.message;
      // A streaming answer's text comes as chunks from seq 1, even on a replay.
      this.upsert(message, message.status === "streaming" ? "" : message.content || "");
    } else if (frame.type === "retrying") {
      // The model is busy and asked again: said in the answer's place until its first piece.
      const entry = this.messages.get(frame.message_id);
      if (entry && entry.message && entry.message.status === "streaming" && !entry.text) {
        entry.retrying = frame.message || "";
        this.renderNote(entry);
      }
    } else if (frame.type === "chunk") {
      const entry = this.messages.get(frame.message_id);
      if (entry) {
        if (entry.retrying) {
          entry.retrying = "";
          this.renderNote(entry);
        }
        entry.text += frame.text;
        entry.html = "";
        this.renderContent(entry);
      }
    } else if (frame.type === "done" && frame.message) {
      this.upsert(frame.message, frame.message.content || "");
    }
  }

  streamingAnswer() {
    for (const entry of this.messages.values()) {
      if (entry.message && entry.message.role === "assistant" && entry.message.status === "streaming") {
        return entry;
      }
    }
    return null;
  }

  upsert(message, text) {
    let entry = this.messages.get(message.id);
    if (!entry) {
      const element = document.createElement("li");
      element.id = `message-${message.id}`;
      element.dataset.messageId = String(message.id);
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = message.role === "user" ? "You:" : "Answer:";
      const content = document.createElement("div");
      content.className = "chat-message-content";
      content.dataset.content = "";
      element.append(label, content);
      entry = { element, message, text, html: "" };
      this.messages.set(message.id, entry);
      this.insertInOrder(message.id, element);
    }
    entry.message = message;
    entry.text = text;
    entry.html = message.status === "streaming" ? "" : message.html || "";
    entry.element.className = `chat-message chat-message-${message.role}`;
    entry.element.dataset.status = message.status;
    this.renderContent(entry);
    this.renderNote(entry);
    this.renderCitations(entry);
  }

  insertInOrder(id, element) {
    const later = [...this.list.children].find((child) => Number(child.dataset.messageId) > id);
    const atBottom = this.isScrolledToBottom();
    this.list.insertBefore(element, later || null);
    if (!this.scrollList) {
      element.scrollIntoView({ block: "nearest" });
    } else if (atBottom) {
      this.list.scrollTop = this.list.scrollHeight;
    }
  }

  isScrolledToBottom() {
    // A reader who scrolled up to read is left there; otherwise the newest text stays in view.
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
  }

  renderContent(entry) {
    const atBottom = this.scrollList && this.isScrolledToBottom();
    const content = entry.element.querySelector("[data-content]");
    if (entry.html) {
      // Rendered and made safe by the server (raw HTML escaped, http(s) links only): the only HTML
      // inserted here.
      content.innerHTML = entry.html;
    } else {
      content.textContent = entry.text; // streaming: plain text until the answer is done
    }
    if (entry.message?.role === "assistant") {
      // Its [mm:ss] times play their moment, while it streams too.
      linkTimes(content, { videoId: this.videoId, citations: entry.message.citations, videoUrl: this.videoUrl });
    }
    if (atBottom) {
      this.list.scrollTop = this.list.scrollHeight;
    }
  }

  renderNote(entry) {
    const { message } = entry;
    let note = entry.element.querySelector("[data-note]");
    const text =
      message.status === "error"
        ? message.error || "The answer failed."
        : (message.status === "streaming" && entry.retrying) || STATUS_NOTES[message.status];
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
      chip.href = `${this.videoUrl.replace("{id}", String(videoId))}?t=${Math.floor(start)}`;
      chip.dataset.videoId = String(videoId);
      chip.dataset.start = String(start);
      chip.title = citation.text || "";
      chip.textContent = `${clockMark(start)} ${this.titles[String(videoId)] || "Video"}`;
      if (citation.low_confidence) {
        // The recogniser was unsure of the sentence's words: said in words, not by colour alone.
        const uncertain = document.createElement("span");
        uncertain.className = "chat-chip-uncertain";
        uncertain.textContent = "(uncertain)";
        chip.append(" ", uncertain);
      }
      const item = document.createElement("li");
      item.append(chip);
      list.append(item);
    }
    entry.element.append(list);
  }

  onChipClick(event) {
    const chip = event.target.closest("a.chat-chip, a.chat-time");
    if (!chip || !this.onCitation) {
      return;
    }
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // opening the moment in a new tab or window
    }
    if (this.onCitation(Number(chip.dataset.videoId), Number(chip.dataset.start) || 0)) {
      event.preventDefault();
    }
  }
}
