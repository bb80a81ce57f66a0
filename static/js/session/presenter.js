// The presenter's side: its player's state goes to everyone on every change the person makes
// (a seek with seek=true), and every second while it plays (seek=false: a correction from its real
// playhead, so followers keep to where the presenter's picture is, not where it was meant to be),
// and when the player stops or starts by itself (the end of the timeline, the end of a move).

const WHILE_PLAYING_MS = 1_000;
const WATCH_MS = 250; // how often the current difference is looked at

export function presenterState(player, clock, seek) {
  return {
    playing: player.playing(),
    position: player.position(),
    rate: player.rate(),
    difference: player.difference(),
    threshold: player.threshold(),
    apart: player.apart(),
    at: Math.round(clock.serverNow()),
    seek,
  };
}

export class Presenting {
  constructor(player, socket) {
    this.player = player;
    this.socket = socket;
    this.timer = null;
    this.lastSent = 0;
    this.difference = null;
    this.playing = false;
  }

  send(seek) {
    this.lastSent = Date.now();
    this.difference = this.player.difference();
    this.playing = this.player.playing();
    this.socket.send({ type: "state", data: presenterState(this.player, this.socket.clock, seek) });
  }

  changed(kind) {
    this.send(kind === "seek");
  }

  start() {
    // Nothing is sent at once: the session's state stands (a presenter back on a new page takes it
    // up) until the person changes something, or the playhead's correction a second later.
    this.stop();
    this.lastSent = Date.now();
    this.difference = this.player.difference();
    this.playing = this.player.playing();
    this.timer = window.setInterval(() => {
      const due = this.player.playing() && Date.now() - this.lastSent >= WHILE_PLAYING_MS;
      const changed = this.player.difference() !== this.difference || this.player.playing() !== this.playing;
      if (due || changed) {
        this.send(false);
      }
    }, WATCH_MS);
  }

  stop() {
    window.clearInterval(this.timer);
    this.timer = null;
  }
}
