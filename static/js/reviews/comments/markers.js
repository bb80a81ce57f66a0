// Comment markers on the page's timeline: the compare timeline's `data-timeline-comments` lane, or
// on a video page a thin lane of their own under the player. A marker is a button (a speech-bubble
// shape, apart from the differences' bars and the notes' triangles) named "Comment by Ana at
// 00:04.6 on B"; pressing it seeks that side's player there. Resolved comments are drawn faint.

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

export function drawCommentMarkers(lane, comments, { players, label, seek }) {
  if (!lane) {
    return;
  }
  const markers = comments.map((comment) => {
    const marker = document.createElement("button");
    marker.type = "button";
    marker.className = `timeline-comment-mark timeline-comment-mark-${comment.side}`;
    marker.classList.toggle("is-resolved", Boolean(comment.resolved));
    marker.dataset.commentMarker = String(comment.id);
    marker.style.left = `${(100 * players.fraction(comment.side, comment.start)).toFixed(3)}%`;
    const name = label(comment);
    marker.setAttribute("aria-label", name);
    marker.title = `${name}: ${comment.body.slice(0, 80)}`;
    marker.addEventListener("click", (event) => {
      // The timeline's own click would seek to the pointer: the comment's moment is exact.
      event.stopPropagation();
      seek(comment);
    });
    // A press here is not the start of a scrub on the bar under it.
    marker.addEventListener("pointerdown", (event) => event.stopPropagation());
    return marker;
  });
  lane.replaceChildren(...markers);
}
