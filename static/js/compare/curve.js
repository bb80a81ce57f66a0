// The distance curve under the timeline: the visual and audio distance of each aligned pair, and a
// line at the threshold, in an SVG whose viewBox is 1000 wide and 100 high.

function curvePath(values, axis, scale) {
  // One sub-path per run of measured pairs: a pair without a distance breaks the line.
  let path = "";
  let drawing = false;
  values.forEach((value, pair) => {
    if (value === null || pair >= axis.count) {
      drawing = false;
      return;
    }
    const x = ((axis.starts[pair] + axis.lengths[pair] / 2) / axis.total) * 1000;
    const y = 100 - Math.min(value / scale, 1) * 100;
    path += `${drawing ? "L" : "M"}${x.toFixed(2)} ${y.toFixed(2)} `;
    drawing = true;
  });
  return path.trim();
}

export function curveDrawer(root, config, axis) {
  const scale = config.slider_max || 1;
  const thresholdLine = root.querySelector("[data-curve-threshold]");
  return function drawCurve(curve, threshold) {
    for (const name of ["visual", "audio"]) {
      root.querySelector(`[data-curve-line="${name}"]`).setAttribute("d", curvePath(curve[name], axis, scale));
    }
    const y = (100 - Math.min(threshold / scale, 1) * 100).toFixed(2);
    thresholdLine.setAttribute("y1", y);
    thresholdLine.setAttribute("y2", y);
  };
}
