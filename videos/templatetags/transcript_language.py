"""`{{ transcript.language|language_name }}` and `{% other_language_notice %}` /
`{% other_language_remedy %}`: the words videos/transcripts/languages.py gives the page about the
language of a video's speech."""

from __future__ import annotations

from django import template

from videos.transcripts.languages import OTHER_LANGUAGE_NOTICE, OTHER_LANGUAGE_REMEDY
from videos.transcripts.languages import language_name as name_of_language

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    return name_of_language(code or "")


@register.simple_tag
def other_language_notice() -> str:
    return OTHER_LANGUAGE_NOTICE


@register.simple_tag
def other_language_remedy() -> str:
    return OTHER_LANGUAGE_REMEDY
