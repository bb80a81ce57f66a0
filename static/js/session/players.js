// The page's player as a live session drives it: one interface over the compare page's transport
// (its axis position; the transport keeps B with A as it always does) and over a video page's one
// <video>. `apart` is the compare page's players each at its own place, a move shown on both sides
// ({a, b, ends}, review_sessions/apart.py), or null. A change the session asks for is made quietly; a change the person makes is reported
// (a presenter sends it, a follower who makes one steps out).
//
// The picture: where the browser tells which frame it presents and when (requestVideoFrameCallback),
// `picture()` is the last presented frame ({media: its media time, at: the Date.now() instant it was
// shown}), `frames()` the few since the last seek landed, and `onPicture(listener)` hears each of
// them, with `landed` (s from the seek being asked for to its first frame on screen) on the first
// after a seek; `pictured` says whether the player can tell at all. `resume()` starts a paused
// player where it stands (no seek). A presenter announces what its picture shows, a follower measures its error by its
// own picture; without it (the compare page's two players, an old browser) both fall back to the
// player's clock.

const SAME_TIME_S = 0.05;
// How long after the session's seek its "seeked" may come and still be taken for it (not a person's).
// Long: a follower stepped out by his own page's lateness stops following without having done
// anything (on a busy machine "seeked" came more than 1.5 s late); a person who seeks a few seconds
// forward within moments of the session's seek is only kept following, and can seek again.
const LATEST_SEEKED_S = 5;
const FRAMES_KEPT = 8;

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
    apart: () => player.apart(),
    pictured: false,
    picture: () => null,
    frames: () => [],
    onPicture() {},
    resume() {
      player.quietly.play();
    },
    jump(position, playing, apart = null) {
      if (!playing) {
        player.quietly.pause();
      }
      if (apart) {
        // As the presenter's page shows a move: A and B each at its own time, Play plays both on.
        player.quietly.showApart(position, { a: apart.a, b: apart.b }, apart.ends);
      } else {
        player.quietly.seek(position);
      }
      if (playing) {
        player.quietly.play();
      }
    },
    setRate(rate) {
      if (Math.abs(player.rate() - rate) > 1e-4) {
        player.quietly.setRate(rate);
      }
    },
    showRate(rate) {
      // The Speed menu says the session's rate, not the moment's catch-up nudge of it.
      const menu = root.querySelector("[data-speed]");
      const option = menu && [...menu.options].find((each) => Math.abs(Number(each.value) - rate) < 1e-3);
      if (option) {
        menu.value = option.value;
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
  // The <video> fires the same events for the session's changes as for the person's, later (each
  // from a task of its own): each quiet change counts the one event it will fire, and that many are
  // not reported; any other is the person's. Seeks are told by their time: a seek cut short by the
  // next fires no "seeked" of its own. A playing video moves on between the seek's landing and its
  // "seeked" task, by as long as that task waited (on a busy phone, a good part of a second), so the
  // session's own seek is known by where it would have played on to by then. A seek that landed just
  // before the session's next one began fires its "seeked" while that one is under way (`seeking`):
  // it is an earlier seek's, never the person's latest, and the next seek fires its own after it.
  const expected = { play: 0, pause: 0, rate: 0, seeks: [] }; // seeks: the session's, oldest first
  const landed = (seek) => {
    const waited = Math.min((performance.now() - seek.at) / 1000, LATEST_SEEKED_S);
    const played = video.paused ? 0 : waited * video.playbackRate;
    const off = video.currentTime - seek.time;
    return off > -SAME_TIME_S && off < played + SAME_TIME_S;
  };
  const ownSeek = () => {
    if (video.seeking) {
      if (expected.seeks.length > 1) {
        expected.seeks.shift();
      }
      return true;
    }
    const latest = expected.seeks.at(-1);
    if (latest && landed(latest)) {
      expected.seeks = []; // the seeks before it were cut short, or told already
      return true;
    }
    return false;
  };
  const shown = watchPicture(video);
  return {
    position: () => video.currentTime,
    duration: () => video.duration || Number.POSITIVE_INFINITY,
    playing: () => !video.paused && !video.ended,
    settling: () => video.seeking,
    rate: () => video.playbackRate,
    apart: () => null,
    pictured: typeof video.requestVideoFrameCallback === "function",
    picture: () => shown.frames.at(-1) ?? null,
    frames: () => [...shown.frames],
    onPicture: (listener) => shown.listeners.add(listener),
    resume() {
      // Plays on from the frame it shows, no seek (a seek would freeze the picture first).
      if (video.paused) {
        expected.play += 1;
        video.play()?.catch(() => {});
      }
    },
    jump(position, playing) {
      if (!playing && !video.paused) {
        expected.pause += 1;
        video.pause();
      }
      expected.seeks.push({ time: position, at: performance.now() });
      shown.asked(position);
      video.currentTime = position;
      if (playing && video.paused) {
        expected.play += 1;
        video.play()?.catch(() => {});
      }
    },
    setRate(rate) {
      if (Math.abs(video.playbackRate - rate) > 1e-4) {
        expected.rate += 1;
        video.playbackRate = rate;
      }
    },
    showRate() {}, // the browser's own menu: the role line says the rate (panel.js)
    difference: () => null,
    threshold: () => null,
    setThreshold() {},
    onPersonChange(listener) {
      const unless = (kind) => () => {
        if (expected[kind] > 0) {
          expected[kind] -= 1;
        } else {
          listener(kind);
        }
      };
      video.addEventListener("play", unless("play"));
      video.addEventListener("pause", () => (video.ended ? undefined : unless("pause")()));
      video.addEventListener("ratechange", unless("rate"));
      video.addEventListener("seeked", () => {
        if (!ownSeek()) {
          listener("seek");
        }
      });
    },
  };
}

// The frames `video` presents, as requestVideoFrameCallback reports them (see the top). A seek is
// known from its "seeking" (the person's) or from `asked` (the session's, a task earlier); it has
// landed on the first frame presented after it near where it went.
function watchPicture(video) {
  const shown = { frames: [], listeners: new Set(), seek: null };
  shown.asked = (time) => {
    shown.seek = { time, at: Date.now() };
    shown.frames = [];
  };
  if (typeof video.requestVideoFrameCallback !== "function") {
    shown.asked = () => {};
    return shown;
  }
  // Frames from before a pause say nothing of the playing picture after it.
  video.addEventListener("play", () => {
    shown.frames = [];
  });
  video.addEventListener("seeked", () => {
    if (shown.seek) {
      shown.seek.seekedAt = Date.now();
    }
  });
  video.addEventListener("seeking", () => {
    if (!shown.seek || Math.abs(shown.seek.time - video.currentTime) > 1e-3) {
      shown.asked(video.currentTime);
    }
  });
  const presented = (now, meta) => {
    // Date.now()'s instant of the presentation: the page's clock the session's server clock is on.
    const frame = { media: meta.mediaTime, at: Date.now() - (performance.now() - meta.presentationTime) };
    let landed = null;
    if (shown.seek) {
      // Near where it went; or, once it is over, any frame well after (a seek clamped to the end).
      const near = Math.abs(frame.media - shown.seek.time) <= 0.25;
      const over = shown.seek.seekedAt !== undefined && frame.at > shown.seek.seekedAt + 100;
      if (video.seeking || !(near || over)) {
        video.requestVideoFrameCallback(presented); // a frame from before the seek, shown late
        return;
      }
      landed = near ? Math.max(0, (frame.at - shown.seek.at) / 1000) : null;
      shown.seek = null;
    }
    shown.frames.push(frame);
    if (shown.frames.length > FRAMES_KEPT) {
      shown.frames.shift();
    }
    for (const listener of shown.listeners) {
      listener(frame, landed);
    }
    video.requestVideoFrameCallback(presented);
  };
  video.requestVideoFrameCallback(presented);
  return shown;
}
