"""What each paid action costs, in one place, so every page can say the price before it is spent.

1 token = 1 second of processed video (an upload is held at its length, rounded up, and settled
when it is ready). A chat answer costs TOKEN_COST_CHAT_ANSWER. A note saved empty is written from
the transcript: by the language model (an "AI note", TOKEN_COST_AI_NOTE) when one is configured,
otherwise it is a quote of the transcript's own sentences (a "transcript excerpt"), which is free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from sage.gemini import gemini_enabled

TOKENS_PER_VIDEO_SECOND = 1


def upload_price(duration_seconds: float | None) -> int:
    """Tokens a video of this length costs to process (at least one)."""
    return max(1, math.ceil((duration_seconds or 0) * TOKENS_PER_VIDEO_SECOND))


def chat_answer_price() -> int:
    return int(settings.TOKEN_COST_CHAT_ANSWER)


def written_note_by_model() -> bool:
    """True when an empty note is written by the language model, False when it is a transcript excerpt."""
    return gemini_enabled()


def written_note_price() -> int:
    """Tokens a note saved empty costs: the AI note's price, or nothing for a transcript excerpt."""
    return int(settings.TOKEN_COST_AI_NOTE) if written_note_by_model() else 0


@dataclass(frozen=True)
class Prices:
    """What pages show before an action is taken (see the `prices` template tag)."""

    per_video_second: int
    chat_answer: int
    written_note: int
    written_note_by_model: bool

    @property
    def written_note_name(self) -> str:
        return "AI note" if self.written_note_by_model else "transcript excerpt"


def current_prices() -> Prices:
    return Prices(
        per_video_second=TOKENS_PER_VIDEO_SECOND,
        chat_answer=chat_answer_price(),
        written_note=written_note_price(),
        written_note_by_model=written_note_by_model(),
    )
