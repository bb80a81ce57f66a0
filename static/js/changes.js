// The change list's page (templates/conform/changes.html): choosing an event — its row or one of its
// blocks — seeks both players to it (v1 to where the event's material sat, v2 to where it is now),
// paused, so that the two frames can be compared; the event chosen is marked in the list and the blocks.

const page = document.querySelector("[data-changes-page]");

function seekTo(player, seconds) {
  if (!player || !Number.isFinite(seconds)) return;
  player.pause();
  const apply = () => {
    player.currentTime = Math.min(seconds, Number.isFinite(player.duration) ? player.duration : seconds);
  };
  if (player.readyState >= 1) apply();
  else player.addEventListener("loadedmetadata", apply, { once: true });
}

function choose(number) {
  const row = page.querySelector(`[data-event="${number}"]`);
  if (!row) return;
  seekTo(page.querySelector('[data-player="a"]'), Number(row.dataset.seekA));
  seekTo(page.querySelector('[data-player="b"]'), Number(row.dataset.seekB));
  for (const chosen of page.querySelectorAll(".is-current")) chosen.classList.remove("is-current");
  row.classList.add("is-current");
  for (const block of page.querySelectorAll(`[data-event-block="${number}"]`)) block.classList.add("is-current");
}

if (page) {
  page.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek-event], [data-event-block]");
    if (!target) return;
    choose(target.dataset.seekEvent || target.dataset.eventBlock);
  });
}
