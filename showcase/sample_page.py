"""What the compare page adds when it shows the shared sample (read-only): its prepared conversation
and both transcripts, every time a link to that moment on the page (`?t=` on A, `?tb=` on B)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString

from chat.models import Conversation, Message
from notes.markdown import render_note
from sage.formatting import clock
from videos.models import Comparison, Video
from videos.selectors import transcript_lines


@dataclass(frozen=True)
class MomentLink:
    """A moment of A or B as a link that opens the sample there."""

    side: str  # "A" or "B"
    label: str  # mm:ss
    href: str
    text: str


@dataclass(frozen=True)
class SampleMessage:
    asked: bool  # the question (True) or the answer
    html: SafeString
    citations: list[MomentLink]


@dataclass(frozen=True)
class SampleTranscript:
    side: str
    title: str
    lines: list[MomentLink]


@dataclass(frozen=True)
class SamplePage:
    conversation_title: str
    messages: list[SampleMessage]
    transcripts: list[SampleTranscript]


def sample_page(comparison: Comparison) -> SamplePage:
    page_url = reverse("compare:comparison", args=[comparison.pk])
    sides = {comparison.video_a_id: "A", comparison.video_b_id: "B"}

    def moment(video_id: int, start: float, text: str) -> MomentLink:
        side = sides.get(video_id, "A")
        name = "t" if side == "A" else "tb"
        return MomentLink(side=side, label=clock(start), href=f"{page_url}?{name}={start:.2f}", text=text)

    conversation = (
        Conversation.objects.filter(owner_id=comparison.owner_id, deleted_at__isnull=True).order_by("pk").first()
    )
    messages = [
        SampleMessage(
            asked=message.role == Message.Role.USER,
            html=render_note(message.content),
            citations=[
                moment(int(cited["video_id"]), float(cited["start"]), str(cited["text"]))
                for cited in message.citations
                if int(cited["video_id"]) in sides
            ],
        )
        for message in (conversation.messages.order_by("pk") if conversation else Message.objects.none())
    ]

    def transcript(side: str, video: Video) -> SampleTranscript:
        lines = [moment(video.pk, line.start, line.text) for line in transcript_lines(video.pk)]
        return SampleTranscript(side=side, title=video.title, lines=lines)

    return SamplePage(
        conversation_title=conversation.title if conversation else "",
        messages=messages,
        transcripts=[transcript("A", comparison.video_a), transcript("B", comparison.video_b)],
    )
