"""The shared sample: one ready comparison every account can open in one click, made once by the site.

It is the demo pair (`showcase/demo.py`: an original and an edited copy, generated, with subtitles)
owned by the site's sample account (`User.is_sample_owner`), processed once by the real pipeline and
compared, with a few notes and a prepared chat conversation. Every signed-in person may look at what
that account owns through the read selectors' one extra path (`videos.selectors.SHARED_SAMPLE`);
nothing writes through it, so the sample cannot be changed, deleted, charged or chatted into, and
opening it costs nobody tokens. `manage.py sample` and `make run` call `showcase.services.sample_ensure()`;
a worker does the processing, then `build_sample` compares and adds the notes and the conversation.
"""

from __future__ import annotations

import logging
from typing import Literal

from django.db import transaction

from accounts.models import User
from billing.ledger import ledger_grant
from billing.selectors import wallet_for_user
from chat.models import Conversation, Message
from notes.models import Note
from notes.services import note_create
from sage.formatting import clock
from showcase.demo import demo_comparison_build
from videos.models import Comparison, Video
from videos.selectors import transcript_lines
from videos.timed_text import TimedLine
from workspaces.current import personal_membership

logger = logging.getLogger(__name__)

SAMPLE_OWNER_EMAIL = "sample@sage.invalid"  # .invalid: no mail can ever reach it (RFC 2606)
SAMPLE_OWNER_NAME = "SAGE sample"
# Processing both demo videos holds ~80 tokens from the sample account: the site pays, once.
SAMPLE_TOKENS = 1_000
CONVERSATION_TITLE = "What changed in the edited version?"

# The notes the sample shows: (which video, a phrase of the transcript that places it, the note).
# Placed by the words said there, so a change to the demo's timing moves them along.
SAMPLE_NOTES: tuple[tuple[Literal["a", "b"], str, str], ...] = (
    ("a", "soft gradient", "The original scene: a gradient turning like a clock hand. B replaces it."),
    ("b", "flickering blocks", "**Replaced** in the edit: flickering blocks instead of the gradient."),
    ("b", "added to the edited version", "Only in B: six seconds the original does not have."),
    ("b", "fades from one colour", "Same picture as A, but the tone underneath changed: a sound difference."),
)
# The prepared conversation about the edited video: a question, and the transcript phrases that answer it.
SAMPLE_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What was added to the edited version?", ("added to the edited version",)),
    ("What replaced the gradient?", ("flickering blocks",)),
)


def sample_owner_ensure() -> User:
    """The site's sample account: inactive and without a password, so nobody can sign in as it."""
    owner = User.objects.filter(is_sample_owner=True).order_by("pk").first()
    if owner is None:
        owner = User.objects.create_user(SAMPLE_OWNER_EMAIL, None, display_name=SAMPLE_OWNER_NAME, is_active=False)
        User.objects.filter(pk=owner.pk).update(is_sample_owner=True)  # not editable: set it directly
        owner.is_sample_owner = True
    if wallet_for_user(owner).balance < SAMPLE_TOKENS:
        ledger_grant(user=owner, amount=SAMPLE_TOKENS, key=f"sample-owner-{owner.pk}", memo="The shared sample")
    return owner


def sample_build(*, video_a_id: int, video_b_id: int) -> Comparison | None:
    """Once both videos are ready: their comparison, then the notes and the conversation. Raises
    showcase.demo.DemoPairNotReady while either is still being processed."""
    owner = sample_owner_ensure()
    comparison = demo_comparison_build(user_id=owner.pk, video_a_id=video_a_id, video_b_id=video_b_id)
    if comparison is not None:
        sample_extras_ensure(comparison=comparison)
    return comparison


def sample_extras_ensure(*, comparison: Comparison) -> None:
    """The sample's notes and prepared conversation, each made once (skipped when already there)."""
    owner = comparison.owner
    sides = {"a": comparison.video_a, "b": comparison.video_b}
    with transaction.atomic():
        if not Note.objects.filter(owner=owner, video__in=sides.values()).exists():
            for side, phrase, text in SAMPLE_NOTES:
                line = _line_saying(sides[side], phrase)
                if line is not None:
                    note_create(member=personal_membership(owner), video=sides[side], start=line.start, text=text)
        if not Conversation.objects.filter(owner=owner).exists():
            _prepared_conversation(owner, sides["b"])


def _line_saying(video: Video, phrase: str) -> TimedLine | None:
    return next((line for line in transcript_lines(video.pk) if phrase in line.text.lower()), None)


def _prepared_conversation(owner: User, video: Video) -> Conversation:
    conversation = Conversation.objects.create(
        owner=owner, workspace_id=video.workspace_id, video=video, title=CONVERSATION_TITLE
    )
    for question, phrases in SAMPLE_QUESTIONS:
        lines = [line for phrase in phrases if (line := _line_saying(video, phrase)) is not None]
        asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
        quotes = "\n".join(f'- [{clock(line.start)}] "{line.text}"' for line in lines)
        Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            reply_to=asked,
            content=quotes or "Nothing said in the video answers this.",  # the page says it was prepared
            citations=[
                {"video_id": video.pk, "start": line.start, "end": line.end, "text": line.text} for line in lines
            ],
        )
    return conversation
