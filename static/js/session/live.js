// One page in a live review session: the socket's frames kept as the session's state, the follower
// loop (every TICK_MS, at once on a new state and when its own seek lands: jump or nudge the rate,
// follow.js; its error measured by the frames its picture shows where the page can tell), the presenter's
// side (presenter.js), stepping out and following again, hand-over, ending for everyone, and the
// banners.

import { DraftLayers } from "./drafts.js";
import { DrawingRelay } from "./drawing.js";
import {
  JUMP_ERROR_S,
  TICK_MS,
  apartAt,
  correction,
  frameAt,
  frameMiddle,
  frameSeconds,
  learntLead,
  targetPosition,
} from "./follow.js";
import { SessionPanel } from "./panel.js";
import { Presenting } from "./presenter.js";
import { CLOSE_ENDED, CLOSE_LEFT, SessionSocket } from "./socket.js";

const END_MARGIN_S = 0.1; // a presenter past the end is not followed back to the start
const FRESH_FRAMES_MS = 200; // the frames presented this recently say where the playing picture is

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
  }

  start() {
    this.player.onPersonChange((kind) => this.personChanged(kind));
    this.player.onPicture((frame, landed) => this.presented(landed));
    this.panel.followButton.addEventListener("click", () => this.follow());
    this.panel.unfollowButton.addEventListener("click", () => this.stepOut("You stepped out: the player is yours."));
    this.root.querySelector("[data-session-leave]").addEventListener("click", () => this.leave());
    this.panel.bindEnd(() => {
      this.endAsked = this.socket.send({ type: "end" });
    });
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
          this.panel.say("The presenter has left — paused until they are back.", "warning");
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
        this.panel.say("The presenter has left — paused until they are back.", "warning");
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
    this.state = state;
    if (seek) {
      this.mustJump = true;
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
    this.panel.showRole({ presenting, following: this.following, presenter: this.presenter });
    const mayHandOver = presenting || this.maySteer;
    this.panel.showEnd(mayHandOver && !this.over);
    this.panel.showParticipants(this.participants, {
      you: this.you,
      mayHandOver,
      onHandOver: (participant) => this.socket.send({ type: "handover", to: participant.id }),
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
    this.player.setRate(this.state?.rate ?? 1);
    this.socket.send({ type: "unfollow" });
    this.panel.say(message);
    this.rolesChanged();
  }

  follow() {
    this.following = true;
    this.mustJump = true;
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
    this.root.dataset.sessionErrorMs = String(Math.round(error * 1000));
    this.panel.showPresenterPlace(target, this.state.playing);
    if (this.presentingNow || !this.following || this.player.settling()) {
      return;
    }
    const pastTheEnd = this.state.playing && target >= this.player.duration() - END_MARGIN_S;
    // Shown apart (a move) or in step, as the presenter's page is: a change of that is a jump too.
    const playChanged = (this.state.playing !== this.player.playing() || this.apartChanged()) && !pastTheEnd;
    // A player that is off by itself (a play/pause or a big error the session did not ask for) is put
    // back only if it still is a tick later: the person's own seek or pause may not have reported
    // itself yet (a <video> fires its events a task later), and it is theirs to make: they step out.
    const offByItself = !this.mustJump && (playChanged || Math.abs(error) > JUMP_ERROR_S);
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
    const fix = correction(error, this.state, { mustJump, frameS: this.frameS });
    if (fix.jump && !pastTheEnd) {
      this.mustJump = false;
      this.player.setRate(this.state.rate);
      // Where the presenter is at the moment the jump is made (not at the tick's start): playing, as
      // far ahead as the player's jumps take to land; paused, inside the presenter's frame.
      const now = clock.serverNow();
      const lead = this.state.playing ? this.seekLead * this.state.rate : 0;
      const to = this.state.playing ? targetPosition(this.state, now) + lead : frameMiddle(this.state.position, this.frameS);
      this.player.jump(Math.max(0, to), this.state.playing, apartAt(this.state, now, lead));
      this.jumpedPlaying = this.state.playing;
    } else if (!fix.jump) {
      this.player.setRate(fix.rate);
    }
  }

  presented(landed) {
    // The follower's own seek landed: how long it took is the next jump's lead, and whether it
    // landed close enough is looked at now, not a tick later.
    if (landed === null || !this.jumpedPlaying || this.presentingNow) {
      return;
    }
    this.jumpedPlaying = false;
    if (this.player.playing()) {
      this.seekLead = learntLead(this.seekLead, landed);
    }
    this.tick();
  }

  // Player position − the presenter's at the same instant (s): by the frames the picture presented
  // lately where they are known (each frame's media time against where the presenter's picture was
  // when it was shown, the median of them: a frame's instant is only known to a display refresh),
  // else by the player's clock now.
  error(serverNow) {
    const offset = this.socket.clock.offset;
    const recent = this.player.playing() && this.state.playing && !this.player.settling() ? this.player.frames() : [];
    const errors = recent
      .filter((frame) => Date.now() - frame.at <= FRESH_FRAMES_MS)
      .map((frame) => frame.media - targetPosition(this.state, frame.at + offset))
      .sort((x, y) => x - y);
    if (errors.length) {
      return errors[Math.floor(errors.length / 2)];
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
