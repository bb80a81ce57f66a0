// The chat panel on a ready video's page: this video's recent conversations (newest first, one
// picked), a new one started without leaving the page, answers streamed in as on the chat page
// (the same ./chat/ modules), and citation chips that play their moment in this page's player.
//
// Without JavaScript the panel's "New conversation" button is a plain form: it starts one and
// opens it on its own page. The panel can also appear later, when the video finishes processing
// while its page is open (video.js swaps the part in): it is set up when it appears.

import { ChatSession, composerParts } from "./chat/session.js";
import { ChatThread } from "./chat/thread.js";
import { bringIntoView, seekOnPage } from "./shared/seek.js";

const UNTITLED = "New conversation";

// Plays a moment of this video in the page's player; false lets the chip's link open ?t= instead.
function playOnThisPage(panel, videoId) {
  return (citedVideoId, seconds) => {
    if (citedVideoId !== videoId) {
      return false;
    }
    // The player is brought into view (it sits above the panel, often off-screen), and the page's
    // player script may take the seek (it knows YouTube's player too): it says so by cancelling
    // the event.
    if (seekOnPage(panel, seconds)) {
      return true;
    }
    const player = document.querySelector("[data-video-page] video[data-player]");
    if (!player) {
      return false; // YouTube's embed, with no seek to call: the link reloads the page at that time
    }
    bringIntoView(player);
    player.currentTime = seconds;
    player.play()?.catch(() => {}); // autoplay refused: it waits, paused, at the moment
    return true;
  };
}

function csrfToken(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

class ChatPanel {
  constructor(panel) {
    this.panel = panel;
    this.composer = composerParts(panel);
    this.status = panel.querySelector("[data-chat-panel-status]");
    this.pickBox = panel.querySelector("[data-chat-pick-box]");
    this.pick = panel.querySelector("[data-chat-pick]");
    this.newForm = panel.querySelector("[data-chat-new]");
    this.fullPage = panel.querySelector("[data-chat-full-page]");
    this.conversationBar = panel.querySelector("[data-chat-conversation]");
    this.conversations = [];
    this.current = null;
    this.session = null;
    this.thread = null;
    this.config = null;
    this.starting = false;

    this.newForm.addEventListener("submit", (event) => {
      if (this.config) {
        event.preventDefault(); // started here, over fetch; before the data has loaded, the form posts
        this.startNew();
      }
    });
    this.pick.addEventListener("change", () => {
      const chosen = this.conversations.find((conversation) => String(conversation.id) === this.pick.value);
      if (chosen) {
        this.open(chosen);
      }
    });
    this.load();
  }

  async load() {
    try {
      const response = await fetch(this.panel.dataset.conversationsUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      this.config = await response.json();
    } catch {
      this.showStatus("Your conversations could not be loaded here: “New conversation” opens one on its own page.");
      return;
    }
    if (!this.panel.isConnected) {
      return; // swapped out while loading
    }
    this.thread = new ChatThread(this.panel.querySelector("[data-messages]"), {
      videoUrl: this.config.video_url,
      videoId: this.config.video_id,
      titles: this.config.titles,
      onCitation: playOnThisPage(this.panel, this.config.video_id),
      scrollList: true,
    });
    this.composer.question.maxLength = this.config.max_chars;
    this.conversations = this.config.conversations;
    this.renderPicker();
    if (this.conversations.length) {
      this.open(this.conversations[0]);
    } else {
      this.showStatus("No conversations about this video yet: start one.");
    }
  }

  showStatus(text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  renderPicker() {
    this.pick.replaceChildren(
      ...this.conversations.map((conversation) => {
        const option = document.createElement("option");
        option.value = String(conversation.id);
        option.textContent = conversation.title || UNTITLED; // text, never HTML: titles are questions people typed
        return option;
      }),
    );
    this.pickBox.hidden = this.conversations.length === 0;
    if (this.current) {
      this.pick.value = String(this.current.id);
    }
  }

  open(conversation) {
    if (!this.panel.isConnected) {
      return; // swapped out while a request was on its way: a socket here would never be closed
    }
    this.session?.close();
    this.thread.clear();
    this.current = conversation;
    this.pick.value = String(conversation.id);
    this.fullPage.href = conversation.url;
    this.fullPage.hidden = false;
    this.conversationBar.hidden = false;
    this.composer.form.hidden = false;
    this.showStarters(conversation.message_count === 0 ? this.config.starters : []);
    this.showStatus("");
    this.session = new ChatSession({
      socketPath: conversation.socket_path,
      thread: this.thread,
      composer: this.composer,
      maxChars: this.config.max_chars,
      onFrame: (frame) => this.noticeMessage(conversation, frame),
    });
  }

  showStarters(questions) {
    const starters = this.composer.starters;
    const list = starters.querySelector("ul");
    list.replaceChildren(
      ...questions.map((question) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "chat-starter";
        button.dataset.starter = "";
        button.textContent = question;
        const item = document.createElement("li");
        item.append(button);
        return item;
      }),
    );
    starters.hidden = questions.length === 0;
  }

  // Keeps the list's record current: no starters once it has messages, and an untitled conversation
  // is named by its first question (as the server names it), in the picker too.
  noticeMessage(conversation, frame) {
    const message = frame.type === "message" ? frame.message : null;
    if (!message) {
      return;
    }
    conversation.message_count = Math.max(conversation.message_count, 1);
    if (message.role !== "user" || conversation.title) {
      return;
    }
    const text = message.content.trim().replace(/\s+/g, " ");
    const most = this.config.title_max_chars;
    conversation.title = text.length > most ? `${text.slice(0, most - 1).trimEnd()}…` : text;
    const option = [...this.pick.options].find((candidate) => candidate.value === String(conversation.id));
    if (option) {
      option.textContent = conversation.title;
    }
  }

  async startNew() {
    if (this.starting) {
      return;
    }
    this.starting = true;
    const button = this.newForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(this.panel.dataset.conversationsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(this.newForm) },
        body: new FormData(this.newForm),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || !body.conversation) {
        this.showStatus(body.error?.message || "The conversation could not be started: try again.");
        return;
      }
      this.conversations.unshift(body.conversation);
      this.current = body.conversation;
      this.renderPicker();
      this.open(body.conversation);
      this.composer.question.focus();
    } catch {
      this.showStatus("The conversation could not be started: check the connection and try again.");
    } finally {
      this.starting = false;
      button.disabled = false;
    }
  }

  close() {
    this.session?.close();
    this.session = null;
  }
}

// Panels by element: one ChatPanel each, closed when video.js swaps its part out.
const panels = new Map();

function setUpPanels() {
  for (const [element, panel] of panels) {
    if (!element.isConnected) {
      panel.close();
      panels.delete(element);
    }
  }
  for (const element of document.querySelectorAll("[data-chat-panel]")) {
    if (!panels.has(element)) {
      panels.set(element, new ChatPanel(element));
    }
  }
}

const slot = document.querySelector('[data-video-page] [data-swap="chat"]');
if (slot) {
  setUpPanels();
  // video.js replaces the slot (a child of the same parent) when the video's status changes.
  new MutationObserver(setUpPanels).observe(slot.parentElement, { childList: true });
}
