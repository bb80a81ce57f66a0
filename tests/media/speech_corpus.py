"""Re-export of `sage.synthetic_media.speech_corpus`, for test files still importing it from here."""

from sage.synthetic_media.speech_corpus import *  # noqa: F403
