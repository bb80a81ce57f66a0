// One page in a live review session: the socket's frames kept as the session's state, the follower
// loop (every TICK_MS, at once on a new state, and as soon as its picture shows enough frames after
// a jump, a start or a catch-up: jump, or catch up by the rate for a moment, follow.js; its error
// measured by the frames its picture shows where the page can tell), the presenter's side
// (presenter.js), stepping out and following again, hand-over, ending for everyone, and the banners.

import { DraftLayers } from "./drafts.js";
import { DrawingRelay } from "./drawing.js";
import {
  JUMP_ERROR_S,
  MAX_START_CATCH_UP_S,
  RATE_SHOWS_S,
  TICK_MS,
  apartAt,
  correction,
  frameAt,
  frameMiddle,
  frameSeconds,
  learntLead,
  pictureReading,
  targetPosition,
} from "./follow.js";
import { SessionPanel } from "./panel.js";
import { Presenting } from "./presenter.js";
import { CLOSE_ENDED, CLOSE_LEFT, SessionSocket } from "./socket.js";

const END_MARGIN_S = 0.1; // a presenter past the end is not followed back to the start
const FRESH_FRAMES_MS = 200; // the frames presented this recently say where the playing picture is
const MIN_FRAMES = 3; // a playing picture is judged by at least this many of them (one may be late)…
const STALE_MS = 500; // …unless it has shown none for this long (a hidden tab): then by the player's clock
const FIRST_START_LEAD_S = 0.05; // how long a paused player takes to start, before it has been seen

export class LiveSession {
  constructor(root, config, player, hello) {
    this.root = root;
    this.config = config;
    this.player = player;
    this.panel = new SessionPanel(root);
    this.socket = new SessionSocket(config.socket_path, {
      hello,
      onFrame: (frame) => this.receive(frame),
      onState: (state, code) => this.connection(state, code),
    });
    this.drawings = new DrawingRelay(this.socket);
    this.frameS = frameSeconds(config.rate); // the video's frame length, s
    this.presenting = new Presenting(player, this.socket, this.frameS);
    this.you = null;
    this.maySteer = false; // hands over and ends whoever presents: the starter, an admin (welcome)
    this.endAsked = false;
    this.presenter = null;
    this.participants = [];
    this.state = null;
    this.following = true;
    this.mustJump = true;
    this.over = false;
    this.timer = null;
    this.wasPresenting = false;
    this.appliedThreshold = undefined;
    this.seekLead = 0; // s: how far ahead a jump while playing aims (follow.js learntLead)
    this.jumpedPlaying = false; // the last jump was made playing: its landing teaches the lead
    this.offSeen = false; // a tick found the player off without a new state asking (see tick)
    this.asked = false; // the presenter's play or pause not applied yet (not the player's own)
    this.catchUpTimer = null; // a timed catch-up under way (follow.js correction)…
    this.catching = null; // …making up {error (s), from (Date.now()), forMs}
    this.measureFrom = 0; // Date.now(): frames shown before this say nothing of the picture now
    this.wantsPicture = false; // judge the picture as soon as it has shown MIN_FRAMES since measureFrom
    this.startLead = FIRST_START_LEAD_S; // s a paused player takes to start (learnt)
    this.started = null; // {at, position}: a start whose first frame is still to come
  }

  start() {
    this.player.onPersonChange((kind) => this.personChanged(kind));
    this.player.onPicture((frame, landed) => this.presented(frame, landed));
    this.panel.followButton.addEventListener("click", () => this.follow());
    this.panel.unfollowButton.addEventListener("click", () => this.stepOut("You stepped out: the player is yours."));
    this.root.querySelector("[data-session-leave]").addEventListener("click", () => this.leave());
    this.panel.bindEnd(() => {
      this.endAsked = this.socket.send({ type: "end" });
    });
    // Taking control is a hand-over to oneself (the server checks who may).
    this.panel.bindTake(() => this.you && this.socket.send({ type: "handover", to: this.you.id }));
    this.panel.bindInvite();
    // Drafts go out from the comment form's drawing and others' show over the players (drafts.js).
    const drafts = new DraftLayers();
    this.drawings.attach(drafts);
    for (const video of drafts.videos.values()) {
      video.addEventListener("sage:drawing-change", (event) => this.drawing(event.detail?.shapes ?? []));
    }
    this.root.sessionDrawings = this.drawings;
    this.socket.start();
    this.timer = window.setInterval(() => this.tick(), TICK_MS);
  }

