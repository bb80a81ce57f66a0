// Where the extension keeps things, in one place.
// chrome.storage.local (kept across restarts; extension pages and the service worker only, see
// background.js): the site's origin, the API token, the note being written.
// chrome.storage.session (until the browser closes; the same contexts only): the YouTube tab the
// panel follows, a pending connect's verifier, a note asked for from the YouTube page.

export const SITE_ORIGIN = "siteOrigin";
export const CONNECTION = "connection"; // {token, tokenId, name, user: {email, display_name}}
export const NOTE_DRAFT = "noteDraft"; // {youtubeId, start, end, text, resume}
export const PENDING_CONNECT = "pendingConnect"; // {verifier, challenge, origin, startedAt}
export const YOUTUBE_TAB = "youtubeTab"; // {tabId, videoId, title, at}
export const YOUTUBE_TABS = "youtubeTabs"; // {tabId: {tabId, videoId, title, at}}
// `n` on the watch page or the keyboard shortcut: the panel opens a note at `start` (the video was
// paused at the key; `resume`: it was playing, and plays on after).
export const NOTE_REQUEST = "noteRequest"; // {videoId, start, resume, at}
