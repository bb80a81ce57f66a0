// What the comments do to the rest of the page: C comments at this moment (on a comparison the
// compare keyboard lists it and asks through "sage:comment-open"; a video page gets the key here),
// and a link that is revoked or expires closes the shared page at once.

const TYPING_TARGETS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

export function listenForCommentKey(players, open) {
  document.addEventListener("sage:comment-open", () => open());
  if (players?.kind === "comparison") {
    return; // compare/keys.js owns the keyboard there
  }
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    const target = event.target instanceof Element ? event.target : document.body;
    if (event.key.toLowerCase() !== "c" || target.closest(TYPING_TARGETS) || document.querySelector("dialog[open]")) {
      return;
    }
    event.preventDefault();
    open();
  });
}

export function closeSharedPage(players) {
  // The players stop and let go of their files (whose signed URLs die with the link anyway), and the
  // page says why there is nothing left: the link is no longer the owner's to hand out.
  players?.pause();
  for (const video of document.querySelectorAll("video")) {
    video.pause();
    video.removeAttribute("src");
    for (const source of video.querySelectorAll("source")) {
      source.remove();
    }
    video.load();
  }
  const main = document.querySelector("main") || document.body;
  const notice = document.createElement("section");
  notice.className = "card shared-closed";
  notice.dataset.sharedClosed = "";
  const heading = document.createElement("h1");
  heading.textContent = "This link was revoked or has expired";
  const text = document.createElement("p");
  text.textContent = "Ask whoever sent it to you for a new one.";
  notice.append(heading, text);
  main.replaceChildren(notice);
  main.focus?.();
}
