"""How videos read on pages: labels, and the small view models templates render (a video's card
and page, transcript lines, search hits)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from sage.formatting import clock
from videos.models import Comparison, TranscriptChunk, Video, VideoStack
from videos.search import Quote
from videos.services import video_can_retry
from videos.timed_text import TimedLine, Word
from workspaces.policy import Member, may

LIBRARY_PAGE_SIZE = 24
# Each result's sentences are embedded at search time (~8 a window): ten results cost ~80 sentences.
SEARCH_RESULT_LIMIT = 10
# A transcript is one list beside the player (it follows playback, so it is not paginated); this
# bounds a pathological one (about 4 hours of short caption lines).
TRANSCRIPT_LINE_LIMIT = 5000
# A recognised word the recogniser gave less than this probability is underlined as doubtful.
UNSURE_WORD_PROBABILITY = 0.4
# The IFrame API lets the transcript follow and seek the YouTube player; the player itself comes
# from YouTube's no-cookie host.
YOUTUBE_EMBED_BASE = "https://www.youtube-nocookie.com/embed/"

# What each pipeline stage (videos/pipeline/steps.py) is called on pages; video.js and library.js
# read this table from the page, so live updates use the same words.
STAGE_LABELS = {
    "probe": "Checking the file",
    "thumbnails": "Making thumbnails",
    "clips": "Analysing the picture and sound",
    "fingerprint": "Fingerprinting for comparisons",
    "rendition": "Preparing a version your browser can play",
    "transcript": "Transcribing",
    "chunks": "Indexing the transcript",
    "summary": "Writing a summary",
    # After "ready", beside the ready player (videos.screen_text): the page shows it in the transcript panel.
    "screen_text": "Reading the screen",
}

STATUS_BADGES = {
    Video.Status.READY: "badge-success",
    Video.Status.FAILED: "badge-danger",
    Video.Status.QUEUED: "badge-primary",
    Video.Status.PROCESSING: "badge-primary",
    Video.Status.CANCELLED: "badge-warning",
}

IN_PROGRESS = (Video.Status.QUEUED, Video.Status.PROCESSING)
# The stage line before the first step reports: queued (no worker has it yet) or just claimed.
WAITING_LABEL = "Waiting for a worker"
STARTING_LABEL = "Starting"

# What library.js and video.js need to show a live "video" event in the page's own words.
LIVE_LABELS = {
    "stages": STAGE_LABELS,
    "statuses": {
        status.value: {"label": status.label, "badge": STATUS_BADGES.get(status, "")} for status in Video.Status
    },
    "waiting": WAITING_LABEL,
    "starting": STARTING_LABEL,
}


def seconds_attr(seconds: float) -> str:
    # Data attributes and URLs need a dot decimal whatever the locale a template would format with.
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())


def start_time(raw: str | None, duration: float | None) -> float:
    """Where `?t=` asks playback to start: seconds, never negative nor past the end."""
    try:
        value = float(raw or 0)
    except ValueError:
        return 0.0
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return min(value, duration) if duration else value


@dataclass(frozen=True)
class VideoView:
    """A video with what its card and page show about it."""

    video: Video

    @property
    def is_youtube(self) -> bool:
        return self.video.source == Video.Source.YOUTUBE

    @property
    def in_progress(self) -> bool:
        return self.video.status in IN_PROGRESS

    @property
    def badge_class(self) -> str:
        return STATUS_BADGES.get(Video.Status(self.video.status), "")

    @property
    def stage_label(self) -> str:
        if self.video.stage:
            return stage_label(self.video.stage)
        return STARTING_LABEL if self.video.status == Video.Status.PROCESSING else WAITING_LABEL

    @property
    def duration(self) -> str:
        return clock(self.video.duration) if self.video.duration else ""

    @property
    def poster_src(self) -> str:
        if self.video.poster_key:
            return reverse("videos:poster", args=[self.video.pk])
        return self.video.poster_url

    @property
    def playback(self) -> str:
        return self.video.playback_state

    @property
    def file_url(self) -> str:
        """What players play; "" until something plays (players then show why instead)."""
        return reverse("videos:file", args=[self.video.pk]) if self.video.playback_key else ""

    @property
    def small_url(self) -> str:
        """The small copy for phones and slow links ("" when there is none)."""
        return reverse("videos:small", args=[self.video.pk]) if self.video.small_key else ""

    @property
    def original_url(self) -> str:
        """The original, as uploaded, offered for download."""
        has_file = self.video.source == Video.Source.UPLOAD and self.video.storage_key
        return reverse("videos:original", args=[self.video.pk]) if has_file else ""

    @property
    def captions_url(self) -> str:
        return reverse("videos:captions", args=[self.video.pk])

    @property
    def can_retry(self) -> bool:
        # Exactly what video_retry accepts, so the button is never offered for a refusal.
        return video_can_retry(self.video)


@dataclass(frozen=True)
class TranscriptLine(TimedLine):
    """A line of the transcript panel: a `TimedLine` said, or (`shown`) text shown on screen (a
    slide's line, a title), which the panel marks so; with what the page's template reads."""

    shown: bool = False

    @property
    def spoken_words(self) -> list[SpokenWord]:
        return [SpokenWord(word) for word in self.words]

    @property
    def stamp(self) -> str:
        return clock(self.start)

    @property
    def start_attr(self) -> str:
        return seconds_attr(self.start)

    @property
    def end_attr(self) -> str:
        return seconds_attr(self.end)

    @property
    def seek_query(self) -> str:
        return urlencode({"t": seconds_attr(self.start)})


@dataclass(frozen=True)
class SpokenWord:
    """One recognised word on the transcript: video.js marks it while it is being said."""

    word: Word

    @property
    def text(self) -> str:
        return self.word.text

    @property
    def start_attr(self) -> str:
        return seconds_attr(self.word.start)

    @property
    def unsure(self) -> bool:
        return self.word.probability < UNSURE_WORD_PROBABILITY


def youtube_embed_url(youtube_id: str, *, start: float, origin: str) -> str:
    query = {"enablejsapi": "1", "rel": "0", "playsinline": "1", "origin": origin}
    if start >= 1:
        query["start"] = str(int(start))
    return f"{YOUTUBE_EMBED_BASE}{quote(youtube_id, safe='')}?{urlencode(query)}"


# Question words and the like: a search matches by meaning, and marking every "the" and "where" in
# a result would hide the words that matter.
UNMARKED_WORDS = frozenset(
    {
        "a", "about", "an", "and", "are", "as", "at", "be", "but", "by", "can", "did", "do", "does", "for",
        "from", "had", "has", "have", "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our",
        "so", "than", "that", "the", "their", "them", "they", "this", "to", "was", "we", "were", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your",
    }
)  # fmt: skip


def highlight_words(text: str, query: str) -> SafeString:
    """`text` escaped, with the words of `query` (and words starting with them) in <mark>."""
    found = {word.lower() for word in re.findall(r"\w{2,}", query)} - UNMARKED_WORDS
    words = sorted(found, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\w*", re.IGNORECASE)
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append((text[position : match.start()], match.group()))
        position = match.end()
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pieces), text[position:])


@dataclass(frozen=True)
class SearchHit:
    """A search result: the sentence that answers, when it is said, in which video."""

    quote: Quote
    highlighted: SafeString

    @property
    def video_title(self) -> str:
        return self.quote.moment.video_title

    @property
    def stamp(self) -> str:
        return clock(self.quote.start)

    @property
    def shown(self) -> bool:
        """The result is a line of text shown on screen, not a sentence said."""
        return self.quote.kind == TranscriptChunk.Kind.SHOWN

    @property
    def url(self) -> str:
        path = reverse("videos:video", args=[self.quote.video_id])
        return f"{path}?{urlencode({'t': int(self.quote.start)})}"


def owner_comments_panel(
    shown: Comparison | Video, *, actor: Member, stack: VideoStack | None = None
) -> dict[str, Any]:
    """The members' view of every comment on `shown` (templates/reviews/partials/comments.html), with
    the form for their own comments and drawings when the policy lets `actor` comment, and Delete on
    anyone's comment only when it lets them delete anyone's (`comment.delete`; a commenter: their
    own, which each comment's `can_delete` says). A member's comment is members only or on the
    thread of one of the object's live comment links (their guests see it: the form lists them from
    `links_url`). On a stack's page `shown` is its current pair and `stack` the stack: comments go
    through the stack, onto its links' threads. A member who cannot comment gets it served hidden
    while there is nothing to list (comments then come only through share links): the page shows it
    when its first link is made, and it is already listening. The URLs are the reviews API's,
    written out: videos does not import reviews."""
    can_comment = may(actor, "comment.create", workspace_id=shown.workspace_id)
    is_comparison = isinstance(shown, Comparison)
    kind = "comparisons" if is_comparison else "videos"
    owner_path = f"/api/v1/stacks/{stack.pk}" if stack is not None else f"/api/v1/{kind}/{shown.pk}"
    has_links = shown.share_links.exists() or (stack is not None and stack.share_links.exists())
    return {
        "mode": "owner",
        "can_comment": can_comment,
        # For a comment pushed live (no `can_delete`: one push goes to every member): anyone's, or
        # what this member made (`author_id`), as the policy says.
        "may_delete_any": may(actor, "comment.delete", workspace_id=shown.workspace_id),
        "may_delete_own": may(actor, "comment.delete", workspace_id=shown.workspace_id, made_by=actor.user_id),
        "user_id": actor.user_id,
        "api_url": f"/api/v1/{kind}/{shown.pk}/comments",
        "post_url": f"{owner_path}/comments",
        "links_url": f"{owner_path}/share-links",
        "socket_url": "",
        "sides": [["a", "A"], ["b", "B"]] if is_comparison else [["video", "The video"]],
        "comparison_id": shown.pk if is_comparison else None,
        "video_id": None if is_comparison else shown.pk,
        "hidden": not (can_comment or has_links or shown.review_comments.exists()),
    }
