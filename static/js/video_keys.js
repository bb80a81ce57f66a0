// The video page's keyboard, in the site's one scheme (shared/shortcuts.js): K plays or pauses, J
// and L go 10 seconds back or forward, , and . one frame (a file; seeks land on a frame, video.js),
// F is full screen, M mutes (a file; YouTube's player has its
// own keys), N adds a note (the notes panel's own key) and ? shows this list. Space and the arrows are
// the focused player's own.

import { setUpShortcuts, toggleFullscreen } from "./shared/shortcuts.js";

const SKIP_S = 10;

export function bindVideoKeys(root, currentPlayer) {
  const ready = () => {
    const player = currentPlayer();
    return player && player.isReady() ? player : null;
  };
  const skip = (seconds) => {
    const player = ready();
    if (player) {
      const end = player.duration() ?? Number.POSITIVE_INFINITY;
      player.seek(Math.min(Math.max(player.currentTime() + seconds, 0), end));
    }
  };
  return setUpShortcuts({
    buttonSlot: root.querySelector(".notes-header"),
    shortcuts: [
      {
        keys: ["k"],
        label: "K",
        does: "Play or pause",
        run: () => {
          const player = ready();
          if (player) {
            player.isPlaying() ? player.pause() : player.play();
          }
        },
      },
      { keys: ["j"], label: "J", does: "10 seconds back", run: () => skip(-SKIP_S) },
      { keys: ["l"], label: "L", does: "10 seconds forward", run: () => skip(SKIP_S) },
      { keys: [","], label: ",", does: "One frame back", run: () => ready()?.frameStep?.(-1) },
      { keys: ["."], label: ".", does: "One frame forward", run: () => ready()?.frameStep?.(1) },
      {
        keys: ["m"],
        label: "M",
        does: "Mute or unmute",
        repeat: false,
        run: () => {
          const video = root.querySelector("video[data-player]");
          if (video) {
            video.muted = !video.muted;
          }
        },
      },
      {
        keys: ["f"],
        label: "F",
        does: "Full screen",
        repeat: false,
        run: () => toggleFullscreen(root.querySelector("[data-player], [data-youtube-player]")),
      },
      { keys: [], label: "N", does: "Add a note at this moment", run() {} }, // the notes panel's key
    ],
  });
}
