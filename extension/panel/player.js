// The YouTube tab's own player, driven through its content script. Which tab: the one the service
// worker says the person last looked at (chrome.storage.session), never "the active tab of this
// window" — the panel may sit beside another tab, or be opened as a page of its own.

import { YOUTUBE_TAB } from "../lib/keys.js";

export async function followedTab() {
  return (await chrome.storage.session.get(YOUTUBE_TAB))[YOUTUBE_TAB] || null;
}

export function onFollowedTabChange(listener) {
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "session" && changes[YOUTUBE_TAB]) listener(changes[YOUTUBE_TAB].newValue || null);
  });
}

async function command(action, extra = {}) {
  const tab = await followedTab();
  if (!tab) return null;
  try {
    return await chrome.tabs.sendMessage(tab.tabId, { type: "player", action, ...extra });
  } catch {
    return null; // the tab closed or reloads: nothing to drive
  }
}

// Each answers the page's state afterwards: {videoId, title, currentTime, duration, paused}, or null.
export const playerState = () => command("state");
export const seek = (seconds) => command("seek", { seconds });
export const pause = () => command("pause");
export const play = () => command("play");
