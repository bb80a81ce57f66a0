// The strip under the player with a mark per shown note, placed by time (a range note spans its
// range). Hidden while there are no notes or no duration to place them by.

import { hasEnd, timeLabel } from "./note.js";

export function renderMarks(timeline, shown, { duration, total }) {
  timeline.hidden = !duration || total === 0;
  if (timeline.hidden) {
    timeline.replaceChildren();
    return;
  }
  const percent = (seconds) => `${Math.min(100, Math.max(0, (seconds / duration) * 100))}%`;
  timeline.replaceChildren(
    ...shown.map((note) => {
      const mark = document.createElement("span");
      mark.className = "notes-timeline-mark";
      mark.classList.toggle("notes-timeline-range", hasEnd(note));
      mark.classList.toggle("note-ai", note.ai_generated);
      mark.dataset.noteId = String(note.id);
      mark.style.left = percent(note.start);
      if (hasEnd(note)) {
        mark.style.width = `calc(${percent(note.end)} - ${percent(note.start)})`;
      }
      mark.title = `[${timeLabel(note)}] ${note.text}`.trim();
      return mark;
    }),
  );
}
