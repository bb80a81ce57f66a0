// A note as the notes API gives it: `text` (what I wrote: edited and filtered as text), `html` (the
// server's rendering of a safe Markdown subset, sanitised there), start/end in seconds with their
// labels, and `ai_status` while the AI writes it.

export const PENDING_AI = new Set(["waiting", "generating"]);

export function hasEnd(note) {
  return note.end !== null && note.end !== undefined;
}

export function timeLabel(note) {
  return hasEnd(note) ? `${note.start_label}–${note.end_label}` : note.start_label;
}

export function byTime(first, second) {
  return first.start - second.start || first.id - second.id;
}

export function matches(note, query) {
  return !query || note.text.toLowerCase().includes(query);
}
