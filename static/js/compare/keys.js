// The comparison's keyboard: Space plays or pauses both, ←/→ step a second, , and . step a frame,
// N and P go to the next and previous difference.

export function bindKeys(player, jump) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      return; // the slider, the speed and any text field keep their own keys
    }
    const onControl = Boolean(target.closest("button, a, summary"));
    const actions = {
      " ": () => player.toggle(),
      ArrowLeft: () => player.step(-1),
      ArrowRight: () => player.step(1),
      ",": () => player.frameStep(-1),
      ".": () => player.frameStep(1),
      n: () => jump(1),
      p: () => jump(-1),
    };
    const action = actions[event.key];
    if (!action || (event.key === " " && onControl)) {
      return; // Space on a button presses that button
    }
    event.preventDefault();
    action();
  });
}