  get presentingNow() {
    return Boolean(this.you && this.presenter && this.you.id === this.presenter.id);
  }

  receive(frame) {
    const data = frame.data;
    switch (frame.type) {
      case "welcome":
        this.you = data.you;
        this.maySteer = Boolean(data.you.may_steer);
        this.following = data.you.following;
        this.presenter = data.session.presenter;
        this.participants = data.session.participants;
        this.newState(data.session.state, true);
        this.rolesChanged();
        if (this.presenter && !this.presenter.connected && !this.presentingNow) {
          this.panel.say(this.awayWords(), "warning");
        }
        break;
      case "state":
        this.newState(data, Boolean(data.seek));
        break;
      case "participants":
        this.participants = data;
        this.you = data.find((participant) => participant.id === this.you?.id) ?? this.you;
        this.presenter = data.find((participant) => participant.presenter) ?? this.presenter;
        this.rolesChanged();
        break;
      case "presenter":
        this.presenter = data;
        this.rolesChanged();
        this.panel.say(this.presentingNow ? "You are the presenter now." : `${data.name} is presenting now.`);
        break;
      case "presenter.away":
        this.newState(data.state, true);
        this.panel.say(this.awayWords(), "warning");
        break;
      case "presenter.back":
        this.newState(data.state, true);
        if (this.presentingNow) {
          this.adopt(); // the server resumed the session: this page plays on from there
        }
        this.panel.say(this.presentingNow ? "You are back: the session goes on." : "The presenter is back.");
        break;
      case "drawing.draft":
      case "drawing.clear":
        this.drawings.receive(frame);
        break;
      case "session.ended":
        this.end(this.endAsked ? "You ended the live session for everyone." : "This live session has ended.");
        break;
      case "session.left":
        this.end(data?.reason === "full" ? data.message : "You were removed from this live session.");
        break;
      case "error":
        if (frame.type_of === "end" || frame.type_of === "handover") {
          // Refused (someone else presents by now): said, not dropped.
          this.endAsked = false;
          this.panel.say(frame.message, "warning");
        }
        break;
      default:
        // Comments come here too (comment.*): the comments panel has its own socket for them.
        break;
    }
  }

  newState(state, seek) {
    // A state the presenter sent comes back to it too: its own player is already there.
    const before = this.state;
    this.state = state;
    if (before?.rate !== state.rate) {
      this.showRole();
      if (this.following && !this.presentingNow) {
        this.player.showRate(state.rate);
      }
    }
    if (seek) {
      this.mustJump = true;
    }
    if (before && before.playing !== state.playing) {
      this.asked = true;
    }
    const now = this.socket.clock.serverNow();
    if (before && this.catching) {
      // A catch-up makes up the error it was worked out for: a target that moved (the presenter's
      // picture settled elsewhere than announced) adds its shift to what is left of it.
      const shift = targetPosition(state, now) - targetPosition(before, now);
      if (Math.abs(shift) > this.frameS / 4) {
        const { error, from, forMs } = this.catching;
        const left = (error * Math.max(0, from + forMs - Date.now())) / forMs - shift;
        const fix = correction(left, state, { frameS: this.frameS });
        if (fix.jump) {
          this.endCatchUp();
        } else {
          this.catchUp(fix, 0, left);
        }
      }
    }
    const following = this.following && !this.presentingNow && this.player.playing();
    if (following && before?.playing && state.playing && before.rate !== state.rate && !seek) {
      // A new rate: this player's picture takes it up as late after the presenter's as the state took
      // to come, and plays at the old rate till then; that much is caught up with it. Frames at the
      // old rate say nothing of the new.
      this.endCatchUp(false);
      const lateS = Math.max(0, (now - state.at) / 1000 + RATE_SHOWS_S);
      const error = (before.rate - state.rate) * lateS;
      this.catchUp(correction(error, state, { frameS: this.frameS }), 0, error);
      this.lookAgainFrom(Date.now() + RATE_SHOWS_S * 1000);
    }
    if (!this.presentingNow && state.threshold !== this.appliedThreshold) {
      // Once per value the presenter chose: the slider may round it to its step.
      this.appliedThreshold = state.threshold;
      this.player.setThreshold(state.threshold);
    }
    this.tick();
  }

