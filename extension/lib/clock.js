// The extension's one home for a time in a video, written as the site writes it (the site's
// static/js/shared/clock.js and sage.formatting): `mm:ss`, or `h:mm:ss` from an hour on. A copy
// because an extension cannot import from the site it talks to.

export function clock(seconds) {
  // Whole seconds, cut down: where a player or a mark is.
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const two = (number) => String(number).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(whole % 60)}` : `${two(minutes)}:${two(whole % 60)}`;
}

// `[mm:ss]` or `[h:mm:ss]` in an answer: the site's clockMark.
export const CLOCK_MARK = /\[(?:(\d+):)?(\d{1,2}):(\d{2})\]/g;

export function markSeconds(match) {
  // The seconds a CLOCK_MARK match names.
  const [, hours, minutes, seconds] = match;
  return Number(hours || 0) * 3600 + Number(minutes) * 60 + Number(seconds);
}
