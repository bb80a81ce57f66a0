// The presenter's side: what its picture shows goes to everyone (issue 62). On every change the
// person makes the state goes at once (a seek with seek=true, so followers start their own seek
// while this page's is still under way: a seek while playing is announced as landing when this
// page's seeks have been landing, `seekLead`); then, as soon as the picture settles (the sought
// frame presented, the first frames after play or a rate change), a correction from the frame on
// screen and the instant it was shown (seek=false), and more every QUICK_MS for QUICK_FOR_MS; after
// that every second while it plays, and when the player stops or starts by itself (the end of the
// timeline, the end of a move). Paused, the frame on screen is announced (by its middle): a paused
// player's clock can be a frame past the last frame it showed. Without a picture to read (the
// compare page) the player's clock stands for it.

import { DEFAULT_FRAME_S, learntLead } from "./follow.js";

const WHILE_PLAYING_MS = 1_000;
const QUICK_MS = 250; // right after a change, corrections go this often…
const QUICK_FOR_MS = 2_000; // …for this long
const WATCH_MS = 125; // how often the difference, the play state and the cadence are looked at
const FRESH_MS = 250; // a frame presented this recently tells where the playing picture is
const FIRST_SEEK_LEAD_S = 0.05; // what a seek is taken to take before this page has seen one land
const PAUSE_SETTLES_MS = 150; // a frame may still be presented just after a pause

export function presenterState(player, clock, seek, { landsIn = 0, fromPicture = true, frameS = DEFAULT_FRAME_S } = {}) {
  const playing = player.playing();
  const frame = player.picture();
  const fresh = fromPicture && playing && !player.settling() && frame && Date.now() - frame.at <= FRESH_MS;
  const still = !playing && !player.settling() && frame && !player.apart();
  let position = player.position();
  if (fresh) {
    position = frame.media; // the frame on screen, at the instant it was shown
  } else if (still) {
    position = frame.media + frameS / 2; // the frame on screen, by its middle
  }
  return {
    playing,
    position,
    rate: player.rate(),
    difference: player.difference(),
    threshold: player.threshold(),
    apart: player.apart(),
    at: Math.round(fresh ? frame.at + clock.offset : clock.serverNow() + landsIn * 1000),
    seek,
  };
}

export class Presenting {
  constructor(player, socket, frameS = DEFAULT_FRAME_S) {
    this.player = player;
    this.socket = socket;
    this.frameS = frameS;
    this.timer = null;
    this.lastSent = 0;
    this.quickUntil = 0;
    this.awaiting = null; // the change whose settled picture is still to be announced…
    this.changedAt = 0; // …made at this Date.now()
    this.difference = null;
    this.playing = false;
    this.seekLead = FIRST_SEEK_LEAD_S;
    player.onPicture((frame, landed) => this.presented(frame, landed));
  }

  send(seek, options) {
    this.lastSent = Date.now();
    this.difference = this.player.difference();
    this.playing = this.player.playing();
    const state = presenterState(this.player, this.socket.clock, seek, { frameS: this.frameS, ...options });
    this.lastPosition = state.position;
    this.socket.send({ type: "state", data: state });
  }

  changed(kind) {
    // The frames shown so far are from before the change: the player's own clock says where it went.
    const seekWhilePlaying = kind === "seek" && this.player.playing();
    this.send(kind === "seek", { landsIn: seekWhilePlaying ? this.seekLead : 0, fromPicture: false });
    this.awaiting = this.player.playing() || kind === "pause" ? kind : null;
    this.changedAt = Date.now();
    this.quickUntil = this.changedAt + QUICK_FOR_MS;
  }

  presented(frame, landed) {
    if (landed !== null && this.player.playing()) {
      this.seekLead = learntLead(this.seekLead, landed);
    }
    if (!this.timer || this.awaiting === null || !this.player.playing()) {
      return;
    }
    if (frame.at < this.changedAt || (this.awaiting === "seek" && landed === null && this.player.settling())) {
      return;
    }
    this.awaiting = null;
    this.send(false);
  }

  start() {
    // Nothing is sent at once: the session's state stands (a presenter back on a new page takes it
    // up) until the person changes something, or the playhead's correction a second later.
    this.stop();
    this.lastSent = Date.now();
    this.difference = this.player.difference();
    this.playing = this.player.playing();
    this.timer = window.setInterval(() => {
      const now = Date.now();
      const every = now < this.quickUntil ? QUICK_MS : WHILE_PLAYING_MS;
      const due = this.player.playing() && !this.player.settling() && now - this.lastSent >= every;
      if (this.awaiting === "pause" && now - this.changedAt >= PAUSE_SETTLES_MS) {
        // The picture a pause left: announced again if it is not the frame announced.
        this.awaiting = null;
        if (presenterState(this.player, this.socket.clock, false, { frameS: this.frameS }).position !== this.lastPosition) {
          this.send(false);
          return;
        }
      }
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
