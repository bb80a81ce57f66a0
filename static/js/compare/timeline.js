// The timeline of differences: a lane per video showing where it has content (each matched span in
// both lanes, and apart from them what only one video has), a
// marker per difference, the playhead, thumbnails from both videos' sprites under the pointer, and
// a click, tap or drag that seeks to the spot under the pointer, on a marker as anywhere else.

import { tenthsClock } from "../shared/clock.js";
import { has, segmentRange, timeOn } from "./axis.js";
import { differenceLabel, kindClasses, kindLabel, spanLabel } from "./format.js";
import { setUpFindingMarks } from "./timeline_findings.js";

const DRAG_START_PX = 4; // a press that moves less than this is a click, not a scrub

export function setUpTimeline(root, config, state, { seek, seekToDifference, scrubStart, scrubEnd }) {
  const axis = state.axis;
  const bar = root.querySelector("[data-timeline-bar]");
  const markers = root.querySelector("[data-timeline-markers]");
  const playhead = root.querySelector("[data-timeline-playhead]");
  const hover = root.querySelector("[data-timeline-hover]");
  const percent = (value) => `${axis.total ? (100 * value) / axis.total : 0}%`;

  function lanePiece(start, end, className = "") {
    const piece = document.createElement("span");
    piece.className = className;
    piece.style.left = percent(start);
    piece.style.width = percent(end - start);
    return piece;
  }

  function spanLanePieces(side) {
    // Each matched span as a piece of its own (two spans side by side stay two), and what only this
    // video has, hatched.
    const spans = state.data.matched_spans || [];
    const pieces = [];
    for (let pair = 0; pair < axis.count; pair += 1) {
      if (!has(axis, side, pair)) {
        continue;
      }
      const span = axis.spanOf[pair];
      const end = axis.starts[pair] + axis.lengths[pair];
      const piece = lanePiece(axis.starts[pair], end, span >= 0 ? "timeline-span" : "timeline-unmatched");
      if (span >= 0) {
        piece.dataset.span = String(span);
        piece.title = `Matched: ${spanLabel(spans[span])}`;
      } else {
        piece.title = `Only in ${side.toUpperCase()}`;
      }
      pieces.push(piece);
    }
    return pieces;
  }

  function drawLanes() {
    for (const side of ["a", "b"]) {
      const lane = document.createElement("div");
      lane.className = `timeline-lane timeline-lane-${side}`;
      lane.setAttribute("aria-hidden", "true");
      lane.append(...spanLanePieces(side));
      const name = document.createElement("span");
      name.className = "timeline-lane-name";
      name.textContent = side.toUpperCase();
      lane.append(name);
      bar.insertBefore(lane, markers);
    }
  }

  function markerButton(segment, number, range, extraClass = "") {
    const labels = config.kind_labels;
    const button = document.createElement("button");
    button.type = "button";
    button.className = `timeline-marker ${kindClasses(segment)}${extraClass ? ` ${extraClass}` : ""}`;
    button.dataset.marker = String(number);
    button.style.left = percent(range.start);
    button.style.width = percent(range.end - range.start);
    // site.css widens a short marker to a finger's width on a phone, about the middle of its range.
    button.style.setProperty("--marker-width", percent(range.end - range.start));
    const label = differenceLabel(segment, labels, config.b.duration);
    button.setAttribute("aria-label", label);
    button.title = label;
    return button;
  }

  function marker(segment, number) {
    const button = markerButton(segment, number, segmentRange(axis, segment));
    if (segment.kind === "only_a" || segment.kind === "only_b") {
      const text = document.createElement("span");
      text.className = "timeline-marker-text";
      text.textContent = kindLabel(segment, config.kind_labels);
      button.append(text);
    }
    return button;
  }

  // A/V sync's row and the moves' linked marks (engine 3); the other differences in the band.
  const findingMarks = setUpFindingMarks(bar, axis, markerButton);

  function drawMarkers(segments) {
    state.current = -1;
    const rest = findingMarks.draw(segments);
    markers.replaceChildren(...rest.map((number) => marker(segments[number], number)));
  }

  function markCurrent(position) {
    // The difference under the playhead, in the list and on the timeline.
    let current = -1;
    state.data.segments.forEach((segment, number) => {
      const range = segmentRange(axis, segment);
      if (position >= range.start - 0.001 && position < range.end) {
        current = number;
      }
    });
    if (current === state.current) {
      return;
    }
    state.current = current;
    for (const element of root.querySelectorAll("[data-difference].is-current, .timeline-marker.is-current")) {
      element.classList.remove("is-current");
    }
    if (current >= 0) {
      root.querySelector(`[data-difference="${current}"]`)?.classList.add("is-current");
      // A move has a mark on each lane: both are current.
      for (const element of bar.querySelectorAll(`[data-marker="${current}"]`)) {
        element.classList.add("is-current");
      }
    }
  }

  function showPlayhead(position) {
    playhead.style.left = percent(position);
  }

  // -- hover previews from the sprites, a click seeks --

  function positionAtPointer(event) {
    const box = bar.getBoundingClientRect();
    const fraction = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    return { position: fraction * axis.total, x: event.clientX - box.left, width: box.width };
  }

  function showTile(side, position) {
    const tile = hover.querySelector(`[data-tile="${side}"]`);
    const caption = hover.querySelector(`[data-tile-time="${side}"]`);
    const target = timeOn(axis, side, position);
    const meta = config[side].sprite;
    caption.textContent = `${side.toUpperCase()} ${target.waiting ? "—" : tenthsClock(target.time)}`;
    tile.classList.toggle("is-absent", target.waiting);
    if (!config[side].sprite_url || !meta.count) {
      tile.hidden = true;
      return;
    }
    const index = Math.min(Math.floor(target.time / meta.interval), meta.count - 1);
    const column = index % meta.columns;
    const row = Math.floor(index / meta.columns);
    tile.hidden = false;
    tile.style.width = `${meta.tile_width}px`;
    tile.style.height = `${meta.tile_height}px`;
    tile.style.backgroundImage = `url("${config[side].sprite_url}")`;
    tile.style.backgroundPosition = `-${column * meta.tile_width}px -${row * meta.tile_height}px`;
  }

  // -- scrubbing: a press on the bar that moves drags the playhead; the players seek at most once a
  // frame (a seek per pointer event would queue up behind the decoder) --

  let drag = null; // { pointerId, startX, moving, position }
  let seekFrame = null;
  let draggedAt = 0; // when the last drag ended: the click that follows it is not a click

  function seekSoon() {
    if (seekFrame === null) {
      seekFrame = window.requestAnimationFrame(() => {
        seekFrame = null;
        if (drag) {
          seek(drag.position);
        }
      });
    }
  }

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointerId) {
      return;
    }
    const ended = drag;
    drag = null;
    bar.classList.remove("is-scrubbing");
    if (event.pointerType !== "mouse" || !bar.matches(":hover")) {
      hover.hidden = true; // a finger lifted, or a mouse let go outside the bar
    }
    if (ended.moving) {
      draggedAt = Date.now();
      seek(ended.position);
      scrubEnd();
    }
  }

  bar.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || drag) {
      return;
    }
    // Captured only once it moves: a capture from the press would make a click on a marker the
    // bar's click.
    drag = { pointerId: event.pointerId, startX: event.clientX, moving: false, position: 0 };
  });
  bar.addEventListener("pointermove", (event) => {
    const { position, x, width } = positionAtPointer(event);
    if (drag && event.pointerId === drag.pointerId) {
      if (!drag.moving && Math.abs(event.clientX - drag.startX) >= DRAG_START_PX) {
        drag.moving = true;
        bar.setPointerCapture(event.pointerId);
        bar.classList.add("is-scrubbing");
        scrubStart();
      }
      if (drag.moving) {
        drag.position = position;
        showPlayhead(position);
        seekSoon();
      }
    }
    showTile("a", position);
    showTile("b", position);
    hover.hidden = false;
    const half = hover.offsetWidth / 2;
    hover.style.left = `${Math.min(Math.max(x, half), width - half)}px`;
  });
  bar.addEventListener("pointerup", endDrag);
  bar.addEventListener("pointercancel", endDrag);
  bar.addEventListener("pointerleave", () => {
    if (!drag) {
      hover.hidden = true;
    }
  });
  bar.addEventListener("click", (event) => {
    if (Date.now() - draggedAt < 300) {
      return; // the end of a scrub, already sought
    }
    const clicked = event.target.closest("[data-marker]");
    if ((clicked && event.detail === 0) || clicked?.dataset.moveSide) {
      // A move's mark, wherever it is pressed, shows both of its places (seekToDifference).
      // A marker pressed from the keyboard (Enter, Space): no pointer to go to, so its start.
      seekToDifference(Number(clicked.dataset.marker));
      return;
    }
    // Anywhere on the lanes, markers included, the playhead goes to the pointer (as YouTube's and
    // Frame.io's do): a click on a marker lands inside it, so its difference becomes the current one.
    let { position } = positionAtPointer(event);
    const segment = clicked ? state.data.segments[Number(clicked.dataset.marker)] : undefined;
    if (segment) {
      // A short marker is drawn wider than its range: a click on its edge still selects it.
      const range = segmentRange(axis, segment);
      position = Math.min(Math.max(position, range.start), Math.max(range.end - 0.001, range.start));
    }
    seek(position);
  });

  return { drawLanes, drawMarkers, markCurrent, showPlayhead };
}
