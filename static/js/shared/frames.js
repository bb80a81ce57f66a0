// Time is frames, in the browser as on the server (sage/timebase.py, whose rules this mirrors): a
// video's rate is a rational ("30000/1001", from the player's data-frame-rate), and a time in it
// means one of two frames:
//
// - an instant (a player's position, a note's or a comment's time): the frame on screen then, the
//   one whose interval [k/rate, (k+1)/rate) holds it, forgiving TOLERANCE_S of rounding (times are
//   stored to the millisecond: 3.036 s is frame 91 at 29.97, which starts at 3.03633 s);
// - an edge (where a difference starts): the frame that begins at the nearest boundary.
//
// A seek aims at the frame's middle, (k + 0.5)/rate: a browser given a boundary (or a time a hair
// before it) shows either frame. The one rule for a new note or comment: it is stored at the middle
// of the frame on screen, so the server's `frame_at` gives back that frame and a seek to it needs no
// correction. "On screen" is the frame the browser presented (requestVideoFrameCallback's
// `mediaTime`) where it says so, not `currentTime`, which runs ahead of the picture while playing
// and after a pause.

export const TOLERANCE_S = 0.001;
const DEFAULT_RATE = { numerator: 25, denominator: 1 };
const DROP_FRAME = new Set(["30000/1001", "60000/1001"]);

export function parseRate(text) {
  // "30000/1001" or "25" → { numerator, denominator }; 25 fps when it says nothing usable.
  const [numerator, denominator = 1] = String(text || "").split("/").map(Number);
  return numerator > 0 && denominator > 0 && Number.isInteger(numerator) && Number.isInteger(denominator)
    ? { numerator, denominator }
    : DEFAULT_RATE;
}

export function rateOf(video) {
  return parseRate(video?.dataset?.frameRate);
}

export function frameAt(seconds, rate) {
  // The frame on screen at the instant `seconds` (never before frame 0).
  return Math.max(0, Math.floor(((seconds + TOLERANCE_S) * rate.numerator) / rate.denominator));
}

export function boundaryNear(seconds, rate) {
  // The frame that begins at the boundary nearest to the edge `seconds` (halves go later).
  return Math.max(0, Math.floor((seconds * rate.numerator) / rate.denominator + 0.5));
}

export function frameStart(frame, rate) {
  return (frame * rate.denominator) / rate.numerator;
}

export function frameMiddle(frame, rate) {
  return ((frame + 0.5) * rate.denominator) / rate.numerator;
}

export function seekTime(seconds, rate, { edge = false } = {}) {
  // Where a player seeks to show the frame `seconds` names (an instant, or with `edge` an edge).
  return frameMiddle(edge ? boundaryNear(seconds, rate) : frameAt(seconds, rate), rate);
}

// ---- the frame presented ------------------------------------------------------------------------

const presented = new WeakMap(); // video → { mediaTime (null: not known since the last seek), listeners }

export function watchPresentedFrames(video) {
  // Keeps the time of the frame `video` last presented, for `shownTime`; idempotent.
  if (!video || presented.has(video)) {
    return presented.get(video) || null;
  }
  const state = { mediaTime: null, listeners: new Set() };
  presented.set(video, state);
  const tell = () => state.listeners.forEach((listener) => listener());
  // Until the sought frame is presented, the one before it is not what the page is about to show.
  video.addEventListener("seeking", () => {
    state.mediaTime = null;
  });
  video.addEventListener("emptied", () => {
    state.mediaTime = null;
  });
  for (const type of ["seeked", "loadeddata"]) {
    video.addEventListener(type, tell);
  }
  if (typeof video.requestVideoFrameCallback === "function") {
    const onFrame = (_now, metadata) => {
      if (!video.seeking) {
        state.mediaTime = metadata.mediaTime;
      }
      tell();
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  return state;
}

export function onPresentedFrame(video, listener) {
  // `listener()` after each frame presented (and each seek): a readout of the frame on screen.
  watchPresentedFrames(video)?.listeners.add(listener);
}

export function shownTime(video) {
  // The presented frame's media time, or `currentTime` where the browser does not say (or a seek
  // has not presented its frame yet: then `currentTime` is where it is going).
  const state = presented.get(video);
  return state && state.mediaTime !== null && !video.seeking ? state.mediaTime : video.currentTime;
}

export function frameOnScreen(video) {
  return frameAt(shownTime(video), rateOf(video));
}

export function shownInstant(video) {
  // The time a note or comment made now is stored at: the middle of the frame on screen.
  const rate = rateOf(video);
  return frameMiddle(frameAt(shownTime(video), rate), rate);
}

export function seekVideo(video, seconds, options = {}) {
  // Shows the frame `seconds` names (see seekTime), unless it is already being shown.
  const target = seekTime(seconds, rateOf(video), options);
  if (Math.abs(video.currentTime - target) > TOLERANCE_S / 2) {
    video.currentTime = target;
  }
  return target;
}

// ---- SMPTE timecode ------------------------------------------------------------------------------

export function timecode(frame, rate) {
  // Frame `frame` (0 is 00:00:00:00) as SMPTE timecode at `rate`, as videos/compare/timecode.py
  // writes it: drop-frame (HH:MM:SS;FF, two frame numbers skipped each minute but every tenth, four
  // at 59.94) at 29.97 and 59.94, plain counting at every other rate; 24 hours wrap.
  const nominal = Math.round(rate.numerator / rate.denominator);
  const drop = DROP_FRAME.has(`${rate.numerator}/${rate.denominator}`);
  const dropped = drop ? 2 * Math.round(nominal / 30) : 0;
  const perDay = drop ? 24 * 6 * (10 * 60 * nominal - 9 * dropped) : 24 * 3600 * nominal;
  let count = ((Math.max(0, frame) % perDay) + perDay) % perDay;
  if (drop) {
    const perTenMinutes = 10 * 60 * nominal - 9 * dropped;
    const perMinute = 60 * nominal - dropped;
    const tens = Math.floor(count / perTenMinutes);
    const rest = count % perTenMinutes;
    count += 9 * dropped * tens + (rest > dropped ? dropped * Math.floor((rest - dropped) / perMinute) : 0);
  }
  const two = (number) => String(number).padStart(2, "0");
  const frames = count % nominal;
  const seconds = Math.floor(count / nominal);
  const clock = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  return `${clock}${drop ? ";" : ":"}${two(frames)}`;
}
