// Live drafts of drawings between the session's pages. The drawing layer itself (the canvas over
// the picture and its tools) is reviews/drawing's; this adapter takes any object with `show(shapes,
// draft)`, `clear(by)`, `shapes()` and `onChange(callback)` and joins it to the socket. Until a
// layer is given, drafts from others are kept so a layer given later shows them.

const SEND_EVERY_MS = 100; // a draft that changes faster is sent at most this often (the server rate-limits too)

export class DrawingRelay {
  constructor(socket) {
    this.socket = socket;
    this.layer = null;
    this.drafts = new Map(); // participant id → {side, time, shapes}
    this.pending = null;
    this.timer = null;
  }

  attach(layer) {
    this.layer = layer;
    layer.onChange((draft) => this.queue(draft));
    for (const [by, draft] of this.drafts) {
      layer.show(draft.shapes, { ...draft, by });
    }
  }

  queue(draft) {
    // draft: {side, time, shapes}; no shapes: the draft is cleared on the others.
    this.pending = draft;
    if (this.timer === null) {
      this.flush();
      this.timer = window.setTimeout(() => {
        this.timer = null;
        if (this.pending) {
          this.flush();
        }
      }, SEND_EVERY_MS);
    }
  }

  flush() {
    const draft = this.pending;
    this.pending = null;
    if (!draft || !draft.shapes?.length) {
      this.socket.send({ type: "drawing.clear" });
    } else {
      this.socket.send({ type: "drawing.draft", data: { side: draft.side, time: draft.time, shapes: draft.shapes } });
    }
  }

  receive(frame) {
    const by = frame.data?.by;
    if (frame.type === "drawing.draft") {
      const draft = { side: frame.data.side, time: frame.data.time, shapes: frame.data.shapes };
      this.drafts.set(by, draft);
      this.layer?.show(draft.shapes, { ...draft, by });
    } else if (frame.type === "drawing.clear") {
      this.drafts.delete(by);
      this.layer?.clear(by);
    }
  }
}