  adopt() {
    // Quietly (not sent back as a change); a player already in step is only given the rate.
    if (!this.state) {
      return;
    }
    this.player.setRate(this.state.rate);
    const now = this.socket.clock.serverNow();
    const target = targetPosition(this.state, now);
    const off = Math.abs(this.player.position() - target) > JUMP_ERROR_S;
    if (off || this.state.playing !== this.player.playing() || this.apartChanged()) {
      this.player.jump(target, this.state.playing, apartAt(this.state, now));
    }
  }

  rolesChanged() {
    const presenting = this.presentingNow;
    if (this.wasPresenting && !presenting && !this.over) {
      // Control handed to someone else: this page follows them from now on.
      this.following = true;
      this.mustJump = true;
      this.socket.send({ type: "follow" });
    }
    if (presenting && !this.wasPresenting) {
      // A presenter back on a new page, or handed control: its player takes up the session where
      // it stands (and its rate, which following may have nudged) before it drives.
      this.adopt();
    }
    this.wasPresenting = presenting;
    if (presenting) {
      if (!this.presenting.timer) {
        this.presenting.start();
      }
    } else {
      this.presenting.stop();
    }
    this.showRole();
    const mayHandOver = presenting || this.maySteer;
    this.panel.showEnd(mayHandOver && !this.over);
    this.panel.showTake(this.maySteer && !presenting && !this.over);
    this.panel.showParticipants(this.participants, {
      you: this.you,
      mayHandOver,
      onHandOver: (participant) => this.socket.send({ type: "handover", to: participant.id }),
    });
  }

  awayWords() {
    const take = this.maySteer ? " You may take control." : "";
    return `The presenter has left — paused until they are back.${take}`;
  }

  showRole() {
    this.panel.showRole({
      presenting: this.presentingNow,
      following: this.following,
      presenter: this.presenter,
      rate: this.state?.rate,
    });
  }

  personChanged(kind) {
    if (this.over || !this.you) {
      return;
    }
    if (this.presentingNow) {
      this.presenting.changed(kind);
    } else if (this.following) {
      this.stepOut("You stepped out by using the player: it is yours now. Follow again to rejoin the presenter.");
    }
  }

  drawing(shapes) {
    // Drawing on a frame is using the player: a follower stays on that frame (the presenter's next
    // move would take the picture from under the drawing) and follows again when they choose.
    if (shapes.length && this.following && !this.presentingNow && !this.over && this.you) {
      this.stepOut("You stepped out to draw: your player stays on this frame. Follow again when you are done.");
    }
  }

  stepOut(message) {
    this.following = false;
    this.endCatchUp(false);
    this.player.setRate(this.state?.rate ?? 1);
    this.socket.send({ type: "unfollow" });
    this.panel.say(message);
    this.rolesChanged();
  }

  follow() {
    this.following = true;
    this.mustJump = true;
    if (this.state) {
      this.player.showRate(this.state.rate);
    }
    this.socket.send({ type: "follow" });
    this.panel.say("");
    this.rolesChanged();
    this.tick();
  }

