// The comparison page: two players with one transport, kept in step through the alignment, on one
// timeline of the differences.
//
// The timeline's axis is the alignment itself: aligned clip pairs one after another, each as long
// as its clip (A's when A has one there, else B's). A stretch only B has therefore takes room on the
// timeline, and the two videos meet again after it. Playback follows that axis: where both videos
// have a clip, A leads and B follows; inside a stretch only B has, A waits (paused where the
// stretch sits in A) while B plays it through, then both go on together; the same the other way
// round for a stretch only A has. Seeking, the keyboard and the difference list all move a position
// on this axis, and each player goes to its own time for it.
//
// Drift: every SYNC_INTERVAL_MS the follower's time is compared with where the alignment says it
// should be. A small drift is made up by nudging the follower's playbackRate (inaudible, no stall);
// a large one (a stall, a slow seek) by seeking.
//
// Threshold: while the slider moves, the API judges the comparison at that threshold without
// saving (debounced, stale requests aborted) and the markers, list, counts and similarity follow;
// on release the threshold is kept (PATCH), which also brings back the written summary.
//
// Everything starts from the payload embedded in the page (#compare-data), the shape the API
// returns. Without JavaScript the page keeps both native players, the list and the exports.

const SYNC_INTERVAL_MS = 50;
const SEEK_DRIFT_S = 0.3; // drift past this: seek the follower
const NUDGE_DRIFT_S = 0.015; // drift under this: leave the follower's rate alone
const CATCH_UP_S = 0.5; // a drift is made up over about this long of playback…
const MAX_NUDGE = 0.25; // …changing the follower's rate by at most a quarter
const WAIT_TOLERANCE_S = 0.1; // a waiting player this far from its spot is moved there
const THRESHOLD_DEBOUNCE_MS = 100;
const PREVIOUS_GRACE_S = 0.5; // "previous difference" inside one just started goes to the one before
const DEFAULT_CLIP_S = 2;

const root = document.querySelector("[data-compare-page]");

function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

