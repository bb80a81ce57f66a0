// The time ruler over the timeline (ticks at a round step that leaves room for their labels) and the
// transport's clock, current / total, both in the timeline's own time.

import { clock, tenthsClock } from "../shared/clock.js";

const STEPS_S = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const MIN_TICK_GAP_PX = 64; // room for "00:00" and a margin at the ruler's font size

function tickStep(total, width) {
  const most = Math.max(1, Math.floor(width / MIN_TICK_GAP_PX));
  return STEPS_S.find((step) => total / step <= most) ?? STEPS_S[STEPS_S.length - 1];
}

function tickLabel(seconds, step) {
  return step < 1 ? `${clock(seconds)}.${Math.round((seconds % 1) * 10)}` : clock(seconds);
}

export function setUpRuler(root, axis) {
  const ruler = root.querySelector("[data-timeline-ruler]");
  const current = root.querySelector("[data-clock-current]");
  root.querySelector("[data-clock-total]").textContent = tenthsClock(axis.total);
  let drawnWidth = -1;

  function draw() {
    const width = ruler.clientWidth;
    if (!width || width === drawnWidth || !axis.total) {
      return;
    }
    drawnWidth = width;
    const step = tickStep(axis.total, width);
    const ticks = [];
    for (let at = 0; at <= axis.total + 1e-9; at += step) {
      const tick = document.createElement("span");
      tick.className = "timeline-tick";
      tick.style.left = `${(100 * at) / axis.total}%`;
      if (width * (1 - at / axis.total) >= MIN_TICK_GAP_PX / 2) {
        // A label too near the right end would stick out of the timeline: that tick goes unlabelled.
        const label = document.createElement("span");
        label.className = "timeline-tick-label";
        label.textContent = tickLabel(at, step);
        tick.append(label);
      }
      ticks.push(tick);
    }
    ruler.replaceChildren(...ticks);
  }

  new ResizeObserver(draw).observe(ruler);
  return {
    draw,
    show(position) {
      current.textContent = tenthsClock(position);
    },
  };
}
