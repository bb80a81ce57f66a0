// The two players under one transport, kept in step through the alignment.
//
// Where both videos have a clip, A leads and B follows; inside a stretch only B has, A waits (paused
// where the stretch sits in A) while B plays it through, then both go on together; the same the
// other way round for a stretch only A has.
//
// Drift: every SYNC_INTERVAL_MS the follower's time is compared with where the alignment says it
// should be. A small drift is made up by nudging the follower's playbackRate (inaudible, no stall);
// a large one (a stall, a slow seek) by seeking.
//
// A move is watched side by side: shown apart (A where the stretch was, B where it is now), Play
// plays both through the stretch from their own places, B kept to A's pace, and stops at its end.
// The players show the frame at the playhead before any Play: no poster hides it.
//
// Every seek lands on a frame (shared/frames.js): each player is sent to the middle of the frame its
// time names, an instant's frame on screen, or for a difference's start (an edge) the frame that
// begins at the nearest boundary; the playhead then stands where the leading player is. Paused,
// the playhead is where the frame the leader presented is, not where its clock had run on to.

import { has, pace, pairAt, positionFrom, timeOn } from "./axis.js";
import { frameAt, frameMiddle, rateOf, seekTime, shownInstant, shownTime, watchPresentedFrames } from "../shared/frames.js";

const SYNC_INTERVAL_MS = 50;
const SEEK_DRIFT_S = 0.3; // drift past this: seek the follower
const NUDGE_DRIFT_S = 0.015; // drift under this: leave the follower's rate alone
const CATCH_UP_S = 0.5; // a drift is made up over about this long of playback…
const MAX_NUDGE = 0.25; // …changing the follower's rate by at most a quarter
const WAIT_TOLERANCE_S = 0.1; // a waiting player this far from its spot is moved there

