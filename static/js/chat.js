// The conversation page (/chat/<id>/): one ChatSession over the page's messages and composer.
// The socket, the rendering and the composer live in ./chat/ (shared with the video page's panel);
// this entry adds what only this page has: the inline player that citation chips of this
// conversation's video play, and the message a search result links to (#message-<id>).

import { ChatSession, composerParts } from "./chat/session.js";
import { ChatThread } from "./chat/thread.js";
import { bringIntoView } from "./shared/seek.js";

function playInline(player, config) {
  return (videoId, seconds) => {
    if (!player || videoId !== config.video_id) {
      return false; // another video's moment: its page opens at that time
    }
    bringIntoView(player); // on a narrow screen the player sits above the thread, out of view
    player.currentTime = seconds;
    player.play().catch(() => {}); // autoplay refusals leave it paused at the moment
    return true;
  };
}

// The message a search result links to (#message-<id>): marked, and kept in view. The browser
// scrolls to it on load; the replay then re-renders the messages (Markdown instead of plain text)
// and may move it, so it is brought back once its own replay has arrived.
function linkedMessage(list) {
  const match = /^#message-(\d+)$/.exec(window.location.hash);
  const element = match ? list.querySelector(`[data-message-id="${match[1]}"]`) : null;
  if (!element) {
    return () => {};
  }
  const show = () => element.scrollIntoView({ block: "center" });
  element.dataset.linked = "";
  show();
  let replayed = false;
  return (frame) => {
    if (!replayed && frame.type === "message" && frame.message?.id === Number(match[1])) {
      replayed = true;
      show();
    }
  };
}

const root = document.getElementById("chat-page");
const configElement = document.getElementById("chat-config");
if (root && configElement) {
  const config = JSON.parse(configElement.textContent);
  const list = root.querySelector("[data-messages]");
  const thread = new ChatThread(list, {
    videoUrl: config.video_url,
    videoId: config.video_id,
    titles: config.titles,
    onCitation: playInline(root.querySelector("video[data-player]"), config),
  });
  new ChatSession({
    socketPath: config.socket_path,
    thread,
    composer: composerParts(root),
    maxChars: config.max_chars,
    onFrame: linkedMessage(list),
  });
}
