// The comparison's words: the server's `clock` (with tenths for the live times and for refined
// comparisons' ranges), spans, counts and the label of a difference, as the server renders them.

import { clock } from "../shared/clock.js";

export function preciseClock(seconds) {
  // A player's time: the tenth it has reached (never ahead of the picture). Sums of spans are not
  // exact (1.4 + 4.3 = 5.699999…): a hair under a tenth has reached it.
  const whole = Math.floor(Math.max(0, seconds) * 10 + 1e-6);
  return `${clock(Math.floor(whole / 10))}.${whole % 10}`;
}

export function tenthsClock(seconds) {
  // A time to the nearest tenth, as the server's `clock_tenths` writes the API's rounded times.
  const tenths = Math.round(Math.max(0, seconds) * 10);
  return `${clock(Math.floor(tenths / 10))}.${tenths % 10}`;
}

export function spanText(start, end, precise = false) {
  if (start === null || end === null || start === undefined || end === undefined) {
    return "—";
  }
  const time = precise ? tenthsClock : clock;
  return end <= start ? `at ${time(start)}` : `${time(start)}–${time(end)}`;
}

function plural(count, unit) {
  return count === 1 ? `1 ${unit}` : `${count} ${unit}s`;
}

export function countsText(counts, words) {
  // The server's `counts_text`, word for word.
  const kinds = Object.keys(words);
  const total = kinds.reduce((sum, kind) => sum + (counts[kind] || 0), 0);
  if (!total) {
    return "No differences at this threshold.";
  }
  const parts = kinds.filter((kind) => counts[kind]).map((kind) => `${counts[kind]} ${words[kind]}`);
  return `${plural(total, "difference")}: ${parts.join(", ")}.`;
}

export function differenceLabel(segment, labels, precise = false) {
  const severity = segment.severity ? `, ${segment.severity} severity` : "";
  const onA = spanText(segment.a_start, segment.a_end, precise);
  const onB = spanText(segment.b_start, segment.b_end, precise);
  return `${labels[segment.kind]}${severity}: A ${onA}, B ${onB}`;
}

export function spanLabel(span) {
  // A matched span: "A 00:00.0–00:09.6 is B 00:01.4–00:11.0".
  return `A ${spanText(span.a_start, span.a_end, true)} is B ${spanText(span.b_start, span.b_end, true)}`;
}

export function kindClasses(segment) {
  // The colour of a difference, shared by its marker and its swatch in the list.
  return `marker-${segment.kind}${segment.severity ? ` severity-${segment.severity}` : ""}`;
}
