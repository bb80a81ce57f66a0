// Comment markers on the page's timeline: the compare timeline's `data-timeline-comments` lane, or
// on a video page a thin lane of their own under the player. A marker is a button (a speech-bubble
// shape, apart from the differences' bars and the notes' triangles) named "Comment by Ana at
// 00:04.6 on B"; pressing it seeks that side's player there. Resolved comments are drawn faint.
// Comments at one place share a marker that counts them ("3 comments from 00:04.6 on B: by …").

export function commentLane(root, players) {
  let lane = root.querySelector("[data-timeline-comments]");
  if (!lane && players.kind === "video") {
    const video = players.video();
    if (!video) {
      return null;
    }
    lane = document.createElement("div");
    lane.className = "comments-lane";
    lane.dataset.timelineComments = "";
    const frame = video.closest(".player-frame") || video;
    frame.after(lane);
  }
  if (!lane) {
    return null;
  }
  // The lane is served hidden from screen readers (empty); with markers in it, it is a group of buttons.
  lane.removeAttribute("aria-hidden");
  lane.setAttribute("role", "group");
  lane.setAttribute("aria-label", "Comments on the timeline");
  return lane;
}

// Markers nearer than this (a fraction of the lane: under a marker's width on a laptop's timeline)
// would be drawn on top of each other, so that several comments look like one: they share one marker
// that says how many.
const SAME_PLACE = 0.008;

function atOnePlace(comments, players) {
  const placed = comments
    .map((comment) => ({ comment, at: players.fraction(comment.side, comment.start) }))
    .sort((one, other) => (one.comment.side === other.comment.side ? one.at - other.at : one.comment.side < other.comment.side ? -1 : 1));
  const groups = [];
  for (const { comment, at } of placed) {
    const last = groups.at(-1);
    if (last && last.side === comment.side && at - last.at <= SAME_PLACE) {
      last.comments.push(comment);
    } else {
      groups.push({ side: comment.side, at, comments: [comment] });
    }
  }
  return groups;
}

export function drawCommentMarkers(lane, comments, { players, label, seek }) {
  if (!lane) {
    return;
  }
  const markers = atOnePlace(comments, players).map(({ side, at, comments: here }) => {
    const [first] = here;
    const marker = document.createElement("button");
    marker.type = "button";
    marker.className = `timeline-comment-mark timeline-comment-mark-${side}`;
    marker.classList.toggle("is-resolved", here.every((comment) => comment.resolved));
    marker.dataset.commentMarker = String(first.id);
    marker.style.left = `${(100 * at).toFixed(3)}%`;
    if (here.length === 1) {
      const name = label(first);
      marker.setAttribute("aria-label", name);
      marker.title = `${name}: ${first.body.slice(0, 80)}`;
    } else {
      // "3 comments from 00:04.6 on B: by Ana, Bo, Cy"; the count is drawn on the marker.
      marker.dataset.count = String(here.length);
      const authors = [...new Set(here.map((comment) => comment.author_name))].join(", ");
      const where = label(first).replace(/^Comment by .*? at /, "");
      marker.setAttribute("aria-label", `${here.length} comments from ${where}: by ${authors}`);
      marker.title = here.map((comment) => `${label(comment)}: ${comment.body.slice(0, 60)}`).join("\n");
    }
    marker.addEventListener("click", (event) => {
      // The timeline's own click would seek to the pointer: the comment's moment is exact.
      event.stopPropagation();
      seek(first);
    });
    // A press here is not the start of a scrub on the bar under it.
    marker.addEventListener("pointerdown", (event) => event.stopPropagation());
    return marker;
  });
  lane.replaceChildren(...markers);
}
