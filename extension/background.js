// The service worker: remembers which YouTube tab the side panel follows, and opens the panel from
// the toolbar button.
//
// The panel follows the YouTube tab the person last looked at, as its content script reports it
// (loaded, navigated in-page, focused), not "the active tab of this window": the panel may be open
// beside another tab, or in a page of its own, and the extension has no "tabs" permission to read
// other tabs' URLs. What is known lives in chrome.storage.session (this worker may be stopped at any
// moment), which only the extension's own pages and this worker can read.

import { YOUTUBE_TAB, YOUTUBE_TABS } from "./lib/keys.js";

// The API token and the note drafts live in chrome.storage.local: only the extension's own pages and
// this worker may read it, never the content script that runs inside YouTube's pages (nor anything
// that might subvert it). Session storage (the connect verifier) is restricted so by default.
chrome.storage.local.setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" }).catch(() => {});

// The toolbar button opens the panel (set on every start: cheap, and true after an update too).
chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch(() => {});

async function knownTabs() {
  const stored = await chrome.storage.session.get(YOUTUBE_TABS);
  return stored[YOUTUBE_TABS] || {};
}

async function follow(tabId, page) {
  const tabs = await knownTabs();
  tabs[tabId] = { tabId, videoId: page.videoId, title: page.title, at: Date.now() };
  await chrome.storage.session.set({ [YOUTUBE_TABS]: tabs, [YOUTUBE_TAB]: tabs[tabId] });
}

chrome.runtime.onMessage.addListener((message, sender) => {
  if (message?.type !== "youtube-page" || !sender.tab || sender.id !== chrome.runtime.id) return;
  const tabId = sender.tab.id;
  (async () => {
    const current = (await chrome.storage.session.get(YOUTUBE_TAB))[YOUTUBE_TAB];
    // A background tab's own changes (its title arriving) update it without taking the panel over.
    if (message.reason === "poll" && current && current.tabId !== tabId) {
      const tabs = await knownTabs();
      tabs[tabId] = { tabId, videoId: message.videoId, title: message.title, at: tabs[tabId]?.at || 0 };
      await chrome.storage.session.set({ [YOUTUBE_TABS]: tabs });
      return;
    }
    await follow(tabId, message);
  })();
});

// Switching to a YouTube tab we know makes it the panel's; tab ids need no "tabs" permission.
chrome.tabs.onActivated.addListener(async ({ tabId }) => {
  const tabs = await knownTabs();
  if (tabs[tabId]) await follow(tabId, tabs[tabId]);
});

chrome.tabs.onRemoved.addListener(async (tabId) => {
  const tabs = await knownTabs();
  if (!tabs[tabId]) return;
  delete tabs[tabId];
  const current = (await chrome.storage.session.get(YOUTUBE_TAB))[YOUTUBE_TAB];
  const latest = Object.values(tabs).sort((a, b) => b.at - a.at)[0] || null;
  const next = current && current.tabId !== tabId ? current : latest;
  await chrome.storage.session.set({ [YOUTUBE_TABS]: tabs, [YOUTUBE_TAB]: next });
});
