"""What a person is told about the language of a video's speech: the language's name, and the one
notice for speech in a language the speech model does not know (the page and the API say the same)."""

from __future__ import annotations

from django.conf.locale import LANG_INFO

OTHER_LANGUAGE_NOTICE = "The speech is in another language; the speech model set up here only knows English."
OTHER_LANGUAGE_REMEDY = (
    "To transcribe it, whoever runs this site sets WHISPER_MODEL to a multilingual speech model "
    "(small, for example: see the README) and transcribes the video again."
)


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code as Whisper and subtitles give it ("fr" → "French"); the
    code itself for one Django does not name (Whisper knows a few more languages than Django)."""
    info = LANG_INFO.get(code.lower())
    return str(info["name"]) if info and "name" in info else code