  tick() {
    if (!this.state || this.over) {
      return;
    }
    const clock = this.socket.clock;
    const target = targetPosition(this.state, clock.serverNow());
    const error = this.error(clock.serverNow());
    if (error !== null) {
      this.root.dataset.sessionErrorMs = String(Math.round(error * 1000));
    }
    this.panel.showPresenterPlace(target, this.state.playing, this.state.rate);
    if (this.presentingNow || !this.following || this.player.settling()) {
      return;
    }
    const pastTheEnd = this.state.playing && target >= this.player.duration() - END_MARGIN_S;
    // Shown apart (a move) or in step, as the presenter's page is: a change of that is a jump too.
    const playChanged = (this.state.playing !== this.player.playing() || this.apartChanged()) && !pastTheEnd;
    if (!playChanged) {
      this.asked = false;
    }
    // A player that is off by itself (a play/pause or a big error the session did not ask for) is put
    // back only if it still is a tick later: the person's own seek or pause may not have reported
    // itself yet (a <video> fires its events a task later), and it is theirs to make: they step out.
    const clockError = this.player.position() - target;
    const offByItself = !this.mustJump && !this.asked && (playChanged || Math.abs(error ?? clockError) > JUMP_ERROR_S);
    if (offByItself && !this.offSeen) {
      this.offSeen = true;
      return;
    }
    this.offSeen = false;
    // Paused, the follower shows the presenter's frame exactly.
    const otherFrame =
      !this.state.playing &&
      !this.state.apart &&
      frameAt(this.player.position(), this.frameS) !== frameAt(this.state.position, this.frameS);
    const mustJump = this.mustJump || playChanged || otherFrame;
    if (!mustJump && (this.catchUpTimer !== null || error === null)) {
      return; // a catch-up under way, or a picture that has not shown enough since the last change
    }
    if (this.state.playing && !this.player.playing() && !this.mustJump && !this.state.apart && !this.player.apart()) {
      // The presenter plays from where this player stands: it only starts (a seek would freeze its
      // picture first), and what it starts late is caught up.
      const late = targetPosition(this.state, clock.serverNow() + this.startLead * 1000) - this.player.position();
      if (!pastTheEnd && Math.abs(late) <= MAX_START_CATCH_UP_S) {
        this.startPlaying(late);
        return;
      }
    }
    const fix = correction(error ?? clockError, this.state, { mustJump, frameS: this.frameS });
    if (fix.jump && !pastTheEnd) {
      this.mustJump = false;
      this.asked = false;
      this.endCatchUp(false);
      this.player.setRate(this.state.rate);
      // Where the presenter is at the moment the jump is made (not at the tick's start): playing, as
      // far ahead as the player's jumps take to land; paused, inside the presenter's frame.
      const now = clock.serverNow();
      const lead = this.state.playing ? this.seekLead * this.state.rate : 0;
      const to = this.state.playing ? targetPosition(this.state, now) + lead : frameMiddle(this.state.position, this.frameS);
      this.player.jump(Math.max(0, to), this.state.playing, apartAt(this.state, now, lead));
      this.jumpedPlaying = this.state.playing;
      this.lookAgainFrom(Date.now());
    } else if (!fix.jump) {
      this.catchUp(fix, 0, error ?? clockError);
    }
  }

  startPlaying(late) {
    // `late`: s of the presenter's playhead this player will be behind once its picture moves.
    this.asked = false;
    this.endCatchUp(false);
    const fix = correction(-late, this.state, { frameS: this.frameS, jumpPast: MAX_START_CATCH_UP_S });
    this.started = { at: Date.now(), position: this.player.position() };
    this.player.setRate(fix.rate);
    this.player.resume();
    this.lookAgainFrom(Date.now());
    this.catchUp(fix, this.startLead, -late); // the rate counts once the picture moves
  }

  catchUp(fix, after, error) {
    // Plays at fix.rate for fix.forS s (of the picture: `after` s more of the page's clock) to make
    // up `error`, then at the session's rate; the picture is judged again once that has reached it.
    if (fix.jump) {
      return;
    }
    const wasCatching = this.catchUpTimer !== null;
    window.clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
    this.catching = null;
    this.player.setRate(fix.rate);
    if (fix.forS > 0) {
      const forMs = (fix.forS + after) * 1000;
      this.catching = { error, from: Date.now(), forMs };
      this.catchUpTimer = window.setTimeout(() => this.endCatchUp(), forMs);
    } else if (wasCatching) {
      this.lookAgainFrom(Date.now() + RATE_SHOWS_S * 1000);
    }
  }

