// Playing a moment in the page's player from another part of the page (chat citation chips, summary
// times): the player is brought into view first (a chip may sit far below it), then asked to seek
// through a `sage:seek` event, which the page's player script takes (video.js knows the file player
// and YouTube's). Returns false when nothing took it, so the caller's link opens ?t= instead.

export function bringIntoView(element) {
  if (!element) {
    return;
  }
  const box = element.getBoundingClientRect();
  const viewportHeight = window.innerHeight || document.documentElement.clientHeight;
  if (box.top < 0 || box.bottom > viewportHeight) {
    element.scrollIntoView({ block: box.height > viewportHeight ? "start" : "nearest" });
  }
}

export function seekOnPage(origin, seconds, { play = true } = {}) {
  bringIntoView(document.querySelector("[data-video-page] .player-frame"));
  const seek = new CustomEvent("sage:seek", { bubbles: true, cancelable: true, detail: { seconds, play } });
  return !origin.dispatchEvent(seek);
}
