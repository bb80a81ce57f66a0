"""`{{ video.summary|summary_with_times }}`: a video's summary as paragraphs (like `linebreaks`),
its `[mm:ss]` / `[h:mm:ss]` marks made links to that moment (`?t=<seconds>`, which reloads the page
there without JavaScript; static/js/video_summary.js seeks the page's player instead)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from sage.formatting import TimeFormatError, parse_time

register = template.Library()

# An extractive summary starts each sentence with its time: "[01:05] The oven is hot."
_MARK = re.compile(r"\[((?:\d{1,3}:)?\d{1,3}:[0-5]\d)\]")


def _link(match: re.Match[str]) -> str:
    try:
        seconds = parse_time(match.group(1))
    except TimeFormatError:
        return match.group(0)
    value = f"{seconds:g}"
    return (
        f'<a class="summary-time" href="?t={value}" data-summary-seek="{value}" '
        f'aria-label="Play from {match.group(1)}">[{match.group(1)}]</a>'
    )


@register.filter
def summary_with_times(summary: str) -> SafeString:
    # Escaped first: the marks' brackets, digits and colons are untouched by escaping, so the links
    # are the only markup added.
    html = _MARK.sub(_link, str(escape(summary or "")))
    return mark_safe(linebreaks(html, autoescape=False))  # noqa: S308 -- escaped above
