// The curve under the timeline: the picture and the sound change at each point of the curve (about
// every half second along the matched spans), and a line at the threshold, in an SVG whose viewBox is 1000 wide and 100 high.

import { curvePoints } from "./axis.js";

function curvePath(values, points, total, scale) {
  // One sub-path per run of measured points: a point without a value breaks the line, and so does
  // a stretch between two points that only one video has (a pair skipped on the axis).
  let path = "";
  let previous = null;
  values.forEach((value, index) => {
    const point = points[index];
    if (value === null || !point) {
      previous = null;
      return;
    }
    const x = (point.position / total) * 1000;
    const y = 100 - Math.min(value / scale, 1) * 100;
    const joined = previous !== null && point.pair <= previous.pair + 1;
    path += `${joined ? "L" : "M"}${x.toFixed(2)} ${y.toFixed(2)} `;
    previous = point;
  });
  return path.trim();
}

export function curveDrawer(root, config, axis) {
  const scale = config.slider_max || 1;
  const thresholdLine = root.querySelector("[data-curve-threshold]");
  let drawnFor = null; // the curve the points below were placed for
  let points = [];
  return function drawCurve(curve, threshold) {
    if (curve !== drawnFor) {
      points = curvePoints(axis, curve);
      drawnFor = curve;
    }
    for (const name of ["visual", "audio"]) {
      const path = axis.total ? curvePath(curve[name], points, axis.total, scale) : "";
      root.querySelector(`[data-curve-line="${name}"]`).setAttribute("d", path);
    }
    const y = (100 - Math.min(threshold / scale, 1) * 100).toFixed(2);
    thresholdLine.setAttribute("y1", y);
    thresholdLine.setAttribute("y2", y);
  };
}
