// Stored drawings over the players: a comment's drawing shows when playback passes its frame (kept
// SHOWN_FOR_S after it while playing) and stays while paused on that frame; a click on the comment
// in the list seeks there (comments.js) and so shows it.

// How long a drawing stays up after its frame while playing, and how near a paused player must sit
// to a drawing's time to show it (about a frame; a seek lands on a frame boundary, not the time).
const SHOWN_FOR_S = 1.5;
const PAUSED_NEAR_S = 0.07;
const TICK_MS = 100;

export function followStoredDrawings({ players, layers, comments }) {
  const showing = new Map(); // side → comment id shown (or null)

  function chosen(side, time, playing) {
    let best = null;
    for (const comment of comments()) {
      if (!comment.drawing || comment.side !== side) {
        continue;
      }
      const since = time - comment.start;
      const inView = playing ? since >= -PAUSED_NEAR_S && since <= SHOWN_FOR_S : Math.abs(since) <= PAUSED_NEAR_S;
      if (inView && (!best || comment.start >= best.start)) {
        best = comment;
      }
    }
    return best;
  }

  function tick() {
    const playing = players.playing();
    for (const [side, layer] of Object.entries(layers)) {
      const now = players.now(side);
      const comment = now.waiting ? null : chosen(side, now.time, playing);
      const id = comment ? comment.id : null;
      if (showing.get(side) !== id) {
        showing.set(side, id);
        layer.show(comment ? comment.drawing.shapes : []);
        layer.canvas.dataset.showingComment = id === null ? "" : String(id);
      }
    }
  }

  const timer = window.setInterval(tick, TICK_MS);
  tick();
  return {
    refresh() {
      showing.clear();
      tick();
    },
    stop: () => window.clearInterval(timer),
  };
}
