// The service worker: remembers which YouTube tab the side panel follows, opens the panel from the
// toolbar button, and starts a note from the YouTube page (the key `n` there, or the shortcut).
//
// The panel follows the YouTube tab the person last looked at, as its content script reports it
// (loaded, navigated in-page, focused), not "the active tab of this window": the panel may be open
// beside another tab, or in a page of its own, and the extension has no "tabs" permission to read
// other tabs' URLs. What is known lives in chrome.storage.session (this worker may be stopped at any
// moment), which only the extension's own pages and this worker can read.

import { NOTE_REQUEST, YOUTUBE_TAB, YOUTUBE_TABS } from "./lib/keys.js";

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

// A note asked for on the YouTube page (where the focus is while people watch): the panel opens if
// it was closed, follows that tab, and starts the note at the moment of the key. `open` is called
// first and not awaited: Chrome allows it only while the key's user gesture lasts.
function openPanelFor(tabId) {
  chrome.sidePanel.open({ tabId }).catch(() => {}); // already open, or no gesture: the request stands
}

async function requestNote(tabId, note) {
  if (!note?.videoId) return;
  const tabs = await knownTabs();
  tabs[tabId] = { tabId, videoId: note.videoId, title: note.title || tabs[tabId]?.title || "", at: Date.now() };
  const request = { videoId: note.videoId, start: Number(note.start) || 0, resume: Boolean(note.resume), at: Date.now() };
  // One write: the panel follows the tab and finds the request together.
  await chrome.storage.session.set({ [YOUTUBE_TABS]: tabs, [YOUTUBE_TAB]: tabs[tabId], [NOTE_REQUEST]: request });
}

// The keyboard shortcut (Alt+N; Control+Shift+N on a Mac; changed at chrome://extensions/shortcuts)
// works whatever has the focus, a field on YouTube's page included. Alt+Shift+N was the first idea,
// but Chromium keeps it for itself (it leaves the shortcut unset: test_note_key reads what was set).
async function onCommand(command, tab) {
  if (command !== "note-here" || !tab?.id) return;
  openPanelFor(tab.id);
  let note = null;
  try {
    note = await chrome.tabs.sendMessage(tab.id, { type: "begin-note" });
  } catch {
    return; // not a YouTube tab (no content script there): the panel opened says what it can
  }
  await requestNote(tab.id, note);
}

chrome.commands.onCommand.addListener(onCommand);

chrome.runtime.onMessage.addListener((message, sender) => {
  if (!sender.tab || sender.id !== chrome.runtime.id) return;
  if (message?.type === "note-key") {
    openPanelFor(sender.tab.id);
    requestNote(sender.tab.id, message);
    return;
  }
  if (message?.type !== "youtube-page") return;
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
