// The comparison's words: the server's `clock` (with tenths for the live times), spans, counts and
// the label of a difference, as the server renders them.

import { clock } from "../shared/clock.js";

export function preciseClock(seconds) {
  const tenths = Math.floor(Math.max(0, seconds) * 10) % 10;
  return `${clock(seconds)}.${tenths}`;
}

export function spanText(start, end) {
  if (start === null || end === null || start === undefined || end === undefined) {
    return "—";
  }
  return end <= start ? `at ${clock(start)}` : `${clock(start)}–${clock(end)}`;
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

export function differenceLabel(segment, labels) {
  const severity = segment.severity ? `, ${segment.severity} severity` : "";
  return `${labels[segment.kind]}${severity}: A ${spanText(segment.a_start, segment.a_end)}, B ${spanText(segment.b_start, segment.b_end)}`;
}

export function kindClasses(segment) {
  // The colour of a difference, shared by its marker and its swatch in the list.
  return `marker-${segment.kind}${segment.severity ? ` severity-${segment.severity}` : ""}`;
}
