// The aligned axis: aligned clip pairs one after another, each as long as its clip (A's when A has
// one there, else B's). Positions on it are seconds along that axis; each video has its own time for
// a position, or a spot where it waits while only the other video has content.

import { lastAtOrBefore } from "../shared/search.js";

const DEFAULT_CLIP_S = 2;

function clipLengths(times, duration) {
  // A clip lasts until the next clip of the same video starts; the last one until the video ends.
  const lengths = new Array(times.length).fill(0);
  let next = null;
  for (let index = times.length - 1; index >= 0; index -= 1) {
    const start = times[index];
    if (start === null) {
      continue;
    }
    const end = next ?? (duration > start ? duration : start + DEFAULT_CLIP_S);
    lengths[index] = Math.max(end - start, 0.04);
    next = start;
  }
  return lengths;
}

function waitPoints(times, lengths) {
  // Where a video waits during a pair it has no clip for: the end of its clip before, or, before
  // its first clip, the start of that clip.
  const points = new Array(times.length).fill(0);
  let point = times.find((time) => time !== null) ?? 0;
  for (let index = 0; index < times.length; index += 1) {
    if (times[index] !== null) {
      point = times[index] + lengths[index];
    } else {
      points[index] = point;
    }
  }
  return points;
}

export function buildAxis(curve, durationA, durationB) {
  const side = (times, duration) => {
    const lengths = clipLengths(times, duration);
    return {
      times,
      lengths,
      waits: waitPoints(times, lengths),
      present: times.flatMap((time, index) => (time === null ? [] : [index])),
    };
  };
  const sides = { a: side(curve.a_time, durationA), b: side(curve.b_time, durationB) };
  const count = curve.a_time.length;
  const starts = new Array(count);
  const lengths = new Array(count);
  let total = 0;
  for (let index = 0; index < count; index += 1) {
    starts[index] = total;
    lengths[index] = curve.a_time[index] !== null ? sides.a.lengths[index] : sides.b.lengths[index];
    total += lengths[index];
  }
  return { count, starts, lengths, total, sides };
}

export function has(axis, side, pair) {
  return axis.sides[side].times[pair] !== null;
}

export function pairAt(axis, position) {
  // The last pair starting at or before `position` (the first, before any).
  return Math.max(0, lastAtOrBefore(axis.count, (pair) => axis.starts[pair], position));
}

function presentPairAt(axis, side, seconds) {
  // The pair whose clip on `side` holds `seconds` (its last clip starting at or before it).
  const { present, times } = axis.sides[side];
  if (!present.length) {
    return 0;
  }
  return present[Math.max(0, lastAtOrBefore(present.length, (index) => times[present[index]], seconds))];
}

export function positionFrom(axis, side, seconds) {
  const pair = presentPairAt(axis, side, seconds);
  const { times, lengths } = axis.sides[side];
  const into = Math.min(Math.max(seconds - times[pair], 0), lengths[pair]);
  return { pair, position: axis.starts[pair] + (into * axis.lengths[pair]) / lengths[pair] };
}

export function timeOn(axis, side, position) {
  // Where `side` should be at `position`: a time in its clip, or the spot where it waits.
  const pair = pairAt(axis, position);
  const { times, lengths, waits } = axis.sides[side];
  if (times[pair] === null) {
    return { time: waits[pair], waiting: true };
  }
  const fraction = Math.min(Math.max((position - axis.starts[pair]) / axis.lengths[pair], 0), 1);
  return { time: times[pair] + fraction * lengths[pair], waiting: false };
}

export function segmentRange(axis, segment) {
  const last = Math.min(segment.last_pair, axis.count - 1);
  return { start: axis.starts[segment.first_pair] ?? 0, end: axis.starts[last] + axis.lengths[last] };
}
