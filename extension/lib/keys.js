// Where the extension keeps things, in one place.
// chrome.storage.local (kept across restarts): the site's origin, the API token, note drafts,
// each video's conversation. chrome.storage.session (until the browser closes; extension pages and
// the service worker only): the YouTube tab the panel follows, a pending connect's verifier.

export const SITE_ORIGIN = "siteOrigin";
export const CONNECTION = "connection"; // {token, tokenId, name, user: {email, display_name}}
export const NOTE_DRAFT = "noteDraft"; // {youtubeId, start, end, text}
export const CONVERSATIONS = "conversations"; // {youtubeId: conversationId}
export const PENDING_CONNECT = "pendingConnect"; // {verifier, challenge, origin}
export const YOUTUBE_TAB = "youtubeTab"; // {tabId, videoId, title, at}
export const YOUTUBE_TABS = "youtubeTabs"; // {tabId: {tabId, videoId, title, at}}
