// The comparison's keyboard, in the site's one scheme (shared/shortcuts.js): K or Space plays or
// pauses both, J and L go 10 seconds back or forward, ← and → one second, , and . one frame, [ and ]
// to the previous and next difference, M mutes both, F shows the players full screen, N adds a note
// (not on the shared sample, which is read-only), C comments (where the page takes comments), ? shows
// this list.

import { setUpShortcuts, toggleFullscreen } from "../shared/shortcuts.js";

export function bindKeys(root, { player, jump, muteBoth, openNote, readOnly = false }) {
  const stage = root.querySelector("[data-compare-stage]");
  const addNote = { keys: ["n"], label: "N", does: "Add a note at this moment", run: openNote, repeat: false };
  // The comments panel's form (reviews/comments.js), where the page has one a reviewer may use.
  const comment = {
    keys: ["c"],
    label: "C",
    does: "Comment at this moment",
    run: () => document.dispatchEvent(new CustomEvent("sage:comment-open")),
    repeat: false,
  };
  const commenting = Boolean(root.querySelector("[data-comment-open]"));
  return setUpShortcuts({
    buttonSlot: root.querySelector("[data-keys-help-slot]"),
    shortcuts: [
      { keys: ["k", " "], label: "K or Space", does: "Play or pause both", run: () => player.toggle() },
      { keys: ["j"], label: "J", does: "10 seconds back", run: () => player.step(-10) },
      { keys: ["l"], label: "L", does: "10 seconds forward", run: () => player.step(10) },
      { keys: ["ArrowLeft"], label: "←", does: "One second back", run: () => player.step(-1) },
      { keys: ["ArrowRight"], label: "→", does: "One second forward", run: () => player.step(1) },
      { keys: [","], label: ",", does: "One frame back", run: () => player.frameStep(-1) },
      { keys: ["."], label: ".", does: "One frame forward", run: () => player.frameStep(1) },
      { keys: ["["], label: "[", does: "Previous difference", run: () => jump(-1) },
      { keys: ["]"], label: "]", does: "Next difference", run: () => jump(1) },
      { keys: ["m"], label: "M", does: "Mute or unmute both", run: muteBoth, repeat: false },
      { keys: ["f"], label: "F", does: "Players full screen", run: () => toggleFullscreen(stage), repeat: false },
      ...(readOnly ? [] : [addNote]),
      ...(commenting ? [comment] : []),
    ],
  });
}
