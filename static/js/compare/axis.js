// The aligned axis: the timeline both players move along, as a row of pieces one after another.
//
// A comparison brings `matched_spans`, the stretches both videos show: each is a
// piece as long as its stretch on A, where B's time is `b_start + (a − a_start)·rate`, rate being
// B's length over A's (1, unless B plays the stretch faster or slower: a speed change). Between two spans
// (and before the first, after the last) what only A has and then what only B has are pieces of
// their own, where the other video waits.
//
// Positions are seconds along the axis; each video has its own time for a position, or a spot where
// it waits while only the other video has content. "pair" below means a piece, whichever kind.

import { lastAtOrBefore } from "../shared/search.js";

// Shorter than any frame: a gap this small between two spans is rounding, not content.
const MIN_PIECE_S = 0.005;
// What only one video has is a piece of its own (where the other waits) from this long on: a frame
// or two less is the engine's offset found to a frame (a 0.1 s lead-in), not a stretch to watch, and
// a wait there would stop one player at 0:00 for nothing. It stays off the axis: each video's time
// jumps over it, within the drift the players are kept to.
const MIN_ONLY_S = 0.12;
// How far past a boundary a time may be and still belong to the piece that ends there.
const BOUNDARY_S = 1e-6;

function waitPoints(times, lengths) {
  // Where a video waits during a piece it has nothing in: the end of its piece before, or, before
  // its first piece, the start of that piece.
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

function side(times, lengths) {
  return {
    times,
    lengths,
    waits: waitPoints(times, lengths),
    present: times.flatMap((time, index) => (time === null ? [] : [index])),
  };
}

function assemble(kind, sides, pieceLengths, spanOf) {
  const count = pieceLengths.length;
  const starts = new Array(count);
  let total = 0;
  for (let index = 0; index < count; index += 1) {
    starts[index] = total;
    total += pieceLengths[index];
  }
  return { kind, count, starts, lengths: pieceLengths, total, sides, spanOf };
}

function spanPieces(spans, durationA, durationB) {
  const pieces = [];
  let endA = 0; // where the content of each video not yet on the axis starts
  let endB = 0;
  function only(toA, toB) {
    if (toA - endA >= MIN_ONLY_S) {
      pieces.push({ a: endA, b: null, length: toA - endA, span: -1 });
    }
    if (toB - endB >= MIN_ONLY_S) {
      pieces.push({ a: null, b: endB, length: toB - endB, span: -1 });
    }
  }
  spans.forEach((span, index) => {
    // A span that starts a little before the previous one ended (rounding) starts where it ended,
    // on both sides, so that each video's times keep going forward along the axis.
    // B moves `rate` seconds for each of A's along the span (so does the overlap).
    const lengthA = span.a_end - span.a_start;
    const rate = lengthA > 0 ? (span.b_end - span.b_start) / lengthA : 1;
    const overlap = Math.max(endA - span.a_start, (endB - span.b_start) / rate, 0);
    const aStart = span.a_start + overlap;
    const bStart = span.b_start + overlap * rate;
    only(aStart, bStart);
    const length = span.a_end - aStart;
    if (length > MIN_PIECE_S) {
      pieces.push({ a: aStart, b: bStart, length, bLength: length * rate, span: index });
    }
    endA = Math.max(endA, span.a_end);
    endB = Math.max(endB, span.b_end, bStart + Math.max(length, 0) * rate);
  });
  only(durationA, durationB);
  return pieces;
}

function spanAxis(spans, durationA, durationB) {
  const pieces = spanPieces(spans, durationA, durationB);
  // A piece is as long as A's stretch; B's stretch in it is as long as B plays it (a speed change
  // makes it shorter or longer), and B's time moves along it in proportion.
  const lengths = pieces.map((piece) => piece.length);
  const a = side(
    pieces.map((piece) => piece.a),
    lengths,
  );
  const b = side(
    pieces.map((piece) => piece.b),
    pieces.map((piece) => piece.bLength ?? piece.length),
  );
  return assemble(
    "spans",
    { a, b },
    lengths,
    pieces.map((piece) => piece.span),
  );
}

export function buildAxis(data, durationA, durationB) {
  // Along the matched spans (none matched: only A, then only B).
  return spanAxis(data.matched_spans || [], durationA, durationB);
}

export function has(axis, side, pair) {
  return axis.sides[side].times[pair] !== null;
}

export function pace(axis, side, pair) {
  // How fast `side` plays in a pair against the axis (1, unless a speed change makes its stretch
  // shorter or longer than the piece): a follower keeps step at this multiple of the leader's rate.
  const length = axis.sides[side].lengths[pair];
  return length > 0 && axis.lengths[pair] > 0 ? length / axis.lengths[pair] : 1;
}

export function pairAt(axis, position) {
  // The last pair starting at or before `position` (the first, before any).
  return Math.max(0, lastAtOrBefore(axis.count, (pair) => axis.starts[pair], position));
}

function presentPairAt(axis, side, seconds, bias) {
  // The pair whose content on `side` holds `seconds`: its last one starting at or before it. At a
  // boundary between two, the later one ("start") or the earlier one ("end").
  const { present, times } = axis.sides[side];
  if (!present.length) {
    return 0;
  }
  const at = bias === "end" ? seconds - BOUNDARY_S : seconds;
  return present[Math.max(0, lastAtOrBefore(present.length, (index) => times[present[index]], at))];
}

export function positionFrom(axis, side, seconds, bias = "start") {
  const pair = presentPairAt(axis, side, seconds, bias);
  const { times, lengths } = axis.sides[side];
  const into = Math.min(Math.max(seconds - times[pair], 0), lengths[pair]);
  return { pair, position: axis.starts[pair] + (into * axis.lengths[pair]) / lengths[pair] };
}

export function timeOn(axis, side, position) {
  // Where `side` should be at `position`: a time in its piece, or the spot where it waits.
  const pair = pairAt(axis, position);
  const { times, lengths, waits } = axis.sides[side];
  if (times[pair] === null) {
    return { time: waits[pair], waiting: true };
  }
  const fraction = Math.min(Math.max((position - axis.starts[pair]) / axis.lengths[pair], 0), 1);
  return { time: times[pair] + fraction * lengths[pair], waiting: false };
}

function onlyPieceRange(axis, side, range) {
  // An "only in" difference is the piece of the axis where only that video has content: its range
  // from the rounded times, moved onto that piece when most of it lies there.
  const other = side === "a" ? "b" : "a";
  let best = null;
  let bestOverlap = 0;
  for (let pair = 0; pair < axis.count; pair += 1) {
    if (!has(axis, side, pair) || has(axis, other, pair)) {
      continue;
    }
    const start = axis.starts[pair];
    const end = start + axis.lengths[pair];
    const overlap = Math.min(end, range.end) - Math.max(start, range.start);
    if (overlap > bestOverlap) {
      best = { start, end };
      bestOverlap = overlap;
    }
  }
  return best && bestOverlap >= (range.end - range.start) / 2 ? best : range;
}

export function segmentRange(axis, segment) {
  const side = segment.kind === "only_b" || segment.a_start === null ? "b" : "a";
  const start = positionFrom(axis, side, segment[`${side}_start`] ?? 0).position;
  const end = Math.max(positionFrom(axis, side, segment[`${side}_end`] ?? 0, "end").position, start);
  const range = { start, end };
  return segment.kind === "only_a" || segment.kind === "only_b" ? onlyPieceRange(axis, side, range) : range;
}

export function curvePoints(axis, curve) {
  // Where each point of the curve sits on the axis, and in which pair: its time on A, on B where
  // only B has content. Null where it has none.
  return curve.a_time.map((aTime, index) => {
    const bTime = curve.b_time[index];
    if (aTime !== null) {
      return positionFrom(axis, "a", aTime);
    }
    return bTime === null ? null : positionFrom(axis, "b", bTime);
  });
}
