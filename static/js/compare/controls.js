// The transport's buttons: play/pause both, step, previous/next difference, speed, and a mute
// per side (hidden until this script can drive them).

export function bindControls(root, player, jump) {
  root.querySelector("[data-play]").addEventListener("click", () => player.toggle());
  for (const button of root.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => player.step(Number(button.dataset.step)));
  }
  for (const button of root.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", () => jump(button.dataset.jump === "next" ? 1 : -1));
  }
  root.querySelector("[data-speed]").addEventListener("change", (event) => player.setRate(Number(event.target.value)));
  for (const button of root.querySelectorAll("[data-mute]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const video = player.media[button.dataset.mute];
      video.muted = !video.muted;
      button.setAttribute("aria-pressed", String(video.muted));
    });
  }
}
