"""Timed transcript text, the one home for it: a transcript line with its times (`TimedLine`, with
the recogniser's `Word`s when it gave them), the `Sentence`s the lines say, the `Window`s of a few
sentences that search and chat embed, the sentences around a moment, and the caption `Cue`s the
player shows. A transcript line is not a comparison `Difference` (videos.compare: a stretch where
two videos differ).

Pure library code (no models, no DB): `videos.selectors.transcript_lines` reads lines from the
database.
"""

from __future__ import annotations

from videos.timed_text.around import nearest_sentences
from videos.timed_text.cues import Cue, cues_of
from videos.timed_text.lines import TimedLine, TimedStream, Word, said_then_shown, words_from_json, words_to_json
from videos.timed_text.sentences import Sentence, sentences_of, split_sentences
from videos.timed_text.windows import Window, windows_of

__all__ = [
    "Cue",
    "Sentence",
    "TimedLine",
    "TimedStream",
    "Window",
    "Word",
    "cues_of",
    "nearest_sentences",
    "said_then_shown",
    "sentences_of",
    "split_sentences",
    "windows_of",
    "words_from_json",
    "words_to_json",
]
