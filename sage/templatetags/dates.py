"""One way the site writes a moment: "28 Nov 2026 18:54" (`WHEN_FORMAT`), in the viewer's time zone.

The server writes it in the active time zone (the viewer's, sage.viewer_time; UTC until the
browser has said which) inside `<time datetime=… data-when>`; the page's static/js/shared/dates.js
writes it again in the viewer's zone, and writes the moments scripts add (comments, share links)
the same way, so a page never shows two formats."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

WHEN_FORMAT = "j M Y H:i"


@register.filter
def when_text(moment: datetime | None) -> str:
    """The moment as text (for an attribute or a sentence with no markup)."""
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), WHEN_FORMAT)


@register.filter
def when(moment: datetime | None) -> SafeString | str:
    """The moment in a `<time>` element that dates.js shows in the viewer's time zone."""
    if moment is None:
        return ""
    return format_html('<time datetime="{}" data-when>{}</time>', moment.isoformat(), when_text(moment))