export function startSync(root, config, axis, ui) {
  const media = {
    a: root.querySelector('video[data-player="a"]'),
    b: root.querySelector('video[data-player="b"]'),
  };
  let playing = false;
  let baseRate = 1;
  let position = 0;
  let timer = null;
  // Each player at a time of its own, off the alignment (both places of a move), until the next
  // seek: {a, b} times, or null. With `ends` ({a, b}), Play plays both through to them (the move).
  let apart = null;
  // Told of every change the person makes through the page (a live session's presenter sends them;
  // a follower who makes one steps out): "play", "pause", "seek", "rate".
  const listeners = new Set();
  const changed = (kind) => listeners.forEach((listener) => listener(kind));

  function leader(pair) {
    return has(axis, "a", pair) ? "a" : "b";
  }

  function leaderTime(side) {
    // A video that has ended stands at the end of its last clip, whatever its last frame's time
    // says (a file may end a few milliseconds before the clip its duration gave).
    return media[side].ended ? Number.POSITIVE_INFINITY : media[side].currentTime;
  }

  function play(side) {
    const started = media[side].play();
    if (started) {
      started.catch(() => {}); // refused (no user gesture yet) or interrupted by a pause: stays paused
    }
  }

  function aim(side, time, edge = false) {
    // The middle of the frame `time` names on `side`, kept inside the file.
    const target = seekTime(time, rateOf(media[side]), { edge });
    const duration = media[side].duration;
    return Number.isFinite(duration) && target > duration ? Math.max(time, 0) : target;
  }

  function place(side, target, edge = false) {
    // Move a player to its spot, as for a seek: the frame its time names, at that frame's middle.
    media[side].playbackRate = baseRate;
    const time = aim(side, target.time, edge);
    if (Math.abs(media[side].currentTime - time) > 0.0005) {
      media[side].currentTime = time;
    }
  }

  function shownLeaderTime(side) {
    // Paused or pausing, the frame the leader presented (its clock may have run a frame ahead).
    return media[side].ended ? Number.POSITIVE_INFINITY : shownTime(media[side]);
  }

  function follow(side, target, pacing = 1) {
    // `pacing`: the follower's speed against the leader's where B plays a stretch faster or slower.
    const video = media[side];
    const steady = baseRate * pacing;
    if (target.waiting) {
      if (!video.paused) {
        video.pause();
      }
      if (!video.seeking && Math.abs(video.currentTime - target.time) > WAIT_TOLERANCE_S) {
        video.currentTime = aim(side, target.time, true); // where it waits is an edge
      }
      return;
    }
    if (video.paused && !video.ended) {
      play(side);
    }
    if (video.seeking) {
      return;
    }
    const drift = video.currentTime - target.time;
    if (Math.abs(drift) > SEEK_DRIFT_S) {
      video.playbackRate = steady;
      video.currentTime = target.time;
    } else if (Math.abs(drift) > NUDGE_DRIFT_S) {
      const nudge = Math.min(Math.max(-drift / CATCH_UP_S, -MAX_NUDGE), MAX_NUDGE);
      video.playbackRate = steady * (1 + nudge);
    } else if (video.playbackRate !== steady) {
      video.playbackRate = steady;
    }
  }

  function tick() {
    if (!playing) {
      return;
    }
    const before = pairAt(axis, position);
    const side = leader(before);
    let { pair, position: next } = positionFrom(axis, side, leaderTime(side));
    if (pair > before + 1 && !has(axis, side, before + 1)) {
      // The leader played past the end of its clip into what only the other video has (the pairs
      // skipped have no clip on its side): the position stops where that stretch starts, and the
      // leader waits there while the other video plays it.
      next = axis.starts[before + 1];
    }
    position = Math.min(Math.max(next, 0), axis.total);
    const now = pairAt(axis, position);
    const newLeader = leader(now);
    for (const name of ["a", "b"]) {
      const target = timeOn(axis, name, position);
      if (name === newLeader && name === side) {
        if (media[name].playbackRate !== baseRate) {
          media[name].playbackRate = baseRate;
        }
        if (media[name].paused && !media[name].ended) {
          play(name);
        }
      } else {
        follow(name, target, pace(axis, name, now) / pace(axis, newLeader, now));
      }
    }
    const atEnd = position >= axis.total - 0.05 && media.a.paused && media.b.paused;
    if (atEnd || (media.a.ended && media.b.ended)) {
      pause();
    }
    ui.show(position, { playing });
  }

  function seek(to, { edge = false, exact = null } = {}) {
    // `edge`: `to` is where a difference starts, so each player shows the frame beginning there.
    // `exact`: the side whose frame `to` names (a note's, a comment's), by default the leader.
    apart = null;
    position = Math.min(Math.max(to, 0), Math.max(axis.total - 0.001, 0));
    const pair = pairAt(axis, position);
    const side = exact && !timeOn(axis, exact, position).waiting ? exact : leader(pair);
    const leading = timeOn(axis, side, position);
    let onFrame = false; // the playhead moved onto the middle of the leader's frame
    if (!leading.waiting) {
      // The playhead where the leader's frame is shown: a note or a comment made now is on it.
      const landed = positionFrom(axis, side, aim(side, leading.time, edge)).position;
      if (pairAt(axis, landed) === pair) {
        position = Math.min(Math.max(landed, 0), Math.max(axis.total - 0.001, 0));
        onFrame = true;
      }
    }
    for (const name of ["a", "b"]) {
      const target = timeOn(axis, name, position);
      // The times of a playhead moved onto a frame are instants; a waiting player's spot is an edge.
      place(name, target, edge && (target.waiting || (name === side && !onFrame)));
      if (playing) {
        if (target.waiting) {
          media[name].pause();
        } else {
          play(name);
        }
      }
    }
    ui.show(position, { playing });
  }

  function startApart() {
    // Both from their own places; B follows A at the move's own pace (1, unless its length changed).
    playing = true;
    for (const name of ["a", "b"]) {
      media[name].playbackRate = baseRate;
      play(name);
    }
    window.clearInterval(timer);
    timer = window.setInterval(tickApart, SYNC_INTERVAL_MS);
    ui.show(position, { playing, apart });
  }

  function tickApart() {
    if (!playing) {
      return;
    }
    if (!apart?.ends) {
      // Sought elsewhere while the move played: playback goes on in step from there.
      window.clearInterval(timer);
      timer = window.setInterval(tick, SYNC_INTERVAL_MS);
      return;
    }
    const { ends } = apart;
    const span = { a: ends.a - apart.from.a, b: ends.b - apart.from.b };
    const pacing = span.a > 0 ? span.b / span.a : 1;
    const aTime = media.a.currentTime;
    follow("b", { time: apart.from.b + (aTime - apart.from.a) * pacing, waiting: false }, pacing);
    apart = { ...apart, a: aTime, b: media.b.currentTime };
    position = positionFrom(axis, "a", Math.min(aTime, ends.a), "end").position;
    if (aTime >= ends.a - 0.02 || media.a.ended || media.b.currentTime >= ends.b - 0.02) {
      // Through the stretch: both stop at its end, still apart; the next Play goes on in step.
      stopApart();
      apart = { a: media.a.currentTime, b: media.b.currentTime };
    }
    ui.show(position, { playing, apart });
  }

  function stopApart() {
    playing = false;
    window.clearInterval(timer);
    timer = null;
    media.a.pause();
    media.b.pause();
    media.b.playbackRate = baseRate;
  }

  function start() {
    if (apart?.ends) {
      startApart();
      return;
    }
    if (position >= axis.total - 0.05) {
      position = 0; // played to the end: Play starts again
    }
    playing = true;
    seek(position);
    window.clearInterval(timer);
    timer = window.setInterval(tick, SYNC_INTERVAL_MS);
    ui.show(position, { playing });
  }

  function pause() {
    if (apart?.ends) {
      // Paused inside a move: both stay where they are, and Play goes on through it.
      stopApart();
      apart = { ...apart, a: media.a.currentTime, b: media.b.currentTime };
      ui.show(position, { playing, apart });
      return;
    }
    playing = false;
    window.clearInterval(timer);
    timer = null;
    media.a.pause();
    media.b.pause();
    // Paused, the two pictures show the same moment exactly: the frame the leader was showing.
    const side = leader(pairAt(axis, position));
    seek(positionFrom(axis, side, shownLeaderTime(side)).position);
  }

  function showApart(to, times, ends = null) {
    // Paused, at position `to` for the timeline, each player at its own time in `times`. With
    // `ends`, Play plays both through to them (a move); without, Play goes on in step from `to`.
    if (playing) {
      pause();
    }
    seek(to);
    apart = { a: timeOn(axis, "a", position).time, b: timeOn(axis, "b", position).time, ...times };
    if (ends) {
      apart = { ...apart, from: { a: apart.a, b: apart.b }, ends };
    }
    for (const name of ["a", "b"]) {
      // A move's two places are edges: the frames that begin there.
      apart[name] = aim(name, apart[name], true);
      place(name, { time: apart[name] });
    }
    ui.show(position, { playing, apart });
  }

  function setRate(rate) {
    baseRate = rate;
    media.a.playbackRate = rate;
    media.b.playbackRate = rate;
  }

  function frameStep(direction) {
    // To the leader's next (or previous) frame from the one it shows.
    if (playing) {
      pause();
    }
    const side = leader(pairAt(axis, position));
    const rate = rateOf(media[side]);
    const shown = frameAt(timeOn(axis, side, position).time, rate);
    seek(positionFrom(axis, side, frameMiddle(Math.max(shown + direction, 0), rate)).position);
  }

  function now(side) {
    // { time, waiting } of `side` at this moment; a side that shows something is at the middle of
    // the frame it presents (the time a note or a comment made now is stored at).
    const target = apart ? { time: apartNow()[side], waiting: false } : timeOn(axis, side, position);
    return target.waiting ? target : { time: shownInstant(media[side]), waiting: false };
  }

  function showFrameAtPlayhead(name) {
    // A poster would stand in for the frame until Play: without it, and moved to its time once the
    // file says how long it is, each player shows the picture at the playhead while paused.
    media[name].removeAttribute("poster");
    const placeAtPlayhead = () => {
      if (!playing) {
        place(name, apart ? { time: apart[name] } : timeOn(axis, name, position));
      }
    };
    if (media[name].readyState >= HTMLMediaElement.HAVE_METADATA) {
      placeAtPlayhead();
    } else {
      media[name].addEventListener("loadedmetadata", placeAtPlayhead, { once: true });
    }
  }

  for (const name of ["a", "b"]) {
    watchPresentedFrames(media[name]);
    showFrameAtPlayhead(name);
    media[name].controls = false; // the one transport drives both
    media[name].addEventListener("click", () => toggle());
    media[name].addEventListener("seeked", () => {
      if (!playing) {
        ui.show(position, { playing, apart });
      }
    });
    media[name].addEventListener("error", () => ui.status(`Video ${name.toUpperCase()} could not be played.`));
  }

  function toggle() {
    playing ? pause() : start();
    changed(playing ? "play" : "pause");
  }

  function livePosition() {
    // The position at this instant, read off the leading player (the tick's is up to a tick old):
    // a live session measures its error against it. Playing a move apart, the position follows A.
    if (playing && apart?.ends) {
      return positionFrom(axis, "a", Math.min(media.a.currentTime, apart.ends.a), "end").position;
    }
    if (!playing || apart) {
      return position;
    }
    const side = leader(pairAt(axis, position));
    const fresh = positionFrom(axis, side, leaderTime(side)).position;
    return Number.isFinite(fresh) ? Math.min(Math.max(fresh, position), axis.total) : position;
  }

  function told(kind, action) {
    return (...args) => {
      const result = action(...args);
      changed(kind);
      return result;
    };
  }

  function apartNow() {
    // Each player's own time while shown apart (a move), read now; null while they go in step.
    if (!apart) {
      return null;
    }
    const live = playing && apart.ends;
    return {
      a: live ? Math.min(media.a.currentTime, apart.ends.a) : apart.a,
      b: live ? Math.min(media.b.currentTime, apart.ends.b) : apart.b,
      ends: apart.ends ?? null,
    };
  }

  return {
    toggle,
    playing: () => playing,
    play: told("play", () => (playing ? undefined : start())),
    pause: told("pause", () => (playing ? pause() : undefined)),
    seek: told("seek", seek),
    showApart: told("seek", showApart),
    step: told("seek", (seconds) => seek(position + seconds)),
    frameStep: told("seek", frameStep),
    setRate: told("rate", setRate),
    rate: () => baseRate,
    position: () => position,
    livePosition,
    apart: apartNow,
    now,
    onChange: (listener) => listeners.add(listener),
    // A live session's follower moves the transport without telling itself: no change is reported.
    quietly: {
      play: () => (playing ? undefined : start()),
      pause: () => (playing ? pause() : undefined),
      seek,
      showApart,
      setRate,
    },
    media,
  };
}
