// What a follower's player does to keep to the presenter's picture (protocol53.md, "Client sync";
// issue 62): where the presenter's playhead is now, and for a given error whether to jump there or to
// make the error up by playing faster or slower for a moment (no stall). Errors are judged in frames
// of the video: a jump costs a frozen picture while the player seeks, so only an error of more than
// JUMP_FRAMES is jumped; the last frames are caught up by the rate. Pure functions: the page's loop
// and the bench's simulated followers share them.

export const TICK_MS = 250;
export const DEFAULT_FRAME_S = 1 / 25; // a page that was not told its video's rate
export const JUMP_FRAMES = 3; // past this many frames the error is not made up by the rate: the player jumps
export const STEADY_FRAMES = 0.4; // within this the player plays at the session's own rate
// A catch-up is timed, not steered: the rate is changed by a fraction for as long as makes the error
// up, then put back, and the picture is looked at again only once both changes have reached it. A
// rate change reaches the picture RATE_SHOWS_S late (Chromium's audio clock), the same late both
// ways, so a timed catch-up makes up what it was asked to; steered from the picture every tick, a
// stronger rate overshot and swung (bench/session.py: ±2 frames at 0.25 s and 25 %).
export const CATCH_UP_S = 0.15; // an error is made up over this long…
export const MAX_CATCH_UP = 0.5; // …changing the rate by at most this fraction (then for longer)
export const RATE_SHOWS_S = 0.1;
// A paused player the presenter starts from where it stands is started, not sought, and caught up by
// the rate if it starts up to this late (a seek would freeze its picture first, for as long).
export const MAX_START_CATCH_UP_S = 0.3;
// An error this large, not asked for by a new state, may be the person's own seek reporting itself a
// task late: it is put right only if it still is a tick later (live.js).
export const JUMP_ERROR_S = 1.0;

// Seconds a frame lasts at a rate given as "30000/1001" or "25" (the page's config), or the default.
export function frameSeconds(rateText) {
  const [numerator, denominator = 1] = String(rateText ?? "")
    .split("/")
    .map(Number);
  const rate = numerator / denominator;
  return Number.isFinite(rate) && rate > 0 ? 1 / rate : DEFAULT_FRAME_S;
}

// The frame on screen at `position` (sage/timebase.py: floor((t + 1 ms) × rate)), and where a
// paused player is put to show it: its middle, clear of both boundaries.
export function frameAt(position, frameS) {
  return Math.floor((position + 0.001) / frameS);
}

export function frameMiddle(position, frameS) {
  return (frameAt(position, frameS) + 0.5) * frameS;
}

export function targetPosition(state, serverNow) {
  if (!state.playing) {
    return state.position;
  }
  return state.position + ((serverNow - state.at) / 1000) * state.rate;
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

// `error` = player position − target (s). `mustJump`: a seek, or a play/pause change, not applied yet.
// `frameS`: the video's frame length; `jumpPast`: the error past which it jumps. Answers {jump: true} or {jump: false, rate, forS}: play at
// `rate` for `forS` s of the page's clock, then at the session's rate (forS 0: from now on). Paused,
// no rate makes an error up: a player on another frame than the presenter's (the caller says,
// `mustJump`) or a whole frame off is put on it.
export function correction(error, state, { mustJump = false, frameS = DEFAULT_FRAME_S, jumpPast = JUMP_FRAMES * frameS } = {}) {
  if (!state.playing) {
    return mustJump || Math.abs(error) >= frameS ? { jump: true } : { jump: false, rate: state.rate, forS: 0 };
  }
  if (mustJump || Math.abs(error) > jumpPast) {
    return { jump: true };
  }
  if (Math.abs(error) <= STEADY_FRAMES * frameS) {
    return { jump: false, rate: state.rate, forS: 0 };
  }
  const change = Math.min(Math.abs(error) / CATCH_UP_S, MAX_CATCH_UP);
  return {
    jump: false,
    rate: state.rate * (1 - Math.sign(error) * change),
    forS: Math.abs(error) / (change * state.rate),
  };
}

// What a few frames' readings of a playing picture say (each a frame's media time against an
// instant): three quarters up, not the middle. A frame is shown late when the machine is busy (the
// picture stands still, then skips on to its clock), never early; a display refresh blurs each
// instant both ways.
export function pictureReading(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) * 0.75)];
}

// Where a playing picture's playhead is at the last of `frames` ({media, at}: presented frames, in
// order), from all of them: each frame carried on to the last one's instant at `rate`.
export function playheadOf(frames, rate) {
  const last = frames.at(-1);
  return { media: pictureReading(frames.map((frame) => frame.media + ((last.at - frame.at) / 1000) * rate)), at: last.at };
}

// A seek while playing shows its first frame `latency` s after it is asked for, the picture frozen
// till then: a page's jumps aim that much ahead (a follower), or announce their landing that much
// later (a presenter). Learnt from each landing the page sees, half way each time (one slow seek on a
// busy machine does not double the next one's lead).
export const MAX_SEEK_LEAD_S = 0.5;

export function learntLead(lead, latency) {
  return clamp(lead + (latency - lead) / 2, 0, MAX_SEEK_LEAD_S);
}

// Where each of the compare page's players is while the presenter shows a move apart (state.apart:
// each player's own time at state.at, and where the move ends), `ahead` s of the presenter's time
// past the target (a jump's lead): A plays on at the session's rate, B at the move's own pace (its
// length on B over its length on A), neither past the move's end. Null while the players go in step.
export function apartAt(state, serverNow, ahead = 0) {
  const apart = state.apart;
  if (!apart) {
    return null;
  }
  if (!state.playing || !apart.ends) {
    return { a: apart.a, b: apart.b, ends: apart.ends ?? null };
  }
  const { ends } = apart;
  const lengthA = ends.a - apart.a;
  const pace = lengthA > 0 ? (ends.b - apart.b) / lengthA : 1;
  const played = Math.max(((serverNow - state.at) / 1000) * state.rate + ahead, 0);
  const a = Math.min(apart.a + played, Math.max(ends.a, apart.a));
  return { a, b: apart.b + (a - apart.a) * pace, ends };
}
