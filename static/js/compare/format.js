// The comparison's words: spans (to a tenth of a second, from shared/clock.js), counts and the label
// of a difference, as the server renders them.

import { clockRange, tenthsClock } from "../shared/clock.js";
import { findingSentence } from "./findings.js";

export function sideClock(target) {
  // A video's own time at a position of the axis (axis.timeOn), or where it waits.
  return target.waiting ? `waits at ${tenthsClock(target.time)}` : tenthsClock(target.time);
}

export function spanText(start, end) {
  // To a tenth of a second, as the server's list writes a range.
  if (start === null || end === null || start === undefined || end === undefined) {
    return "—";
  }
  return end <= start ? `at ${tenthsClock(start)}` : clockRange(start, end, tenthsClock);
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

export function kindLabel(segment, labels) {
  // A "both" that replaced a stretch in place is named for that (`labels.replaced`).
  return segment.kind === "both" && segment.replaced && labels.replaced ? labels.replaced : labels[segment.kind];
}

export function differenceLabel(segment, labels, durationB = 0) {
  // An engine-3 finding says what it found; the others their ranges on A and B.
  const severity = segment.severity ? `, ${segment.severity} severity` : "";
  const sentence = findingSentence(segment, durationB);
  if (sentence) {
    return `${kindLabel(segment, labels)}${severity}: ${sentence}`;
  }
  const onA = spanText(segment.a_start, segment.a_end);
  const onB = spanText(segment.b_start, segment.b_end);
  return `${kindLabel(segment, labels)}${severity}: A ${onA}, B ${onB}`;
}

export function spanLabel(span) {
  // A matched span: "A 00:00.0–00:09.6 is B 00:01.4–00:11.0".
  return `A ${spanText(span.a_start, span.a_end)} is B ${spanText(span.b_start, span.b_end)}`;
}

export function kindClasses(segment) {
  // The colour of a difference, shared by its marker and its swatch in the list.
  return `marker-${segment.kind}${segment.severity ? ` severity-${segment.severity}` : ""}`;
}
