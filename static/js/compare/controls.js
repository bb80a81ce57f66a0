// The transport's buttons: play/pause both, step, previous/next difference, speed, and a mute per
// side (hidden until this script can drive them). M mutes both through `muteBoth`.

export function bindControls(root, player, jump) {
  root.querySelector("[data-play]").addEventListener("click", () => player.toggle());
  for (const button of root.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => player.step(Number(button.dataset.step)));
  }
  for (const button of root.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", () => jump(button.dataset.jump === "next" ? 1 : -1));
  }
  root.querySelector("[data-speed]").addEventListener("change", (event) => player.setRate(Number(event.target.value)));
  const muteButtons = [...root.querySelectorAll("[data-mute]")];

  function setMuted(side, muted) {
    player.media[side].muted = muted;
    root.querySelector(`[data-mute="${side}"]`)?.setAttribute("aria-pressed", String(muted));
  }

  for (const button of muteButtons) {
    button.hidden = false;
    button.addEventListener("click", () => setMuted(button.dataset.mute, !player.media[button.dataset.mute].muted));
  }

  return {
    muteBoth() {
      // Both muted: both come back; otherwise both go quiet.
      const muted = !(player.media.a.muted && player.media.b.muted);
      setMuted("a", muted);
      setMuted("b", muted);
    },
  };
}
