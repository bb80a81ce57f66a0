// What a follower's player does to keep to the presenter's picture (protocol53.md, "Client sync";
// issue 62): where the presenter's playhead is now, and for a given error whether to jump there or to
// make the error up by playing a little faster or slower for a moment (no stall). Errors are judged
// in frames of the video: a jump costs a frozen picture while the player seeks, so only an error of
// more than JUMP_FRAMES is jumped; the last frames are nudged off by the rate. Pure functions: the
// page's loop and the bench's simulated followers share them.

export const TICK_MS = 250;
export const DEFAULT_FRAME_S = 1 / 25; // a page that was not told its video's rate
export const JUMP_FRAMES = 3; // past this many frames the error is not made up by the rate: the player jumps
export const STEADY_FRAMES = 0.25; // within this the player plays at the session's own rate
// Faster makes the loop overshoot: a rate change reaches the picture a few frames late (Chromium's
// audio clock), and the error is a median of the last frames (bench/session.py: ±2 frames swinging
// at 0.25 s and 25 %, in step at these).
export const CATCH_UP_S = 0.5; // an error is made up over about this long…
export const MAX_NUDGE = 0.1; // …changing the rate by at most this fraction
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
// `frameS`: the video's frame length. Answers {jump: true} or {jump: false, rate}. Paused, no rate
// makes an error up: a player on another frame than the presenter's (the caller says, `mustJump`)
// or a whole frame off is put on it.
export function correction(error, state, { mustJump = false, frameS = DEFAULT_FRAME_S } = {}) {
  if (!state.playing) {
    return mustJump || Math.abs(error) >= frameS ? { jump: true } : { jump: false, rate: state.rate };
  }
  if (mustJump || Math.abs(error) > JUMP_FRAMES * frameS) {
    return { jump: true };
  }
  if (Math.abs(error) <= STEADY_FRAMES * frameS) {
    return { jump: false, rate: state.rate };
  }
  return { jump: false, rate: state.rate * (1 - clamp(error / CATCH_UP_S, -MAX_NUDGE, MAX_NUDGE)) };
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
