// The curve under the timeline: the picture and the sound change at each point of the curve (per
// aligned clip pair on older comparisons, about every second on refined ones), and a line at the
// threshold, in an SVG whose viewBox is 1000 wide and 100 high.

import { curvePositions } from "./axis.js";

function curvePath(values, positions, total, scale) {
  // One sub-path per run of measured points: a point without a value breaks the line.
  let path = "";
  let drawing = false;
  values.forEach((value, index) => {
    const position = positions[index];
    if (value === null || position === null || position === undefined) {
      drawing = false;
      return;
    }
    const x = (position / total) * 1000;
    const y = 100 - Math.min(value / scale, 1) * 100;
    path += `${drawing ? "L" : "M"}${x.toFixed(2)} ${y.toFixed(2)} `;
    drawing = true;
  });
  return path.trim();
}

export function curveDrawer(root, config, axis) {
  const scale = config.slider_max || 1;
  const thresholdLine = root.querySelector("[data-curve-threshold]");
  let drawnFor = null; // the curve the positions below were worked out for
  let positions = [];
  return function drawCurve(curve, threshold) {
    if (curve !== drawnFor) {
      positions = curvePositions(axis, curve);
      drawnFor = curve;
    }
    for (const name of ["visual", "audio"]) {
      const path = axis.total ? curvePath(curve[name], positions, axis.total, scale) : "";
      root.querySelector(`[data-curve-line="${name}"]`).setAttribute("d", path);
    }
    const y = (100 - Math.min(threshold / scale, 1) * 100).toFixed(2);
    thresholdLine.setAttribute("y1", y);
    thresholdLine.setAttribute("y2", y);
  };
}
