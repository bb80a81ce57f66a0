// The page's player as a live session drives it: one interface over the compare page's transport
// (its axis position; the transport keeps B with A as it always does) and over a video page's one
// <video>. A change the session asks for is made quietly; a change the person makes is reported
// (a presenter sends it, a follower who makes one steps out).

const SAME_TIME_S = 0.05;

export function comparePlayer(root) {
  const hooks = root.compareHooks;
  if (!hooks) {
    return null;
  }
  const { player, axis } = hooks;
  const slider = root.querySelector("[data-threshold]");
  const resetButton = root.querySelector("[data-threshold-reset]");
  return {
    position: () => player.livePosition(),
    duration: () => axis.total,
    playing: () => player.playing(),
    settling: () => player.media.a.seeking || player.media.b.seeking,
    rate: () => player.rate(),
    jump(position, playing) {
      if (!playing) {
        player.quietly.pause();
      }
      player.quietly.seek(position);
      if (playing) {
        player.quietly.play();
      }
    },
    setRate(rate) {
      if (Math.abs(player.rate() - rate) > 1e-4) {
        player.quietly.setRate(rate);
      }
    },
    difference: () => {
      const current = hooks.currentDifference();
      return current >= 0 ? current : null;
    },
    threshold: () => (slider ? Number(slider.value) : null),
    setThreshold(value) {
      // As if the slider had moved: the page judges the comparison at it (threshold.js).
      if (slider && typeof value === "number" && Math.abs(Number(slider.value) - value) > 1e-9) {
        slider.value = String(value);
        slider.dispatchEvent(new Event("input"));
      }
    },
    onPersonChange(listener) {
      player.onChange(listener);
      slider?.addEventListener("change", (event) => event.isTrusted && listener("threshold"));
      resetButton?.addEventListener("click", () => window.setTimeout(() => listener("threshold")));
    },
  };
}

export function videoPlayer(video) {
  // The <video> fires the same events for the session's changes as for the person's: each quiet
  // change expects its one event (set only when the change will fire it), and that event is not
  // reported; any other is the person's.
  const expected = { play: false, pause: false, time: null, rate: null };
  return {
    position: () => video.currentTime,
    duration: () => video.duration || Number.POSITIVE_INFINITY,
    playing: () => !video.paused && !video.ended,
    settling: () => video.seeking,
    rate: () => video.playbackRate,
    jump(position, playing) {
      if (!playing && !video.paused) {
        expected.pause = true;
        video.pause();
      }
      expected.time = position;
      video.currentTime = position;
      if (playing && video.paused) {
        expected.play = true;
        video.play()?.catch(() => {});
      }
    },
    setRate(rate) {
      if (Math.abs(video.playbackRate - rate) > 1e-4) {
        expected.rate = rate;
        video.playbackRate = rate;
      }
    },
    difference: () => null,
    threshold: () => null,
    setThreshold() {},
    onPersonChange(listener) {
      const unless = (flag, kind) => () => {
        if (expected[flag]) {
          expected[flag] = false;
        } else {
          listener(kind);
        }
      };
      video.addEventListener("play", unless("play", "play"));
      video.addEventListener("pause", () => (video.ended ? undefined : unless("pause", "pause")()));
      video.addEventListener("seeked", () => {
        if (expected.time !== null && Math.abs(video.currentTime - expected.time) < SAME_TIME_S) {
          expected.time = null;
        } else {
          listener("seek");
        }
      });
      video.addEventListener("ratechange", () => {
        if (expected.rate !== null && Math.abs(video.playbackRate - expected.rate) < 1e-6) {
          expected.rate = null;
        } else {
          listener("rate");
        }
      });
    },
  };
}
