"""Notes as files to keep: Markdown to read (and paste anywhere) and JSON for programs.

Markdown: `# <video title>`, then one list item per note, `- [mm:ss](<site>/videos/<id>/?t=<seconds>) text`:
the link opens our player at the note. A YouTube video's notes also link to the moment on YouTube,
right after ours: `([YouTube](https://www.youtube.com/watch?v=…&t=…s))`. AI notes are marked
`*(AI note)*`. Notes with nothing to say (an AI note waiting, being written, or failed) are left
out of the Markdown; the JSON has every note, with its state.

Reviewers' comments on a video (made through its share links) are notes' siblings: each video's
Markdown ends with a "## Reviewers' comments" section (replies indented under their comment), and
its JSON has a `comments` list beside `notes`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from notes.models import Note
from notes.serializers import NoteOutput
from sage.formatting import clock_range
from videos.models import Video
from videos.presenters import seconds_attr
from videos.review_comments import ExportedComment, comments_on_videos, exported_comment_dict
from videos.youtube import watch_url
from workspaces.policy import Actor


def _player_url(site: str, video: Video, seconds: float) -> str:
    return f"{site}{reverse('videos:video', args=[video.pk])}?t={seconds_attr(seconds)}"


def _youtube_url(video: Video, seconds: float) -> str:
    return f"{watch_url(video.youtube_id)}&t={math.floor(seconds)}s"


def _label(note: Note) -> str:
    return clock_range(note.start, note.end)


def _has_content(note: Note) -> bool:
    return bool(note.text.strip()) and note.ai_status in (Note.AiStatus.NONE, Note.AiStatus.DONE)


def _note_line(note: Note, video: Video, site: str) -> str:
    parts = [f"- [{_label(note)}]({_player_url(site, video, note.start)})"]
    if video.source == Video.Source.YOUTUBE and video.youtube_id:
        parts.append(f"([YouTube]({_youtube_url(video, note.start)}))")
    if note.ai_generated:
        parts.append("*(AI note)*")
    first, *rest = note.text.strip().splitlines() or [""]
    parts.append(first)
    # Continuation lines are indented to stay inside the list item.
    return "\n".join([" ".join(parts), *(f"  {line}" if line.strip() else "" for line in rest)])


def _heading(video: Video) -> str:
    return "# " + (" ".join(video.title.split()) or f"Video {video.pk}")


def _by_video(notes: Iterable[Note]) -> list[tuple[Video, list[Note]]]:
    """Notes grouped by video (videos by title, then id; notes by time). Notes need `video` loaded."""
    ordered = sorted(notes, key=lambda note: (note.video.title.lower(), note.video_id, note.start, note.pk))
    return [
        (group[0].video, group) for _, grouped in groupby(ordered, key=lambda n: n.video_id) if (group := list(grouped))
    ]


def _comment_lines(video: Video, comments: list[ExportedComment], site: str) -> list[str]:
    """The "Reviewers' comments" section: a list item per comment, its replies indented under it."""
    if not comments:
        return []
    lines = ["", "## Reviewers' comments", ""]
    for comment in comments:
        label = clock_range(comment.start, comment.end, keep_empty=True)
        resolved = " *(resolved)*" if comment.resolved else ""
        body = " ".join(comment.body.split())
        if comment.parent_id is None:
            link = f"[{label}]({_player_url(site, video, comment.start)})"
            lines.append(f"- {link} **{comment.author_name}**{resolved}: {body}")
            if comment.still_path is not None:
                # An image under its list item: Markdown readers show the frame with the drawing.
                at = clock_range(comment.start, None, keep_empty=True)
                lines.append(f"  ![Drawing at {at}]({site}{comment.still_path})")
        else:
            lines.append(f"  - **{comment.author_name}**: {body}")
    return lines


def notes_markdown(notes: Iterable[Note], *, site: str, actor: Actor) -> str:
    """`site` is the scheme and host the links start with, e.g. "https://sage.example"; the reviewers'
    comments are those `actor` sees on each video's page."""
    sections = []
    grouped = _by_video(notes)
    comments = comments_on_videos((video for video, _ in grouped), actor=actor)
    for video, video_notes in grouped:
        lines = [_note_line(note, video, site) for note in video_notes if _has_content(note)]
        extra = _comment_lines(video, comments.get(video.pk, []), site)
        sections.append("\n".join([_heading(video), "", *(lines or ["_No notes yet._"]), *extra]))
    return "\n\n".join(sections) + "\n" if sections else "_No notes yet._\n"


def video_notes_markdown(video: Video, notes: Iterable[Note], *, site: str, actor: Actor) -> str:
    lines = [_note_line(note, video, site) for note in notes if _has_content(note)]
    extra = _comment_lines(video, comments_on_videos([video], actor=actor).get(video.pk, []), site)
    return "\n".join([_heading(video), "", *(lines or ["_No notes yet._"]), *extra]) + "\n"


def _video_json(video: Video, notes: list[Note], site: str, comments: list[ExportedComment]) -> dict[str, Any]:
    return {
        "id": video.pk,
        "title": video.title,
        "source": video.source,
        "youtube_id": video.youtube_id or None,
        "url": f"{site}{reverse('videos:video', args=[video.pk])}",
        "notes": [
            {
                **NoteOutput(note).data,
                "url": _player_url(site, video, note.start),
                **({"youtube_url": _youtube_url(video, note.start)} if video.youtube_id else {}),
            }
            for note in notes
        ],
        "comments": [
            {
                **exported_comment_dict(comment),
                "url": _player_url(site, video, comment.start),
                "still_url": f"{site}{comment.still_path}" if comment.still_path is not None else None,
            }
            for comment in comments
        ],
    }


def notes_json(notes: Iterable[Note], *, site: str, actor: Actor) -> str:
    grouped = _by_video(notes)
    comments = comments_on_videos((video for video, _ in grouped), actor=actor)
    videos = [_video_json(video, video_notes, site, comments.get(video.pk, [])) for video, video_notes in grouped]
    return _dump({"exported_at": timezone.now().isoformat(), "videos": videos})


def video_notes_json(video: Video, notes: Iterable[Note], *, site: str, actor: Actor) -> str:
    comments = comments_on_videos([video], actor=actor).get(video.pk, [])
    return _dump(
        {"exported_at": timezone.now().isoformat(), "videos": [_video_json(video, list(notes), site, comments)]}
    )


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_filename(video: Video | None, extension: str) -> str:
    if video is None:
        return f"sage-notes.{extension}"
    return f"notes-{slugify(video.title)[:60] or 'video'}-{video.pk}.{extension}"
