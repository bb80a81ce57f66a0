// The presenter's side: what its picture shows goes to everyone (issue 62). On every change the
// person makes the state goes at once, announced as the picture will show it (so followers start
// their own change while this page's is still under way): a seek while playing as landing when this
// page's seeks have been landing (`seekLead`, seek=true), a play as starting when this page's starts
// have been starting (`startLead`), a rate as taking over RATE_SHOWS_S later. Then, as soon as the
// picture shows the change (the sought frame presented, the first frames after play or a rate
// change), a correction from the frames on screen and the instants they were shown (seek=false),
// and more every QUICK_MS for QUICK_FOR_MS; after that every second while it plays, and when the
// player stops or starts by itself (the end of the timeline, the end of a move). A correction is the
// median of the frames since the change (follow.js playheadOf): one frame shown late is not
// announced as the playhead. Paused, the frame on screen is announced (by its middle): a paused
// player's clock can be a frame past the last frame it showed. Without a picture to read (the
// compare page) the player's clock stands for it.

import { DEFAULT_FRAME_S, RATE_SHOWS_S, learntLead, playheadOf } from "./follow.js";

const WHILE_PLAYING_MS = 1_000;
const QUICK_MS = 250; // right after a change, corrections go this often…
const QUICK_FOR_MS = 2_000; // …for this long
const WATCH_MS = 125; // how often the difference, the play state and the cadence are looked at
const FRESH_MS = 250; // a frame presented this recently tells where the playing picture is
const FIRST_SEEK_LEAD_S = 0.05; // what a seek is taken to take before this page has seen one land
const FIRST_START_LEAD_S = 0.05; // what a start is taken to take before this page has seen one
const PAUSE_SETTLES_MS = 150; // a frame may still be presented just after a pause

// `since`: frames shown before this Date.now() are from before the last change. `ahead`: s the
// announced position is past the player's clock (it plays on so far before the change shows).
export function presenterState(
  player,
  clock,
  seek,
  { landsIn = 0, fromPicture = true, frameS = DEFAULT_FRAME_S, since = 0, ahead = 0 } = {},
) {
  const playing = player.playing();
  const frame = player.picture();
  const now = Date.now();
  const recent =
    fromPicture && playing && !player.settling()
      ? player.frames().filter((shown) => shown.at >= since && now - shown.at <= FRESH_MS)
      : [];
  const fresh = recent.length ? playheadOf(recent, player.rate()) : null;
  const still = !playing && !player.settling() && frame && !player.apart();
  let position = player.position() + ahead;
  if (fresh) {
    position = fresh.media; // the frames on screen, at the instant the last was shown
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
    at: Math.round(fresh ? fresh.at + clock.offset : clock.serverNow() + landsIn * 1000),
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
    this.startLead = FIRST_START_LEAD_S;
    this.since = 0; // Date.now() from which the frames shown show the last change
    this.rate = player.rate(); // the rate last announced
    this.startedFrom = null; // where a start began, till its first frame
    player.onPicture((frame, landed) => this.presented(frame, landed));
  }

  send(seek, options) {
    this.lastSent = Date.now();
    this.difference = this.player.difference();
    this.playing = this.player.playing();
    const state = presenterState(this.player, this.socket.clock, seek, {
      frameS: this.frameS,
      since: this.since,
      ...options,
    });
    this.lastPosition = state.position;
    this.rate = state.rate;
    this.socket.send({ type: "state", data: state });
  }

  changed(kind) {
    // The frames shown so far are from before the change: the player's own clock says where it went,
    // and when the picture will show it.
    const playing = this.player.playing();
    const options = { fromPicture: false };
    if (kind === "seek" && playing) {
      options.landsIn = this.seekLead;
    } else if (kind === "play") {
      options.landsIn = this.startLead;
      this.startedFrom = this.player.position();
    } else if (kind === "rate" && playing) {
      options.landsIn = RATE_SHOWS_S;
      options.ahead = RATE_SHOWS_S * this.rate; // played at the old rate till then
    }
    this.changedAt = Date.now();
    this.since = this.changedAt + (kind === "rate" ? RATE_SHOWS_S * 1000 : 0);
    this.send(kind === "seek", options);
    this.awaiting = playing || kind === "pause" ? kind : null;
    this.quickUntil = this.changedAt + QUICK_FOR_MS;
  }

  presented(frame, landed) {
    if (landed !== null && this.player.playing()) {
      this.seekLead = learntLead(this.seekLead, landed);
    }
    if (this.startedFrom !== null && frame.at >= this.changedAt) {
      // When the picture really started: the instant it left the frame it stood on.
      const moved = ((frame.media - this.startedFrom) / Math.max(this.player.rate(), 0.1)) * 1000;
      this.startLead = learntLead(this.startLead, Math.max(0, (frame.at - moved - this.changedAt) / 1000));
      this.startedFrom = null;
    }
    if (!this.timer || this.awaiting === null || !this.player.playing()) {
      return;
    }
    if (frame.at < this.since || (this.awaiting === "seek" && landed === null && this.player.settling())) {
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
