// The players a comment is about, whatever the page: on a comparison page the compare script's
// transport (one clock for both videos, through the alignment: compare/page.js leaves it on its root
// as `compareHooks`), on a video page its one player. Each answers the same few questions: what time
// each side shows now, seek a side to a time, pause and play again, and where a side's time sits on
// the page's timeline (a fraction from 0 to 1, for the markers). A side's time now is the middle of
// the frame it shows (shared/frames.js), the time a comment made now is stored at.

import { positionFrom } from "../../compare/axis.js";
import { seekVideo, shownInstant, watchPresentedFrames } from "../../shared/frames.js";

export function comparisonPlayers(hooks) {
  const { axis, player } = hooks;
  return {
    kind: "comparison",
    now(side) {
      // { time, waiting }: a side that has nothing at this moment (the other's extra stretch) waits.
      return player.now(side);
    },
    seek(side, seconds) {
      player.seek(positionFrom(axis, side, seconds).position, { exact: side });
    },
    playing: () => player.playing(),
    pause: () => player.pause(),
    play: () => player.play(),
    fraction(side, seconds) {
      return axis.total ? positionFrom(axis, side, seconds).position / axis.total : 0;
    },
  };
}

export function videoPlayers(root) {
  // The file player of a video page (YouTube's embed has its own clock: a seek goes through the
  // page's `sage:seek`, which video.js takes where it runs).
  const video = () => root.querySelector("video[data-player]") || root.querySelector("video");
  const duration = () => {
    const element = video();
    return element && Number.isFinite(element.duration) && element.duration > 0 ? element.duration : 0;
  };
  return {
    kind: "video",
    now() {
      const element = video();
      if (!element) {
        return { time: 0, waiting: false };
      }
      watchPresentedFrames(element);
      return { time: shownInstant(element), waiting: false };
    },
    seek(_side, seconds) {
      const element = video();
      const asked = new CustomEvent("sage:seek", { bubbles: true, cancelable: true, detail: { seconds, play: false } });
      if ((element || document).dispatchEvent(asked) && element) {
        seekVideo(element, seconds); // nobody took the event: this page's player is ours to move
      }
    },
    playing: () => Boolean(video() && !video().paused),
    pause: () => video()?.pause(),
    play: () => video()?.play().catch(() => {}),
    fraction(_side, seconds) {
      return duration() ? Math.min(seconds / duration(), 1) : 0;
    },
    duration,
    video,
  };
}