// ---- formatting (the server's `clock`, with tenths for the live times) ---------------------------

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  const pad = (value) => String(value).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${pad(minutes)}:${pad(secs)}`;
}

function preciseClock(seconds) {
  const tenths = Math.floor(Math.max(0, seconds) * 10) % 10;
  return `${clock(seconds)}.${tenths}`;
}

function spanText(start, end) {
  if (start === null || end === null || start === undefined || end === undefined) {
    return "—";
  }
  return end <= start ? `at ${clock(start)}` : `${clock(start)}–${clock(end)}`;
}

function plural(count, unit) {
  return count === 1 ? `1 ${unit}` : `${count} ${unit}s`;
}

// ---- the aligned axis ----------------------------------------------------------------------------

function clipLengths(times, duration) {
  // A clip lasts until the next clip of the same video starts; the last one until the video ends.
  const lengths = new Array(times.length).fill(0);
  let next = null;
  for (let index = times.length - 1; index >= 0; index -= 1) {
    const start = times[index];
    if (start === null) {
      continue;
    }
    const end = next ?? (duration > start ? duration : start + DEFAULT_CLIP_S);
    lengths[index] = Math.max(end - start, 0.04);
    next = start;
  }
  return lengths;
}

function waitPoints(times, lengths) {
  // Where a video waits during a pair it has no clip for: the end of its clip before, or, before
  // its first clip, the start of that clip.
  const points = new Array(times.length).fill(0);
  let point = times.find((time) => time !== null) ?? 0;
  for (let index = 0; index < times.length; index += 1) {
    if (times[index] !== null) {
      point = times[index] + lengths[index];
    } else {
      points[index] = point;
    }
  }
  return points;
}

function buildAxis(curve, durationA, durationB) {
  const side = (times, duration) => {
    const lengths = clipLengths(times, duration);
    return {
      times,
      lengths,
      waits: waitPoints(times, lengths),
      present: times.flatMap((time, index) => (time === null ? [] : [index])),
    };
  };
  const sides = { a: side(curve.a_time, durationA), b: side(curve.b_time, durationB) };
  const count = curve.a_time.length;
  const starts = new Array(count);
  const lengths = new Array(count);
  let total = 0;
  for (let index = 0; index < count; index += 1) {
    starts[index] = total;
    lengths[index] = curve.a_time[index] !== null ? sides.a.lengths[index] : sides.b.lengths[index];
    total += lengths[index];
  }
  return { count, starts, lengths, total, sides };
}

function has(axis, side, pair) {
  return axis.sides[side].times[pair] !== null;
}

function pairAt(axis, position) {
  // The last pair starting at or before `position`.
  let low = 0;
  let high = axis.count - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (axis.starts[middle] <= position) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

function presentPairAt(axis, side, seconds) {
  // The pair whose clip on `side` holds `seconds` (its last clip starting at or before it).
  const { present, times } = axis.sides[side];
  let low = 0;
  let high = present.length - 1;
  let found = present.length ? present[0] : 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (times[present[middle]] <= seconds) {
      found = present[middle];
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

function positionFrom(axis, side, seconds) {
  const pair = presentPairAt(axis, side, seconds);
  const { times, lengths } = axis.sides[side];
  const into = Math.min(Math.max(seconds - times[pair], 0), lengths[pair]);
  return { pair, position: axis.starts[pair] + (into * axis.lengths[pair]) / lengths[pair] };
}

function timeOn(axis, side, position) {
  // Where `side` should be at `position`: a time in its clip, or the spot where it waits.
  const pair = pairAt(axis, position);
  const { times, lengths, waits } = axis.sides[side];
  if (times[pair] === null) {
    return { time: waits[pair], waiting: true };
  }
  const fraction = Math.min(Math.max((position - axis.starts[pair]) / axis.lengths[pair], 0), 1);
  return { time: times[pair] + fraction * lengths[pair], waiting: false };
}

function segmentRange(axis, segment) {
  const last = Math.min(segment.last_pair, axis.count - 1);
  return { start: axis.starts[segment.first_pair] ?? 0, end: axis.starts[last] + axis.lengths[last] };
}

// ---- the two players -------------------------------------------------------------------------------

function startSync(config, state, ui) {
  const media = {
    a: root.querySelector('video[data-player="a"]'),
    b: root.querySelector('video[data-player="b"]'),
  };
  const axis = state.axis;
  let playing = false;
  let baseRate = 1;
  let position = 0;
  let timer = null;

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

  function place(side, target) {
    // Move a player to its spot, as for a seek (its own, exact).
    media[side].playbackRate = baseRate;
    if (Math.abs(media[side].currentTime - target.time) > 0.001) {
      media[side].currentTime = target.time;
    }
  }

  function follow(side, target) {
    const video = media[side];
    if (target.waiting) {
      if (!video.paused) {
        video.pause();
      }
      if (!video.seeking && Math.abs(video.currentTime - target.time) > WAIT_TOLERANCE_S) {
        video.currentTime = target.time;
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
      video.playbackRate = baseRate;
      video.currentTime = target.time;
    } else if (Math.abs(drift) > NUDGE_DRIFT_S) {
      const nudge = Math.min(Math.max(-drift / CATCH_UP_S, -MAX_NUDGE), MAX_NUDGE);
      video.playbackRate = baseRate * (1 + nudge);
    } else if (video.playbackRate !== baseRate) {
      video.playbackRate = baseRate;
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
        follow(name, target);
      }
    }
    const atEnd = position >= axis.total - 0.05 && media.a.paused && media.b.paused;
    if (atEnd || (media.a.ended && media.b.ended)) {
      pause();
    }
    ui.show(position, { playing });
  }

  function seek(to) {
    position = Math.min(Math.max(to, 0), Math.max(axis.total - 0.001, 0));
    for (const name of ["a", "b"]) {
      const target = timeOn(axis, name, position);
      place(name, target);
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

  function start() {
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
    playing = false;
    window.clearInterval(timer);
    timer = null;
    media.a.pause();
    media.b.pause();
    // Paused, the two pictures show the same moment exactly.
    const side = leader(pairAt(axis, position));
    seek(positionFrom(axis, side, leaderTime(side)).position);
  }

  function setRate(rate) {
    baseRate = rate;
    media.a.playbackRate = rate;
    media.b.playbackRate = rate;
  }

  function frameStep(direction) {
    if (playing) {
      pause();
    }
    const side = leader(pairAt(axis, position));
    seek(position + direction / (config[side].fps || 25));
  }

  for (const name of ["a", "b"]) {
    media[name].controls = false; // the one transport drives both
    media[name].addEventListener("click", () => (playing ? pause() : start()));
    media[name].addEventListener("seeked", () => {
      if (!playing) {
        ui.show(position, { playing });
      }
    });
    media[name].addEventListener("error", () => ui.status(`Video ${name.toUpperCase()} could not be played.`));
  }

  return {
    toggle: () => (playing ? pause() : start()),
    seek,
    step: (seconds) => seek(position + seconds),
    frameStep,
    setRate,
    position: () => position,
    media,
  };
}

// ---- what the page shows ---------------------------------------------------------------------------

function countsText(counts, words) {
  // The server's `counts_text`, word for word.
  const kinds = Object.keys(words);
  const total = kinds.reduce((sum, kind) => sum + (counts[kind] || 0), 0);
  if (!total) {
    return "No differences at this threshold.";
  }
  const parts = kinds.filter((kind) => counts[kind]).map((kind) => `${counts[kind]} ${words[kind]}`);
  return `${plural(total, "difference")}: ${parts.join(", ")}.`;
}

function differenceLabel(segment, labels) {
  const severity = segment.severity ? `, ${segment.severity} severity` : "";
  return `${labels[segment.kind]}${severity}: A ${spanText(segment.a_start, segment.a_end)}, B ${spanText(segment.b_start, segment.b_end)}`;
}

function swatch(segment) {
  const element = document.createElement("span");
  element.className = `legend-swatch marker-${segment.kind}${segment.severity ? ` severity-${segment.severity}` : ""}`;
  element.setAttribute("aria-hidden", "true");
  return element;
}

function differenceItem(segment, number, changes, labels, badges) {
  const item = document.createElement("li");
  item.className = `difference difference-${segment.kind}`;
  item.dataset.difference = String(number);
  const main = document.createElement("button");
  main.type = "button";
  main.className = "difference-main";
  main.dataset.seekDifference = String(number);
  const kind = document.createElement("span");
  kind.className = "difference-kind";
  kind.append(swatch(segment), labels[segment.kind]);
  main.append(kind);
  if (segment.severity) {
    const badge = document.createElement("span");
    badge.className = `badge ${badges[segment.severity] || ""}`;
    badge.textContent = segment.severity;
    main.append(" ", badge);
  }
  const times = document.createElement("span");
  times.className = "difference-times";
  const onA = document.createElement("span");
  onA.textContent = `A ${spanText(segment.a_start, segment.a_end)}`;
  const onB = document.createElement("span");
  onB.textContent = `B ${spanText(segment.b_start, segment.b_end)}`;
  times.append(onA, " ", onB);
  main.append(" ", times);
  item.append(main);
  const words = changes[String(number)];
  if (words && (words.removed.length || words.added.length)) {
    // Built from text nodes: transcript words are untrusted.
    const paragraph = document.createElement("p");
    paragraph.className = "difference-words";
    for (const [who, list, tag] of [["A", words.removed, "del"], ["B", words.added, "ins"]]) {
      if (!list.length) {
        continue;
      }
      const part = document.createElement("span");
      const changed = document.createElement(tag);
      changed.textContent = list.join(" ");
      part.append(`${who} says `, changed);
      paragraph.append(part, " ");
    }
    item.append(paragraph);
  }
  return item;
}

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

function setUpPage(config, initial) {
  const labels = config.kind_labels;
  const axis = buildAxis(initial.curve, config.a.duration, config.b.duration);
  const state = { axis, data: initial, current: -1, only: "" };
  const bar = root.querySelector("[data-timeline-bar]");
  const markers = root.querySelector("[data-timeline-markers]");
  const playhead = root.querySelector("[data-timeline-playhead]");
  const list = root.querySelector("[data-differences]");
  const statusLine = root.querySelector("[data-sync-status]");
  const playButton = root.querySelector("[data-play]");
  const playLabel = root.querySelector("[data-play-label]");
  const times = { a: root.querySelector('[data-time="a"]'), b: root.querySelector('[data-time="b"]') };
  const percent = (value) => `${axis.total ? (100 * value) / axis.total : 0}%`;

  const ui = {
    show(position, { playing }) {
      playhead.style.left = percent(position);
      for (const side of ["a", "b"]) {
        const target = timeOn(axis, side, position);
        times[side].textContent = target.waiting ? `waits at ${preciseClock(target.time)}` : preciseClock(target.time);
      }
      const pair = pairAt(axis, position);
      const only = !has(axis, "a", pair) ? "b" : !has(axis, "b", pair) ? "a" : "";
      if (only !== state.only) {
        // Said once when it changes (the line is a live region), not at every tick.
        state.only = only;
        statusLine.textContent = only ? `Only ${only.toUpperCase()} has this stretch: ${only === "a" ? "B" : "A"} waits.` : "";
      }
      playButton.setAttribute("aria-label", playing ? "Pause both" : "Play both");
      playLabel.textContent = playing ? "Pause" : "Play";
      markCurrent(position);
    },
    status(message) {
      statusLine.textContent = message;
    },
  };

  function markCurrent(position) {
    const segments = state.data.segments;
    let current = -1;
    segments.forEach((segment, number) => {
      const range = segmentRange(axis, segment);
      if (position >= range.start - 0.001 && position < range.end) {
        current = number;
      }
    });
    if (current === state.current) {
      return;
    }
    state.current = current;
    for (const element of root.querySelectorAll("[data-difference].is-current, .timeline-marker.is-current")) {
      element.classList.remove("is-current");
    }
    if (current >= 0) {
      root.querySelector(`[data-difference="${current}"]`)?.classList.add("is-current");
      markers.querySelector(`[data-marker="${current}"]`)?.classList.add("is-current");
    }
  }

  function drawLanes() {
    // Where each video has content along the axis: a gap in one lane is what only the other has.
    for (const side of ["a", "b"]) {
      const lane = document.createElement("div");
      lane.className = `timeline-lane timeline-lane-${side}`;
      lane.setAttribute("aria-hidden", "true");
      let runStart = null;
      for (let pair = 0; pair <= axis.count; pair += 1) {
        const present = pair < axis.count && has(axis, side, pair);
        if (present && runStart === null) {
          runStart = pair;
        } else if (!present && runStart !== null) {
          const piece = document.createElement("span");
          piece.style.left = percent(axis.starts[runStart]);
          piece.style.width = percent(axis.starts[pair - 1] + axis.lengths[pair - 1] - axis.starts[runStart]);
          lane.append(piece);
          runStart = null;
        }
      }
      const name = document.createElement("span");
      name.className = "timeline-lane-name";
      name.textContent = side.toUpperCase();
      lane.append(name);
      bar.insertBefore(lane, markers);
    }
  }

  function render(data) {
    state.data = data;
    state.current = -1;
    markers.replaceChildren(
      ...data.segments.map((segment, number) => {
        const range = segmentRange(axis, segment);
        const marker = document.createElement("button");
        marker.type = "button";
        marker.className = `timeline-marker marker-${segment.kind}${segment.severity ? ` severity-${segment.severity}` : ""}`;
        marker.dataset.marker = String(number);
        marker.style.left = percent(range.start);
        marker.style.width = percent(range.end - range.start);
        marker.setAttribute("aria-label", differenceLabel(segment, labels));
        marker.title = differenceLabel(segment, labels);
        if (segment.kind === "only_a" || segment.kind === "only_b") {
          const text = document.createElement("span");
          text.className = "timeline-marker-text";
          text.textContent = labels[segment.kind];
          marker.append(text);
        }
        return marker;
      }),
    );
    list.replaceChildren(
      ...data.segments.map((segment, number) => differenceItem(segment, number, data.word_changes || {}, labels, config.severity_badges)),
    );
    root.querySelector('[data-field="counts"]').textContent = countsText(data.counts, config.count_words);
    root.querySelector('[data-field="similarity"]').textContent = `${Math.round(data.similarity)} %`;
    const summary = root.querySelector('[data-field="summary"]');
    summary.textContent = data.summary || "The summary describes a kept threshold: let go of the slider to keep this one.";
    markCurrent(player.position());
  }

  function drawCurve(threshold) {
    const scale = config.slider_max || 1;
    for (const name of ["visual", "audio"]) {
      root.querySelector(`[data-curve-line="${name}"]`).setAttribute("d", curvePath(state.data.curve[name], axis, scale));
    }
    const line = root.querySelector("[data-curve-threshold]");
    const y = (100 - Math.min(threshold / scale, 1) * 100).toFixed(2);
    line.setAttribute("y1", y);
    line.setAttribute("y2", y);
  }

  const player = startSync(config, state, ui);

  function seekToDifference(number) {
    const segment = state.data.segments[number];
    if (segment) {
      player.seek(segmentRange(axis, segment).start);
    }
  }

  function jump(direction) {
    const position = player.position();
    const starts = state.data.segments.map((segment) => segmentRange(axis, segment).start);
    let target = -1;
    if (direction > 0) {
      target = starts.findIndex((start) => start > position + 0.01);
    } else {
      starts.forEach((start, number) => {
        if (start < position - PREVIOUS_GRACE_S) {
          target = number;
        }
      });
    }
    if (target >= 0) {
      seekToDifference(target);
    } else {
      ui.status(direction > 0 ? "No difference after this point." : "No difference before this point.");
    }
  }

  // -- timeline: hover previews from the sprites, a click seeks --
  const hover = root.querySelector("[data-timeline-hover]");

  function positionAtPointer(event) {
    const box = bar.getBoundingClientRect();
    const fraction = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    return { position: fraction * axis.total, x: event.clientX - box.left, width: box.width };
  }

  function showTile(side, position) {
    const tile = hover.querySelector(`[data-tile="${side}"]`);
    const caption = hover.querySelector(`[data-tile-time="${side}"]`);
    const target = timeOn(axis, side, position);
    const meta = config[side].sprite;
    caption.textContent = `${side.toUpperCase()} ${target.waiting ? "—" : clock(target.time)}`;
    tile.classList.toggle("is-absent", target.waiting);
    if (!config[side].sprite_url || !meta.count) {
      tile.hidden = true;
      return;
    }
    const index = Math.min(Math.floor(target.time / meta.interval), meta.count - 1);
    const column = index % meta.columns;
    const row = Math.floor(index / meta.columns);
    tile.hidden = false;
    tile.style.width = `${meta.tile_width}px`;
    tile.style.height = `${meta.tile_height}px`;
    tile.style.backgroundImage = `url("${config[side].sprite_url}")`;
    tile.style.backgroundPosition = `-${column * meta.tile_width}px -${row * meta.tile_height}px`;
  }

  bar.addEventListener("pointermove", (event) => {
    const { position, x, width } = positionAtPointer(event);
    showTile("a", position);
    showTile("b", position);
    hover.hidden = false;
    const half = hover.offsetWidth / 2;
    hover.style.left = `${Math.min(Math.max(x, half), width - half)}px`;
  });
  bar.addEventListener("pointerleave", () => {
    hover.hidden = true;
  });
  bar.addEventListener("click", (event) => {
    const marker = event.target.closest("[data-marker]");
    if (marker) {
      seekToDifference(Number(marker.dataset.marker));
      return;
    }
    player.seek(positionAtPointer(event).position);
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seek-difference]");
    if (button) {
      seekToDifference(Number(button.dataset.seekDifference));
    }
  });

  // -- transport --
  playButton.addEventListener("click", () => player.toggle());
  for (const button of root.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => player.step(Number(button.dataset.step)));
  }
  for (const button of root.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", () => jump(button.dataset.jump === "next" ? 1 : -1));
  }
  root.querySelector("[data-speed]").addEventListener("change", (event) => player.setRate(Number(event.target.value)));
  for (const button of root.querySelectorAll("[data-mute]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const video = player.media[button.dataset.mute];
      video.muted = !video.muted;
      button.setAttribute("aria-pressed", String(video.muted));
    });
  }

  // -- keyboard --
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      return; // the slider, the speed and any text field keep their own keys
    }
    const onControl = Boolean(target.closest("button, a, summary"));
    const actions = {
      " ": () => player.toggle(),
      ArrowLeft: () => player.step(-1),
      ArrowRight: () => player.step(1),
      ",": () => player.frameStep(-1),
      ".": () => player.frameStep(1),
      n: () => jump(1),
      p: () => jump(-1),
    };
    const action = actions[event.key];
    if (!action || (event.key === " " && onControl)) {
      return; // Space on a button presses that button
    }
    event.preventDefault();
    action();
  });

  // -- threshold --
  const thresholdStatus = root.querySelector("[data-threshold-status]");
  setUpThreshold(config, {
    render,
    drawCurve,
    status: (text) => {
      thresholdStatus.textContent = text;
    },
  });

  drawLanes();
  render(initial);
  drawCurve(initial.threshold);
  ui.show(0, { playing: false });
  root.querySelector("[data-timeline]").hidden = false;
  root.querySelector("[data-transport]").hidden = false;
  root.querySelector("[data-needs-js]").hidden = true;
}

// ---- the threshold slider ----------------------------------------------------------------------------

function setUpThreshold(config, view) {
  const slider = root.querySelector("[data-threshold]");
  const output = root.querySelector("[data-threshold-value]");
  const csrfToken = root.dataset.csrfToken;
  let debounce = null;
  let judging = null; // the AbortController of the GET in flight
  let keeping = false; // a PATCH is in flight…
  let keepNext = null; // …and this threshold is to be kept after it
  let latest = Number(output.textContent); // the kept threshold (the slider may round it to a step)

  async function send(method, threshold, signal) {
    const response = await fetch(
      method === "GET" ? `${config.api_url}?threshold=${encodeURIComponent(threshold)}` : config.api_url,
      {
        method,
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          ...(method === "PATCH" ? { "Content-Type": "application/json", "X-CSRFToken": csrfToken } : {}),
        },
        body: method === "PATCH" ? JSON.stringify({ threshold }) : undefined,
        signal,
      },
    );
    if (!response.ok) {
      throw new Error(`The server answered ${response.status}.`);
    }
    return response.json();
  }

  function show(data, threshold, message) {
    if (threshold === latest) {
      view.render(data); // an answer for a value the slider has left since is not shown
      view.status(message);
    }
  }

  function failed(error) {
    if (error.name !== "AbortError") {
      view.status("The threshold could not be applied; try again.");
    }
  }

  async function judge(threshold) {
    // Judged without saving. A newer value makes an older request moot: it is aborted.
    judging?.abort();
    const controller = new AbortController();
    judging = controller;
    try {
      show(await send("GET", threshold, controller.signal), threshold, "");
    } catch (error) {
      failed(error);
    }
  }

  async function keep(threshold) {
    // Kept one PATCH at a time: aborting one would not stop the server from applying it, perhaps
    // after a later one, so a newer value waits for the one in flight instead.
    if (keeping) {
      keepNext = threshold;
      return;
    }
    keeping = true;
    judging?.abort();
    try {
      show(await send("PATCH", threshold), threshold, "Kept.");
    } catch (error) {
      failed(error);
    }
    keeping = false;
    if (keepNext !== null) {
      const next = keepNext;
      keepNext = null;
      keep(next);
    }
  }

  // Steps are fractions of a round threshold; their float sums are not (0.052500000000000005).
  const readSlider = () => Number(Number(slider.value).toPrecision(6));

  slider.disabled = false;
  slider.addEventListener("input", () => {
    latest = readSlider();
    output.textContent = String(latest);
    view.drawCurve(latest);
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => judge(latest), THRESHOLD_DEBOUNCE_MS);
  });
  slider.addEventListener("change", () => {
    latest = readSlider();
    window.clearTimeout(debounce);
    keep(latest);
  });
}

const config = readJson("compare-config");
const initial = readJson("compare-data");
// Both players and at least one aligned pair, or there is nothing to drive (the page stays as served).
if (root && config && initial?.curve.a_time.length && root.querySelectorAll("video[data-player]").length === 2) {
  setUpPage(config, initial);
}
