// On youtube.com: reports the watch page's video (id, title) to the service worker, lets the side
// panel drive the page's own player (time, seek, pause, play), and starts a note on the key `n`. It never writes into YouTube's page
// and never sees the SAGE token (only the panel and the service worker use it).
//
// A classic script, not an ES module: Chrome loads content scripts declared in the manifest as
// scripts. It runs on every youtube.com page because YouTube moves between pages in-page (a watch
// page is often reached from the home page without a load).

(() => {
  const POLL_MS = 1000; // the URL check behind `yt-navigate-finish`, for navigations it misses

  function videoIdFrom(href) {
    const url = new URL(href);
    if (url.pathname !== "/watch") return "";
    const id = url.searchParams.get("v") || "";
    return /^[A-Za-z0-9_-]{11}$/.test(id) ? id : "";
  }

  function player() {
    // YouTube's main player; its ads and previews play in other <video> elements.
    return (
      document.querySelector("#movie_player video.html5-main-video") ||
      document.querySelector("#movie_player video") ||
      document.querySelector("video")
    );
  }

  function title() {
    const heading = document.querySelector("ytd-watch-metadata h1") || document.querySelector("h1");
    const text = heading ? heading.textContent.trim() : "";
    return text || document.title.replace(/^\(\d+\) /, "").replace(/ - YouTube$/, "");
  }

  function state() {
    const video = player();
    return {
      videoId: videoIdFrom(location.href),
      title: title(),
      currentTime: video ? video.currentTime : 0,
      duration: video && Number.isFinite(video.duration) ? video.duration : null,
      paused: video ? video.paused : true,
    };
  }

  let reported = "";

  function report(reason) {
    const now = state();
    const key = `${now.videoId}|${now.title}`;
    if (reason === "poll" && key === reported) return;
    reported = key;
    chrome.runtime.sendMessage({ type: "youtube-page", reason, videoId: now.videoId, title: now.title }).catch(() => {
      // The service worker is restarting; the next poll reports again.
      reported = "";
    });
  }

  document.addEventListener("yt-navigate-finish", () => report("navigate"));
  // The title can arrive after the URL: the poll sends it once it has changed.
  setInterval(() => report("poll"), POLL_MS);
  // The tab the person last looked at is the one the panel follows.
  window.addEventListener("focus", () => report("focus"));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") report("focus");
  });
  report("load");

  // `n` on the watch page: a note at this moment, as in the panel. Where people watch, the focus is
  // on YouTube's page, not the panel. YouTube gives `n` alone no meaning (Shift+N is "next video",
  // left alone here), and a key typed into a field (search, a comment: inputs and contenteditable
  // boxes, also inside shadow roots) stays that field's. The video pauses at the key, before the
  // panel has opened, so the note's time is the moment the person pressed it.
  function typingInAField(event) {
    const target = event.composedPath()[0];
    return target instanceof Element && Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function beginNote() {
    const before = state();
    const video = player();
    if (video && !video.paused) video.pause();
    return { videoId: before.videoId, title: before.title, start: before.currentTime, resume: !before.paused };
  }

  window.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
      if (event.repeat || event.isComposing || typingInAField(event) || !videoIdFrom(location.href)) return;
      event.preventDefault();
      event.stopImmediatePropagation(); // YouTube's own key handlers do not see it
      // Sent at once, inside the key's user gesture: the service worker may open the panel only then.
      chrome.runtime.sendMessage({ type: "note-key", ...beginNote() }).catch(() => {});
    },
    true,
  );

  chrome.runtime.onMessage.addListener((message, _sender, reply) => {
    if (message?.type === "begin-note") {
      // The keyboard shortcut (chrome.commands, in the service worker): the same as `n` above.
      reply(videoIdFrom(location.href) ? beginNote() : null);
      return false;
    }
    if (message?.type !== "player") return false;
    const video = player();
    if (video) {
      if (message.action === "seek" && Number.isFinite(message.seconds)) {
        video.currentTime = Math.max(0, message.seconds);
      } else if (message.action === "pause") {
        video.pause();
      } else if (message.action === "play") {
        video.play().catch(() => {}); // refused without a gesture on some pages: the person presses play
      }
    }
    reply(state());
    return false;
  });
})();
