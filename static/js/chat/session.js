// A conversation on screen: its socket (ChatConnection), its messages (ChatThread) and the composer
// that asks and cancels. The chat page holds one for its life; the video page's panel opens one per
// conversation it shows and closes it when it shows another.

import { showRefusal } from "../shared/buy.js";
import { CONNECTION_LABELS, ChatConnection } from "./socket.js";

// Finds a composer's parts inside `root` (the same data- attributes on both pages).
export function composerParts(root) {
  return {
    form: root.querySelector("[data-composer]"),
    question: root.querySelector("[data-question]"),
    sendButton: root.querySelector("[data-send]"),
    cancelButton: root.querySelector("[data-cancel]"),
    error: root.querySelector("[data-composer-error]"),
    connection: root.querySelector("[data-connection]"),
    starters: root.querySelector("[data-starters]"),
    allowance: root.querySelector("[data-allowance]"),
  };
}

const tokenCount = new Intl.NumberFormat("en-US"); // as the server's intcomma

// The price and the questions left under the composer (chat/partials/allowance.html), as a
// finished answer's `done` frame reports them.
function showAllowance(element, allowance) {
  if (!element || !allowance) {
    return;
  }
  const left = Number(allowance.questions_left);
  element.querySelector("[data-questions-left]").textContent = tokenCount.format(left);
  element.querySelector("[data-questions-reset]").hidden = left > 0;
  element.classList.toggle("chat-allowance-out", left === 0);
}

export class ChatSession {
  // onFrame (optional) sees every frame after the thread has shown it.
  constructor({ socketPath, thread, composer, maxChars, onFrame = null }) {
    this.thread = thread;
    this.afterFrame = onFrame;
    this.composer = composer;
    this.maxChars = maxChars;
    this.listeners = new AbortController(); // close() removes every listener added here
    const signal = this.listeners.signal;
    const { form, question, cancelButton, starters } = composer;
    form.addEventListener(
      "submit",
      (event) => {
        event.preventDefault();
        this.ask(question.value);
      },
      { signal },
    );
    question.addEventListener(
      "keydown",
      (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.ask(question.value);
        }
      },
      { signal },
    );
    cancelButton.addEventListener("click", () => this.connection.cancel(), { signal });
    starters?.addEventListener(
      "click",
      (event) => {
        const button = event.target.closest("[data-starter]");
        if (button) {
          this.ask(button.textContent.trim());
        }
      },
      { signal },
    );
    this.connection = new ChatConnection(socketPath, {
      onFrame: (frame, details) => this.onFrame(frame, details),
      onState: (state) => this.showConnection(state),
    });
    this.showError("");
    this.connection.start();
    this.updateControls();
  }

  close() {
    this.listeners.abort();
    this.connection.close();
    this.showConnection("offline");
    this.composer.sendButton.disabled = true;
    this.composer.cancelButton.hidden = true;
  }

  onFrame(frame, { returnedText }) {
    this.thread.apply(frame);
    if (frame.type === "done") {
      showAllowance(this.composer.allowance, frame.allowance);
    }
    if (this.composer.starters && this.thread.size > 0) {
      this.composer.starters.hidden = true;
    }
    if (frame.type === "error") {
      if (returnedText && !this.composer.question.value) {
        this.composer.question.value = returnedText;
      }
      this.showError(frame.message || "Something went wrong.", frame); // a refusal for tokens offers the pack
    }
    this.updateControls();
    this.afterFrame?.(frame);
  }

  showConnection(state) {
    const element = this.composer.connection;
    if (element) {
      element.dataset.state = state;
      element.textContent = CONNECTION_LABELS[state];
    }
    this.updateControls();
  }

  showError(text, frame = null) {
    showRefusal(this.composer.error, text, frame);
  }

  updateControls() {
    if (!this.connection) {
      return; // the first state arrives while the connection is being made
    }
    const online = this.connection.online;
    const streaming = Boolean(this.thread.streamingAnswer());
    this.composer.sendButton.disabled = !online || streaming || this.connection.hasPending;
    this.composer.cancelButton.hidden = !streaming;
    this.composer.cancelButton.disabled = !online;
  }

  ask(rawText) {
    const text = rawText.trim();
    if (!text) {
      this.showError("Type a question first.");
      return;
    }
    if (text.length > this.maxChars) {
      this.showError(`The message is too long: at most ${this.maxChars} characters.`);
      return;
    }
    if (this.thread.streamingAnswer() || this.connection.hasPending) {
      this.showError("Wait for the answer being written, or stop it.");
      return;
    }
    if (this.connection.ask(text)) {
      this.showError("");
    } else {
      this.showError("Not connected: the question will be sent when the connection is back.");
    }
    this.composer.question.value = "";
    this.updateControls();
  }
}