  endCatchUp(rateBack = true) {
    if (this.catchUpTimer === null) {
      return;
    }
    window.clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
    this.catching = null;
    if (rateBack && this.state) {
      this.player.setRate(this.state.rate);
      this.lookAgainFrom(Date.now() + RATE_SHOWS_S * 1000);
    }
  }

  lookAgainFrom(instant) {
    this.measureFrom = instant;
    this.wantsPicture = true;
  }

  presented(frame, landed) {
    if (this.presentingNow) {
      return;
    }
    if (this.started && frame.at >= this.started.at) {
      // When the picture really started: the instant it left the frame it stood on.
      const moved = ((frame.media - this.started.position) / Math.max(this.player.rate(), 0.1)) * 1000;
      this.startLead = learntLead(this.startLead, Math.max(0, (frame.at - moved - this.started.at) / 1000));
      this.started = null;
    }
    if (landed !== null && this.jumpedPlaying) {
      // The follower's own seek landed: how long it took is the next jump's lead.
      this.jumpedPlaying = false;
      if (this.player.playing()) {
        this.seekLead = learntLead(this.seekLead, landed);
      }
    }
    // As soon as the picture has shown enough since the last change, it is looked at (not a tick later).
    if (this.wantsPicture && this.catchUpTimer === null && this.judged().length >= MIN_FRAMES) {
      this.wantsPicture = false;
      this.tick();
    }
  }

  judged() {
    // The frames that say where the playing picture is now.
    const now = Date.now();
    return this.player.frames().filter((frame) => frame.at >= this.measureFrom && now - frame.at <= FRESH_FRAMES_MS);
  }

  // Player position − the presenter's at the same instant (s): by the frames the picture presented
  // lately where they are known (each frame's media time against where the presenter's picture was
  // when it was shown, the median of them: a frame's instant is only known to a display refresh, and
  // one may be late), else by the player's clock now. Null while a playing picture has shown too few
  // frames since the last jump, start or catch-up to tell.
  error(serverNow) {
    const offset = this.socket.clock.offset;
    if (this.player.pictured && this.player.playing() && this.state.playing && !this.player.settling()) {
      const errors = this.judged().map((frame) => frame.media - targetPosition(this.state, frame.at + offset));
      if (errors.length >= MIN_FRAMES) {
        return pictureReading(errors);
      }
      const last = this.player.picture();
      const now = Date.now();
      if ((last && now - last.at < STALE_MS) || now - this.measureFrom < STALE_MS) {
        return null;
      }
    }
    return this.player.position() - targetPosition(this.state, serverNow);
  }

  apartChanged() {
    return Boolean(this.state?.apart) !== Boolean(this.player.apart());
  }

  leave() {
    this.socket.send({ type: "bye" });
    this.end("You left the live session.");
  }

  end(message) {
    this.over = true;
    window.clearInterval(this.timer);
    this.endCatchUp(false);
    this.presenting.stop();
    this.socket.close();
    this.panel.say(message, "warning");
    this.root.querySelector("[data-session-controls]").hidden = true;
  }

  connection(state, code) {
    this.root.dataset.sessionConnection = state;
    if (state === "reconnecting" && !this.over) {
      this.panel.say("Connection lost: reconnecting…", "warning");
    } else if (state === "online" && this.panel.banner.textContent.startsWith("Connection lost")) {
      this.panel.say("");
    } else if (state === "closed" && !this.over) {
      const message =
        code === CLOSE_ENDED
          ? "This live session has ended."
          : code === CLOSE_LEFT
            ? "You were removed from this live session."
            : "This live session is not open to you: it has ended, or the link no longer allows it.";
      this.end(message);
    }
  }
}
