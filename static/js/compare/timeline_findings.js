// Engine 3's findings on the timeline, where the middle band of markers cannot say them: A/V sync
// on a row of its own under B's lane (it is B's sound against its picture, over a range), and a
// move as a mark on A's lane where the stretch was and one on B's lane where it is now, joined by a
// line. Each mark is a button carrying its difference's number (`data-marker`), so the timeline's
// click, the keyboard and "the current difference" treat it like any marker; a move's marks carry
// the side too (`data-move-side`): a click on either shows both places at once.

import { positionFrom } from "./axis.js";

const SVG = "http://www.w3.org/2000/svg";

export function setUpFindingMarks(bar, axis, button) {
  const syncRow = document.createElement("div");
  syncRow.className = "timeline-sync";
  syncRow.dataset.timelineSync = "";
  syncRow.setAttribute("role", "group");
  syncRow.setAttribute("aria-label", "A/V sync on the timeline");
  syncRow.hidden = true;
  const syncName = document.createElement("span");
  syncName.className = "timeline-lane-name timeline-sync-name";
  syncName.setAttribute("aria-hidden", "true");
  syncName.textContent = "A/V";

  const moves = document.createElement("div");
  moves.className = "timeline-moves";
  moves.dataset.timelineMoves = "";
  moves.setAttribute("role", "group");
  moves.setAttribute("aria-label", "Moved stretches on the timeline");
  const links = document.createElementNS(SVG, "svg");
  links.classList.add("timeline-move-links");
  links.setAttribute("viewBox", "0 0 1000 100");
  links.setAttribute("preserveAspectRatio", "none");
  links.setAttribute("aria-hidden", "true");

  const playhead = bar.querySelector("[data-timeline-playhead]");
  bar.insertBefore(links, playhead);
  bar.insertBefore(moves, playhead);
  bar.insertBefore(syncRow, playhead);

  function sideRange(segment, side) {
    const start = positionFrom(axis, side, segment[`${side}_start`] ?? 0).position;
    const end = positionFrom(axis, side, segment[`${side}_end`] ?? 0, "end").position;
    return { start, end: Math.max(end, start) };
  }

  function moveMarks(segment, number) {
    // A mark on each lane and the line between their middles.
    const ranges = { a: sideRange(segment, "a"), b: sideRange(segment, "b") };
    const marks = ["a", "b"].map((side) => {
      const mark = button(segment, number, ranges[side], `timeline-move-end timeline-move-${side}`);
      mark.dataset.moveSide = side;
      const words = side === "a" ? "where it was on A" : "where it is on B";
      mark.setAttribute("aria-label", `${mark.getAttribute("aria-label")} (${words})`);
      return mark;
    });
    const middle = (range) => ((range.start + range.end) / 2 / (axis.total || 1)) * 1000;
    const line = document.createElementNS(SVG, "line");
    line.classList.add("timeline-move-link");
    line.dataset.moveLink = String(number);
    line.setAttribute("x1", String(middle(ranges.a)));
    line.setAttribute("x2", String(middle(ranges.b)));
    line.setAttribute("y1", "0");
    line.setAttribute("y2", "100");
    return { marks, line };
  }

  function draw(segments) {
    // Draws the sync row and the moves; returns the numbers of the other differences, for the band.
    const rest = [];
    const syncMarks = [];
    const moveMarksDrawn = [];
    const lines = [];
    segments.forEach((segment, number) => {
      if (segment.kind === "av_sync") {
        const range = sideRange(segment, segment.b_start === null ? "a" : "b");
        const mark = button(segment, number, range, "timeline-sync-mark");
        const text = document.createElement("span");
        text.className = "timeline-marker-text";
        const lag = segment.lag || 0;
        text.textContent = segment.drift
          ? `drifts ${Math.abs(segment.drift).toFixed(0)} ms/min`
          : `sound ${Math.abs(lag).toFixed(2)} s ${lag >= 0 ? "late" : "early"}`;
        mark.append(text);
        syncMarks.push(mark);
      } else if (segment.kind === "moved" && segment.a_start !== null && segment.b_start !== null) {
        const { marks, line } = moveMarks(segment, number);
        moveMarksDrawn.push(...marks);
        lines.push(line);
      } else {
        rest.push(number);
      }
    });
    syncRow.replaceChildren(...syncMarks, syncName);
    syncRow.hidden = !syncMarks.length;
    bar.classList.toggle("has-sync", syncMarks.length > 0);
    bar.classList.toggle("has-moves", moveMarksDrawn.length > 0); // a phone gives their marks rows
    moves.replaceChildren(...moveMarksDrawn);
    links.replaceChildren(...lines);
    return rest;
  }

  return { draw };
}
