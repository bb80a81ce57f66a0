// The video page's player as the notes panel drives it: whichever player the page has now (native
// or YouTube), once it is ready.

export function notesPlayer(panel, currentPlayer) {
  function ready() {
    const player = currentPlayer();
    return player && player.isReady() ? player : null;
  }

  function seekTo(seconds) {
    const player = ready();
    if (player) {
      player.seek(seconds);
      player.play();
    }
  }

  function duration() {
    const known = Number(panel.dataset.duration);
    if (known > 0) {
      return known;
    }
    return ready()?.duration() || null;
  }

  return { ready, seekTo, duration };
}
