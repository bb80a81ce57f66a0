// A canvas over a <video>: it shows drawings (stored ones at their frame, others' live drafts) and,
// while editing on a paused player, takes the pointer (mouse, pen or touch) to draw new shapes.
//
// The canvas covers the video's box and is redrawn whenever that box changes size; shapes are kept
// in coordinates normalised to the picture inside it (letterboxed by object-fit), so they land on
// the same place at any size, full screen included, and on the server's still.
//
//   const layer = createDrawingLayer(videoElement, { onChange(shapes) {} });
//   layer.show(shapes)      // what to show besides one's own (stored or others'; [] for none)
//   layer.startEditing()    // false while the player plays: draw on a paused frame only
//   layer.setTool("rect"); layer.setColor("#e53935"); layer.setText("Too big")
//   layer.shapes()          // one's own shapes, plain data ({"shapes": layer.shapes()} is a drawing)
//   layer.undo(); layer.clear(); layer.stopEditing(); layer.destroy()
//
// A change to one's own shapes calls `onChange(shapes)` and also fires `sage:drawing-change` (detail:
// { shapes }) on the video, so a second listener (the live session's drafts) needs no layer of its own.

import {
  LINE_WIDTH,
  MAX_POINTS,
  MAX_SHAPES,
  PALETTE,
  PEN_MAX_POINTS,
  TEXT_MAX,
  TEXT_SIZE,
  drawShape,
  pictureBox,
  pointCount,
} from "./shapes.js";

// Pen points closer than this (a fraction of the picture) to the last one are skipped: a line keeps
// its shape within the point limits.
const PEN_STEP = 0.004;

const round = (value) => Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;

export function createDrawingLayer(video, { onChange = () => {} } = {}) {
  const canvas = document.createElement("canvas");
  canvas.className = "drawing-layer";
  canvas.setAttribute("aria-hidden", "true");
  canvas.dataset.drawingLayer = video.dataset.player || "video";
  video.insertAdjacentElement("afterend", canvas);
  let shown = [];
  let own = [];
  let history = []; // earlier states of `own`, for undo (a clear is undone too)
  let editing = false;
  let tool = "pen";
  let color = PALETTE[0][0];
  let text = "";
  let current = null; // the shape under the pointer

  function place() {
    // The video's own box inside the frame it sits in (offsetParent: the positioned .player-frame).
    canvas.style.left = `${video.offsetLeft}px`;
    canvas.style.top = `${video.offsetTop}px`;
    canvas.style.width = `${video.offsetWidth}px`;
    canvas.style.height = `${video.offsetHeight}px`;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(video.offsetWidth * ratio);
    const height = Math.round(video.offsetHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    redraw();
  }

  function box() {
    return pictureBox(video, video.offsetWidth, video.offsetHeight);
  }

  function redraw() {
    const context = canvas.getContext("2d");
    const ratio = canvas.width / Math.max(1, video.offsetWidth);
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const picture = box();
    for (const shape of [...shown, ...own, ...(current ? [current] : [])]) {
      drawShape(context, shape, picture);
    }
    canvas.dataset.shownShapes = String(shown.length + own.length);
  }

  function pointFrom(event) {
    const bounds = canvas.getBoundingClientRect();
    const picture = box();
    return [
      round((event.clientX - bounds.left - picture.x) / picture.width),
      round((event.clientY - bounds.top - picture.y) / picture.height),
    ];
  }

  function roomFor(points) {
    return own.length < MAX_SHAPES && pointCount(own) + points <= MAX_POINTS;
  }

  function changed() {
    onChange(own);
    video.dispatchEvent(new CustomEvent("sage:drawing-change", { detail: { shapes: own } }));
  }

  function commit(shape) {
    history.push(own);
    own = [...own, shape];
    current = null;
    redraw();
    changed();
  }

  function down(event) {
    if (!editing || (event.pointerType === "mouse" && event.button !== 0)) {
      return;
    }
    event.preventDefault();
    const point = pointFrom(event);
    if (tool === "text") {
      if (text && roomFor(1)) {
        commit({ tool: "text", color, at: point, text: text.slice(0, TEXT_MAX), size: TEXT_SIZE });
      }
      return;
    }
    if (!roomFor(2)) {
      return;
    }
    try {
      canvas.setPointerCapture(event.pointerId); // the stroke goes on when the pointer leaves the picture
    } catch {
      // A pointer the browser does not track (a synthetic event): the stroke works without capture.
    }
    current =
      tool === "pen"
        ? { tool, color, width: LINE_WIDTH, points: [point] }
        : { tool, color, width: LINE_WIDTH, from: point, to: point };
    redraw();
  }

  function move(event) {
    if (!current) {
      return;
    }
    event.preventDefault();
    const point = pointFrom(event);
    if (current.tool === "pen") {
      const last = current.points[current.points.length - 1];
      const far = Math.hypot(point[0] - last[0], point[1] - last[1]) >= PEN_STEP;
      if (far && current.points.length < PEN_MAX_POINTS && roomFor(current.points.length + 1)) {
        current.points.push(point);
      }
    } else {
      current.to = point;
    }
    redraw();
  }

  function up(event) {
    if (!current) {
      return;
    }
    move(event);
    const shape = current;
    current = null;
    if (shape.tool === "pen" ? shape.points.length >= 2 : shape.from[0] !== shape.to[0] || shape.from[1] !== shape.to[1]) {
      commit(shape);
    } else {
      redraw(); // a tap without a stroke draws nothing
    }
  }

  function cancel() {
    current = null;
    redraw();
  }

  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", cancel);
  const resized = new ResizeObserver(place);
  resized.observe(video);
  video.addEventListener("loadedmetadata", place);
  place();

  return {
    canvas,
    video,
    show(shapes) {
      shown = Array.isArray(shapes) ? shapes : [];
      redraw();
    },
    clear() {
      // Everything off the picture: what is shown and one's own (undo brings one's own back).
      shown = [];
      if (own.length) {
        history.push(own);
        own = [];
        changed();
      }
      redraw();
    },
    startEditing() {
      if (!video.paused) {
        return false;
      }
      editing = true;
      canvas.classList.add("is-editing");
      return true;
    },
    stopEditing() {
      editing = false;
      current = null;
      canvas.classList.remove("is-editing");
      redraw();
    },
    editing: () => editing,
    shapes: () => own.map((shape) => structuredClone(shape)),
    reset() {
      // A saved or abandoned drawing: one's own shapes and their history go.
      own = [];
      history = [];
      redraw();
      changed();
    },
    undo() {
      if (history.length) {
        own = history.pop();
        redraw();
        changed();
      }
    },
    setTool(name) {
      tool = name;
      canvas.dataset.tool = name;
    },
    setColor(value) {
      color = value;
    },
    setText(value) {
      text = String(value || "").trim();
    },
    redraw: place,
    destroy() {
      resized.disconnect();
      video.removeEventListener("loadedmetadata", place);
      canvas.remove();
    },
  };
}
