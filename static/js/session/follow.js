// What a follower's player does to keep to the presenter's clock (protocol53.md, "Client sync"):
// where the presenter's playhead is now, and for a given error whether to jump there or to make the
// error up by playing up to 5 % faster or slower over about a second (inaudible, no stall). Pure
// functions: the page's loop and the bench's simulated followers share them.

export const TICK_MS = 250;
export const JUMP_ERROR_S = 1.0; // past this the error is not made up by the rate: the player jumps
export const STEADY_ERROR_S = 0.01; // under this the player plays at the session's own rate
export const CATCH_UP_S = 1.0; // an error is made up over about this long…
export const MAX_NUDGE = 0.05; // …changing the rate by at most this fraction
// Paused, no rate makes an error up: a player this far from a paused presenter is put there.
export const PAUSED_ERROR_S = 0.05;

export function targetPosition(state, serverNow) {
  if (!state.playing) {
    return state.position;
  }
  return state.position + ((serverNow - state.at) / 1000) * state.rate;
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

// `error` = player position − target (s). `mustJump`: a seek, or a play/pause change, not applied yet.
// Answers {jump: true} or {jump: false, rate}.
export function correction(error, state, { mustJump = false } = {}) {
  if (mustJump || Math.abs(error) > JUMP_ERROR_S || (!state.playing && Math.abs(error) > PAUSED_ERROR_S)) {
    return { jump: true };
  }
  if (Math.abs(error) <= STEADY_ERROR_S) {
    return { jump: false, rate: state.rate };
  }
  return { jump: false, rate: state.rate * (1 - clamp(error / CATCH_UP_S, -MAX_NUDGE, MAX_NUDGE)) };
}

// A jump while playing lands late by the time the player takes to seek and start again: the next
// jump aims that much ahead. `lead` (s) is learnt from the error seen once the last jump settled.
export const MAX_SEEK_LEAD_S = 0.5;

export function learntLead(lead, errorAfterJump) {
  return clamp(lead - errorAfterJump, 0, MAX_SEEK_LEAD_S);
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
