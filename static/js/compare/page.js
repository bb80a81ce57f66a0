// The comparison page put together: the axis from the payload (its matched spans), the players, the timeline with its ruler and scrubbing, the list, the
// curve, the threshold, notes, links to a moment, the buttons and the keyboard, and what the page
// says as playback moves. The alignment does not move with the threshold: the axis is built once.

import { buildAxis, has, pairAt, segmentRange, timeOn } from "./axis.js";
import { bindControls } from "./controls.js";
import { curveDrawer } from "./curve.js";
import { renderDifferences } from "./differences.js";
import { countsText, differenceLabel, kindLabel, sideClock } from "./format.js";
import { bindKeys } from "./keys.js";
import { bindCopyLink, startPosition } from "./link.js";
import { setUpNotes } from "./notes.js";
import { setUpRuler } from "./ruler.js";
import { setUpThreshold } from "./threshold.js";
import { setUpTimeline } from "./timeline.js";
import { startSync } from "./transport.js";
import { followVerification } from "./verifying.js";
import { setUpTimecode } from "../shared/timecode.js";

const PREVIOUS_GRACE_S = 0.5; // "previous difference" inside one just started goes to the one before

export function setUpPage(root, config, initial) {
  const axis = buildAxis(initial, config.a.duration, config.b.duration);
  if (!axis.count || !axis.total) {
    return; // nothing to drive: the page stays as served
  }
  const state = { axis, data: initial, current: -1, only: "" };
  const list = root.querySelector("[data-differences]");
  const statusLine = root.querySelector("[data-sync-status]");
  const playButton = root.querySelector("[data-play]");
  const playLabel = root.querySelector("[data-play-label]");
  // Each video's own time, under its player and in the transport, beside the timeline's.
  const times = Object.fromEntries(
    ["a", "b"].map((side) => [side, root.querySelectorAll(`[data-time="${side}"], [data-clock-time="${side}"]`)]),
  );
  const currentDifference = root.querySelector("[data-current-difference]");
  const ruler = setUpRuler(root, axis);
  let resumeAfterScrub = false;

  const timeline = setUpTimeline(root, config, state, {
    seek: (position) => player.seek(position),
    seekToDifference: (number) => seekToDifference(number),
    scrubStart() {
      // Paused while the pointer drags the playhead; playing again from where it is let go.
      resumeAfterScrub = player.playing();
      player.pause();
    },
    scrubEnd() {
      if (resumeAfterScrub) {
        player.play();
      }
    },
  });

  function showCurrentDifference() {
    // "2/3 Picture, high" under the playhead, or how many there are between them.
    const segments = state.data.segments;
    const segment = state.current >= 0 ? segments[state.current] : undefined;
    let text = "No differences";
    if (segment) {
      const severity = segment.severity ? `, ${segment.severity}` : "";
      text = `${state.current + 1}/${segments.length} ${kindLabel(segment, config.kind_labels)}${severity}`;
    } else if (segments.length) {
      text = segments.length === 1 ? "1 difference" : `${segments.length} differences`;
    }
    if (currentDifference.textContent !== text) {
      currentDifference.textContent = text;
      currentDifference.title = segment
        ? differenceLabel(segment, config.kind_labels, config.b.duration)
        : "";
    }
  }

  const ui = {
    show(position, { playing, apart = null }) {
      timeline.showPlayhead(position);
      for (const side of ["a", "b"]) {
        // Apart (both places of a move), each player's own time; else its time on the axis.
        const text = apart ? sideClock({ time: apart[side], waiting: false }) : sideClock(timeOn(axis, side, position));
        for (const element of times[side]) {
          element.textContent = text;
        }
      }
      const pair = pairAt(axis, position);
      const only = !has(axis, "a", pair) ? "b" : !has(axis, "b", pair) ? "a" : "";
      if (only !== state.only) {
        // Said once when it changes (the line is a live region), not at every tick.
        state.only = only;
        statusLine.textContent = only ? `Only ${only.toUpperCase()} has this stretch: ${only === "a" ? "B" : "A"} waits.` : "";
      }
      playButton.setAttribute("aria-label", playing ? "Pause both" : "Play both");
      playLabel.textContent = playing ? "Pause" : "Play";
      ruler.show(position);
      timeline.markCurrent(position);
      showCurrentDifference();
    },
    status(message) {
      statusLine.textContent = message;
    },
  };

  function render(data) {
    state.data = data;
    timeline.drawMarkers(data.segments);
    renderDifferences(list, data, config);
    root.querySelector('[data-field="counts"]').textContent = countsText(data.counts, config.count_words);
    root.querySelector('[data-field="similarity"]').textContent = `${Math.round(data.similarity)} %`;
    const summary = root.querySelector('[data-field="summary"]');
    summary.textContent =
      data.summary || "The summary is written for the saved threshold: save this one as the default to have it here.";
    timeline.markCurrent(player.position());
    showCurrentDifference();
  }

  const drawCurveFor = curveDrawer(root, config, axis);
  const drawCurve = (threshold) => drawCurveFor(state.data.curve, threshold);

  const player = startSync(root, config, axis, ui);

  function seekToDifference(number) {
    const segment = state.data.segments[number];
    if (!segment) {
      return;
    }
    if (segment.kind === "moved" && segment.a_start !== null && segment.b_start !== null) {
      // Both places of a move at once: A where the stretch was, B where it is now; Play plays both
      // through it side by side (neither waits for the other).
      const ends = { a: segment.a_end ?? segment.a_start, b: segment.b_end ?? segment.b_start };
      player.showApart(segmentRange(axis, segment).start, { a: segment.a_start, b: segment.b_start }, ends);
      ui.status("A and B each show the moved stretch at its own place; Play plays both through it.");
      return;
    }
    player.seek(segmentRange(axis, segment).start, { edge: true }); // the frame the difference begins on
  }

  function jump(direction) {
    const position = player.position();
    const starts = state.data.segments.map((segment) => segmentRange(axis, segment).start);
    let target = -1;
    if (direction > 0) {
      target = starts.findIndex((start) => start > position + 0.01);
    } else {
      starts.forEach((start, number) => {
        if (start < position - PREVIOUS_GRACE_S) {
          target = number;
        }
      });
    }
    if (target >= 0) {
      seekToDifference(target);
    } else {
      ui.status(direction > 0 ? "No difference after this point." : "No difference before this point.");
    }
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seek-difference]");
    if (button) {
      seekToDifference(Number(button.dataset.seekDifference));
    }
  });
  const controls = bindControls(root, player, jump);
  setUpTimecode(
    root.querySelector("[data-timecode-toggle]"),
    ["a", "b"].map((side) => ({ video: player.media[side], element: root.querySelector(`[data-timecode="${side}"]`) })),
  );
  const notes = setUpNotes(root, config, axis, player);
  bindCopyLink(root, config, axis, player);
  const readOnly = Boolean(config.read_only);
  bindKeys(root, { player, jump, muteBoth: controls.muteBoth, openNote: notes.open, readOnly });
  const thresholdStatus = root.querySelector("[data-threshold-status]");
  const view = {
    render,
    drawCurve,
    status: (text) => {
      thresholdStatus.textContent = text;
    },
  };
  setUpThreshold(root, config, view);
  followVerification(root, config, initial, view);

  timeline.drawLanes();
  render(initial);
  drawCurve(initial.threshold);
  const start = startPosition(axis, config.start);
  if (start === null) {
    ui.show(0, { playing: false });
  } else {
    player.seek(start); // a link to a moment (?a=, ?b=)
  }
  root.querySelector("[data-timeline]").hidden = false;
  root.querySelector("[data-timeline-curve]").hidden = false;
  ruler.draw();
  root.querySelector("[data-transport]").hidden = false;
  root.querySelector("[data-needs-js]").hidden = true;
  // The comments panel (reviews/comments.js) seeks, pauses and marks the timeline on this clock.
  // A live session (session/players.js) reads the current difference and drives the transport.
  root.compareHooks = { axis, player, currentDifference: () => state.current };
}
