// What engine 3's findings say, in the words of the server's videos/compare/finding_words.py (word
// for word: the list rendered by the server and the one drawn here read the same): a move, A/V
// sync, a speed change, changed text on screen and a stretch replaced in place. Other kinds say
// nothing more than their kind, severity and ranges ("").

import { clockRange, tenthsClock } from "../shared/clock.js";

const END_TOLERANCE_S = 0.25; // this close to B's end is "the end"
const IN_SYNC_S = 0.005; // a drifting lag under this at its start is "in sync" there
const FACTOR_FROM = 0.1; // a speed change this large is said as a factor too

function fromTo(start, end, duration) {
  const toEnd = duration > 0 && end !== null && end !== undefined && end >= duration - END_TOLERANCE_S;
  const until = toEnd || end === null || end === undefined ? "the end" : tenthsClock(end);
  return `from ${tenthsClock(start || 0)} to ${until}`;
}

function range(start, end) {
  if (start === null || start === undefined || end === null || end === undefined) {
    return "—";
  }
  return clockRange(start, end, tenthsClock);
}

function quoted(text) {
  return text ? `'${text}'` : "(none)";
}

function lagWords(lag) {
  return `${Math.abs(lag).toFixed(2)} s ${lag >= 0 ? "late" : "early"}`;
}

export function findingSentence(segment, durationB) {
  const kind = segment.kind;
  if (kind === "av_sync") {
    const lag = segment.lag || 0;
    const span = fromTo(segment.b_start, segment.b_end, durationB);
    if (segment.drift) {
      const atStart = Math.abs(lag) < IN_SYNC_S ? "in sync" : lagWords(lag);
      const direction = segment.drift > 0 ? "later" : "earlier";
      const perMinute = Math.abs(segment.drift).toFixed(0);
      return `B's sound drifts ${perMinute} ms per minute ${direction} ${span} (${atStart} at ${tenthsClock(segment.b_start || 0)})`;
    }
    return `B's sound is ${lagWords(lag)} ${span}`;
  }
  if (kind === "moved") {
    return `A ${range(segment.a_start, segment.a_end)} moved to B ${range(segment.b_start, segment.b_end)}`;
  }
  if (kind === "speed") {
    const ratio = segment.ratio || 1;
    const change = Math.abs(ratio - 1);
    const factor = change >= FACTOR_FROM ? ` (${ratio.toFixed(2)}×)` : "";
    const span = fromTo(segment.b_start, segment.b_end, durationB);
    return `B runs ${(change * 100).toFixed(1)} % ${ratio > 1 ? "fast" : "slow"}${factor} ${span}`;
  }
  if (kind === "text") {
    return `Text on screen: A ${quoted(segment.text_a)} → B ${quoted(segment.text_b)}`;
  }
  if (kind === "both" && segment.replaced) {
    return `A ${range(segment.a_start, segment.a_end)} replaced in place by B ${range(segment.b_start, segment.b_end)}`;
  }
  return "";
}
