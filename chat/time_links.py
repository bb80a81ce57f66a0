"""An answer's `[mm:ss]` / `[h:mm:ss]` marks as links to that moment of the video, in the HTML the
server renders (a page before its script runs, or without one): `?t=<seconds>` on the video's page.
static/js/chat/times.js links the marks of answers the page shows or streams the same way, and a
click plays the moment in the page's player instead.

Which video a mark means: the conversation's; in a conversation about the whole library, the video
of the citation the mark points at (its sentence starts within CITATION_SLACK_SECONDS of it), and
no link when none does (the mark alone does not say which video).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chat.answering import CITATION_SLACK_SECONDS, CLOCK_MARK, mark_seconds
from chat.models import Message
from notes.markdown import render_note

# The renderer's HTML as tags and the text between them (raw HTML in a message is escaped, so every
# `<` here opens a tag the renderer wrote).
_TAG = re.compile(r"(<[^>]*>)")
_OPENING = re.compile(r"<(a|code|pre)\b", re.IGNORECASE)
_CLOSING = re.compile(r"</(a|code|pre)\s*>", re.IGNORECASE)


def cited_video_id(seconds: int, citations: Sequence[dict[str, Any]]) -> int | None:
    """The video of the citation a mark at `seconds` points at (the nearest start), if any."""
    best: tuple[float, int] | None = None
    for citation in citations:
        try:
            video_id, start, end = int(citation["video_id"]), float(citation["start"]), float(citation["end"])
        except (KeyError, TypeError, ValueError):
            continue
        # A mark is whole seconds: [00:14] means a start from 14.0 to 14.99 (as chat.answering maps it).
        offset = max(0.0, abs(start - (seconds + 0.5)) - 0.5)
        near = offset <= CITATION_SLACK_SECONDS or start <= seconds <= end
        if near and (best is None or offset < best[0]):
            best = (offset, video_id)
    return best[1] if best is not None else None


def link_times(html: str, *, video_id: int | None, citations: Sequence[dict[str, Any]] = ()) -> SafeString:
    """`html` (safe, as the renderer wrote it) with each mark outside links and code made a link."""

    def link(mark: re.Match[str]) -> str:
        seconds = mark_seconds(mark)
        target = video_id if video_id is not None else cited_video_id(seconds, citations)
        if target is None:
            return mark.group(0)
        url = f"{reverse('videos:video', args=[target])}?t={seconds}"
        return (
            f'<a class="chat-time" href="{escape(url)}" data-video-id="{target}" data-start="{seconds}" '
            f'aria-label="Play from {mark.group(0)[1:-1]}">{mark.group(0)}</a>'
        )

    pieces: list[str] = []
    inside = 0  # depth of links and code the text is in: their text is left as it is
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            inside += 1 if _OPENING.match(piece) else -1 if _CLOSING.match(piece) else 0
            pieces.append(piece)
        else:
            pieces.append(piece if inside > 0 else CLOCK_MARK.sub(link, piece))
    return mark_safe("".join(pieces))  # noqa: S308 -- safe HTML in, links of digits and ids added


def message_html(message: Message, *, video_id: int | None) -> SafeString:
    """A message as a page shows it: an answer's Markdown rendered (its partial text as plain text
    while it streams) with its marks linked; a question's text as typed."""
    streaming = message.status == Message.Status.STREAMING
    html = linebreaksbr(message.content) if streaming else render_note(message.content)
    if message.role != Message.Role.ASSISTANT:
        return html
    return link_times(html, video_id=video_id, citations=message.citations or ())
