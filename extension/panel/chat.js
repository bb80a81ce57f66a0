// Chat with the followed video: its newest conversation carried on (or one made at the first question),
// answers streamed as Server-Sent Events (fetch + a stream reader: EventSource cannot POST or send
// the token), every `[mm:ss]` a button that seeks the page's player, and the price and the day's
// remaining questions said before asking.

import { ApiError, api, request } from "../lib/api.js";
import { CLOCK_MARK, clock, markSeconds } from "../lib/clock.js";
import { readEvents } from "../lib/sse.js";
import { clearRetrying, showError } from "./banner.js";
import { seek } from "./player.js";

const messages = document.getElementById("messages");
const form = document.getElementById("chat-form");
const question = document.getElementById("question");
const ask = document.getElementById("ask");
const allowance = document.getElementById("chat-allowance");
const status = document.getElementById("chat-status");

let video = null; // {youtubeId, sageVideo, prices}
let conversationId = null;
let busy = false;

// Text with each `[mm:ss]` made a button that plays that moment on the page. A mark is matched to
// the cited sentence's exact start when the answer cites one at that clock.
function withTimeLinks(text, citations = []) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(CLOCK_MARK)) {
    fragment.append(text.slice(last, match.index));
    const named = markSeconds(match);
    const cited = citations.find((citation) => clock(citation.start) === clock(named));
    const seconds = cited ? cited.start : named;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "time";
    button.textContent = match[0];
    button.title = `Play ${clock(seconds)} on the page`;
    button.addEventListener("click", () => seek(seconds));
    fragment.append(button);
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function messageItem(role, text, citations) {
  const item = document.createElement("li");
  item.className = role === "user" ? "message-question" : "message-answer";
  const body = document.createElement("p");
  body.className = "message-text";
  body.append(role === "user" ? text : withTimeLinks(text, citations));
  item.append(body);
  return item;
}

async function latestConversation(videoId) {
  // The newest conversation about this video (started here or on the site), to carry on; none is
  // made until the first question, so looking at a video leaves nothing behind in the chat list.
  const page = await api("conversations");
  const rows = Array.isArray(page) ? page : page.results || [];
  return rows.find((conversation) => conversation.video === videoId && !conversation.deleted_at) || null;
}

function describeAllowance() {
  const price = video?.prices?.chat_answer;
  const quota = video?.prices?.chat_quota;
  const words = [];
  if (price != null) words.push(price === 0 ? "Answers are free." : `Each answer costs ${price} token${price === 1 ? "" : "s"}.`);
  if (quota) words.push(`${quota.remaining} question${quota.remaining === 1 ? "" : "s"} left today.`);
  allowance.textContent = words.join(" ");
}

export async function showChatFor(next) {
  video = next;
  conversationId = null;
  messages.replaceChildren();
  status.textContent = "";
  const ready = next.sageVideo?.status === "ready";
  form.hidden = !ready;
  if (!ready) {
    allowance.textContent = next.sageVideo
      ? "You can ask questions once the video is ready in SAGE."
      : "Add the video to SAGE to ask it questions.";
    return;
  }
  describeAllowance();
  try {
    const latest = await latestConversation(next.sageVideo.id);
    if (video !== next || !latest) return;
    conversationId = latest.id;
    const history = await api(`conversations/${conversationId}/messages`);
    if (video !== next) return;
    const rows = Array.isArray(history) ? history : history.results || [];
    for (const message of rows) messages.append(messageItem(message.role, message.content, message.citations));
  } catch (error) {
    if (video === next) showError(error);
  }
}

export function stopChat() {
  video = null;
}

async function send() {
  const text = question.value.trim();
  if (!text || busy || !video?.sageVideo) return;
  busy = true;
  ask.disabled = true;
  status.textContent = "Answering…";
  const asking = messageItem("user", text);
  messages.append(asking);
  const answer = document.createElement("li");
  answer.className = "message-answer";
  const body = document.createElement("p");
  body.className = "message-text";
  answer.append(body);
  messages.append(answer);
  const asked = video;
  let streamed = "";
  try {
    let conversation = conversationId;
    if (!conversation) {
      conversation = (await api("conversations", { method: "POST", body: { video: asked.sageVideo.id } })).id;
      if (asked === video) conversationId = conversation;
    }
    const response = await request(`conversations/${conversation}/messages`, {
      method: "POST",
      body: { text, client_id: crypto.randomUUID() },
      accept: "text/event-stream",
    });
    question.value = "";
    clearRetrying();
    await readEvents(response, (data) => {
      if (data.content) {
        // Plain text while it streams; the finished answer gets its time links.
        streamed += data.content;
        body.textContent = streamed;
      } else if (data.message) {
        body.replaceChildren(withTimeLinks(data.message.content, data.message.citations));
      } else if (data.error) {
        status.textContent = data.error.message;
      }
    });
    if (asked === video && status.textContent === "Answering…") status.textContent = "";
  } catch (error) {
    asking.remove(); // the question stays in the box, to send again
    answer.remove();
    status.textContent = "";
    showError(error);
  } finally {
    busy = false;
    ask.disabled = false;
    if (asked === video) asked.reloadPrices().then(() => asked === video && describeAllowance());
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
