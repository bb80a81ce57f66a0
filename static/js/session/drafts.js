// The page's drawing layers joined to the session's DrawingRelay (./drawing.js). Outgoing: the comment
// form draws on the players' own layers (reviews/drawing), which fire `sage:drawing-change` on their
// video; each change goes out as this person's draft at that side and frame (no shapes: cleared, as
// when the drawing is saved or cancelled). Incoming: the others' drafts are drawn on a canvas of their
// own over each player (a second, never-editing layer), so the stored drawings the comments show at
// their frame are left alone; several people's drafts are kept apart by `by`, and one shows only
// while this page's player of that side sits at the draft's frame.

import { createDrawingLayer } from "../reviews/drawing/layer.js";

// How near a player must sit to a draft's time to show it: about two frames, the room a follower's
// jump to the presenter's paused position (and B's place through the alignment) may leave.
const AT_FRAME_S = 0.08;

function sideOf(video, comparison) {
  return comparison ? video.dataset.player : "video";
}

export class DraftLayers {
  constructor(page = document) {
    const comparison = Boolean(page.querySelector("[data-compare-page]"));
    const selector = comparison ? 'video[data-player="a"], video[data-player="b"]' : "video[data-player], video.player";
    this.videos = new Map(); // side → <video>
    for (const video of page.querySelectorAll(selector)) {
      const side = sideOf(video, comparison);
      if (side && !this.videos.has(side)) {
        this.videos.set(side, video);
      }
    }
    this.layers = new Map(); // side → the layer showing others' drafts
    this.drafts = new Map(); // by → {side, time, shapes}
    for (const [side, video] of this.videos) {
      const layer = createDrawingLayer(video);
      layer.canvas.dataset.sessionDrafts = side;
      delete layer.canvas.dataset.drawingLayer; // not the layer the comment form draws on
      this.layers.set(side, layer);
      for (const event of ["seeked", "timeupdate", "pause", "play", "loadeddata"]) {
        video.addEventListener(event, () => this.redraw(side));
      }
    }
  }

  onChange(send) {
    for (const [side, video] of this.videos) {
      video.addEventListener("sage:drawing-change", (event) => {
        send({ side, time: video.currentTime, shapes: event.detail?.shapes ?? [] });
      });
    }
  }

  show(shapes, { by, side, time }) {
    for (const [other, draft] of this.drafts) {
      if (other === by && draft.side !== side) {
        this.drafts.delete(by);
        this.redraw(draft.side); // the author moved to the other side
      }
    }
    this.drafts.set(by, { side, time, shapes });
    this.redraw(side);
  }

  clear(by) {
    const draft = this.drafts.get(by);
    this.drafts.delete(by);
    if (draft) {
      this.redraw(draft.side);
    }
  }

  redraw(side) {
    const layer = this.layers.get(side);
    const video = this.videos.get(side);
    if (!layer || !video) {
      return;
    }
    const shown = [];
    const authors = [];
    for (const [by, draft] of this.drafts) {
      if (draft.side === side && Math.abs(video.currentTime - draft.time) <= AT_FRAME_S) {
        shown.push(...draft.shapes);
        authors.push(by);
      }
    }
    layer.show(shown);
    layer.canvas.dataset.draftsBy = authors.join(" ");
  }
}
