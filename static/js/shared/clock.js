// The one home for writing a time in a video in the browser, as the server writes it
// (sage.formatting): `mm:ss`, or `h:mm:ss` from an hour on.

export function clock(seconds) {
  // Whole seconds, cut down (sage.formatting.clock): where a player or a mark is.
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const two = (number) => String(number).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(whole % 60)}` : `${two(minutes)}:${two(whole % 60)}`;
}

export function clockMark(seconds) {
  // `[mm:ss]`: a time cited in an answer (sage.formatting.clock_mark).
  return `[${clock(seconds)}]`;
}

export function tenthsClock(seconds) {
  // One clock for every time on the comparison page (the players', a range's, a note's, a link's):
  // the nearest tenth, as the server's `clock_tenths` writes it and the API rounds a difference's
  // times, so a difference at 19.96 s reads 00:20.0 in the list, in the summary and on the players
  // sought there.
  const tenths = Math.round(Math.max(0, seconds) * 10);
  return `${clock(Math.floor(tenths / 10))}.${tenths % 10}`;
}

export function clockRange(start, end, time = clock) {
  // A stretch, "01:02–01:30" (sage.formatting.clock_range): one time when there is no end or it is
  // not after the start. `time` writes each time (tenthsClock on the comparison page).
  return end !== null && end !== undefined && end > start ? `${time(start)}–${time(end)}` : time(start);
}

export function roundedClock(seconds) {
  // The nearest whole second: a length, as players show one (the upload page's price).
  return clock(Math.round(seconds));
}
