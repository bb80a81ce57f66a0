// The drawing's plain data, as the server checks it (reviews/drawings.py) and the still draws it
// (reviews/stills.py): coordinates are fractions of the picture (origin top left), line widths and
// text sizes fractions of its height. Kept in one place so the canvas, the toolbar and the limits agree.

export const PALETTE = [
  ["#e53935", "Red"],
  ["#fb8c00", "Orange"],
  ["#fdd835", "Yellow"],
  ["#43a047", "Green"],
  ["#1e88e5", "Blue"],
  ["#8e24aa", "Purple"],
  ["#ffffff", "White"],
  ["#000000", "Black"],
];
export const TOOLS = [
  ["pen", "Pen"],
  ["arrow", "Arrow"],
  ["rect", "Rectangle"],
  ["ellipse", "Ellipse"],
  ["text", "Text"],
];
export const MAX_SHAPES = 50;
export const MAX_POINTS = 2000;
export const PEN_MAX_POINTS = 500;
export const LINE_WIDTH = 0.006;
export const TEXT_SIZE = 0.05;
export const TEXT_MAX = 200;
// An arrow's head (as reviews/stills.py draws it): sides HEAD_WIDTHS line widths long (at least
// HEAD_MIN of the picture's height), opened HEAD_ANGLE either side of the line.
const HEAD_WIDTHS = 4;
const HEAD_MIN = 0.02;
const HEAD_ANGLE = (28 * Math.PI) / 180;

export function pointCount(shapes) {
  return shapes.reduce((sum, shape) => sum + (shape.tool === "pen" ? shape.points.length : shape.tool === "text" ? 1 : 2), 0);
}

// Where the picture sits in a box of `width` × `height` CSS pixels: a <video> letterboxes its
// picture (object-fit: contain) when the box's shape is not the video's.
export function pictureBox(video, width, height) {
  const videoWidth = video.videoWidth;
  const videoHeight = video.videoHeight;
  if (!videoWidth || !videoHeight || !width || !height) {
    return { x: 0, y: 0, width, height };
  }
  const scale = Math.min(width / videoWidth, height / videoHeight);
  const shownWidth = videoWidth * scale;
  const shownHeight = videoHeight * scale;
  return { x: (width - shownWidth) / 2, y: (height - shownHeight) / 2, width: shownWidth, height: shownHeight };
}

function onBox([x, y], box) {
  return [box.x + x * box.width, box.y + y * box.height];
}

function arrowHead(context, from, to, length) {
  const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
  for (const side of [-1, 1]) {
    context.moveTo(to[0], to[1]);
    context.lineTo(to[0] - length * Math.cos(angle - side * HEAD_ANGLE), to[1] - length * Math.sin(angle - side * HEAD_ANGLE));
  }
}

export function drawShape(context, shape, box) {
  context.strokeStyle = shape.color;
  context.fillStyle = shape.color;
  context.lineCap = "round";
  context.lineJoin = "round";
  if (shape.tool === "text") {
    const size = Math.max(8, shape.size * box.height);
    context.font = `${size}px sans-serif`;
    context.textBaseline = "alphabetic";
    const [x, y] = onBox(shape.at, box);
    context.fillText(shape.text, x, y);
    return;
  }
  const width = Math.max(1, shape.width * box.height);
  context.lineWidth = width;
  context.beginPath();
  if (shape.tool === "pen") {
    shape.points.forEach((point, index) => {
      const [x, y] = onBox(point, box);
      if (index === 0) {
        context.moveTo(x, y);
      } else {
        context.lineTo(x, y);
      }
    });
  } else {
    const from = onBox(shape.from, box);
    const to = onBox(shape.to, box);
    if (shape.tool === "rect") {
      context.rect(Math.min(from[0], to[0]), Math.min(from[1], to[1]), Math.abs(to[0] - from[0]), Math.abs(to[1] - from[1]));
    } else if (shape.tool === "ellipse") {
      const radiusX = Math.abs(to[0] - from[0]) / 2;
      const radiusY = Math.abs(to[1] - from[1]) / 2;
      context.ellipse((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, radiusX, radiusY, 0, 0, 2 * Math.PI);
    } else {
      context.moveTo(from[0], from[1]);
      context.lineTo(to[0], to[1]);
      arrowHead(context, from, to, Math.max(width * HEAD_WIDTHS, HEAD_MIN * box.height));
    }
  }
  context.stroke();
}
