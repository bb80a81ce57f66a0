"""Which frame a Chromium page shows, and when (issue 62): for the session bench and browser tests.

A page given `recorder_script` records every frame its `video.player` presents
(`requestVideoFrameCallback`): the instant it was shown, as epoch ms on the machine's clock every page
of one browser shares, its media time, and the mean luma of each cell of the frame-number band
(`sage.synthetic_media.frame_numbers`), read off a canvas the video's size. `shown_frames` reads the
numbers from those levels, here, with the one reader; `Shown.at_instants` then says which frame the
page showed at any instant, so two pages are compared by their pictures at the same instants.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from sage.synthetic_media.frame_numbers import BAND_TOP, ROW_HEIGHT, ROWS, cell_middles, number_from_levels

READ_RECORD = "() => window.__sagePicture"
READ_CALLS = "() => window.__sagePlayerCalls"

# Each page records the frames it presents: the instant (epoch ms, the clock every page shares) and
# the mean luma of each cell of the frame-number band, read off a canvas the size of the video.
RECORDER = """
(() => {
  const middles = %(middles)s;
  const bandRows = %(band_rows)d;
  const frames = [];
  window.__sagePicture = frames;
  let context = null;
  const levels = (video) => {
    if (!context) {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context = canvas.getContext("2d", { willReadFrequently: true });
    }
    context.drawImage(video, 0, 0, context.canvas.width, context.canvas.height);
    const width = context.canvas.width;
    const data = context.getImageData(0, 0, width, bandRows).data;
    return middles.map(([top, bottom, left, right]) => {
      let sum = 0;
      for (let y = top; y < bottom; y += 1) {
        for (let x = left; x < right; x += 1) {
          const i = (y * width + x) * 4;
          sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
        }
      }
      return Math.round(sum / ((bottom - top) * (right - left)));
    });
  };
  const watch = (video) => {
    const presented = (now, meta) => {
      frames.push({ at: performance.timeOrigin + meta.presentationTime, media: meta.mediaTime, levels: levels(video) });
      video.requestVideoFrameCallback(presented);
    };
    video.requestVideoFrameCallback(presented);
  };
  // What the page's script asked of its player, and the session's states it received: a trace of
  // where the time after a presenter's action went (bench/session.py --trace).
  const calls = [];
  window.__sagePlayerCalls = calls;
  const media = HTMLMediaElement.prototype;
  for (const name of ["currentTime", "playbackRate"]) {
    const property = Object.getOwnPropertyDescriptor(media, name);
    Object.defineProperty(media, name, {
      ...property,
      set(value) {
        calls.push({ at: Date.now(), call: name, value });
        property.set.call(this, value);
      },
    });
  }
  for (const name of ["play", "pause"]) {
    const method = media[name];
    media[name] = function (...args) {
      calls.push({ at: Date.now(), call: name });
      return method.apply(this, args);
    };
  }
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === "state") {
          calls.push({ at: Date.now(), call: "state", value: frame.data });
        }
      });
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    const video = document.querySelector("video.player");
    if (video) watch(video);
  });
})();
"""


@dataclass(frozen=True)
class Shown:
    """One page's presented frames: when each was shown (epoch ms) and the number it showed."""

    at: np.ndarray
    number: np.ndarray
    unread: int  # frames whose band could not be read
    media_disagrees: int  # frames whose media time names another frame than the pixels

    def at_instants(self, instants: np.ndarray) -> np.ndarray:
        """The number on screen at each instant (the last frame shown by then); -1 before any."""
        index = np.searchsorted(self.at, instants, side="right") - 1
        return np.where(index >= 0, self.number[np.maximum(index, 0)], -1)


def shown_frames(records: list[dict[str, Any]], rate: Fraction) -> Shown:
    """A page's record (READ_RECORD) as the numbers it showed, in the order shown."""
    at, numbers, unread, disagrees = [], [], 0, 0
    for record in records:
        number = number_from_levels(record["levels"])
        if number is None:
            unread += 1
            continue
        if math.floor((record["media"] + 0.001) * rate) != number:
            disagrees += 1
        at.append(record["at"])
        numbers.append(number)
    order = np.argsort(at, kind="stable")
    return Shown(np.asarray(at)[order], np.asarray(numbers, dtype=np.int64)[order], unread, disagrees)


def recorder_script(width: int, height: int) -> str:
    """The script a page is given (`add_init_script`) to record its frames, for a width×height video."""
    band_rows = math.ceil(height * (BAND_TOP + ROWS * ROW_HEIGHT)) + 1
    return RECORDER % {"middles": json.dumps(cell_middles(width, height)), "band_rows": band_rows}
