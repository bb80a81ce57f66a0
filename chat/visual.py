"""Questions about what a video shows ("what colour is the car", "what does the slide say"): telling
them apart, and the stills they are answered from.

A transcript says what is said; a visual question needs the picture. With a language model, such a
question is sent the stills of its best moments (the best sentence of each passage found, and any
time the question names), each with the text read on screen at that moment (`ScreenTextLine`). The
stills are grabbed from the video's stored file (notes' `grab_frame`, at most STILL_WIDTH wide, as
JPEG); a YouTube video has no file, so it has no stills, only its on-screen text (none) and
transcript. Without a language model nothing can look at a picture: only the on-screen text of a
time the question names is gathered (the extractive answer quotes that, or the on-screen lines the
search found).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import av

from chat.retrieval import Evidence
from notes.frames import grab_frame, has_frame_source
from videos.models import Video
from videos.pipeline.files import readable_played_source
from videos.pipeline.thumbnails import encode_jpeg
from videos.screen_text.lines import shown_lines_around
from videos.screen_text.tracking import ShownLine
from videos.search import best_quote_per_moment
from videos.text_search.answer_kinds import asks_for_a_cause

logger = logging.getLogger(__name__)

# At most this many pictures go with one question: each costs the model a few hundred input tokens
# and this process a seek and a decode, and the best moments after the fourth rarely add anything.
MAX_STILLS = 4
# Two moments of one video closer than this show the same picture: one still stands for both.
SAME_PICTURE_SECONDS = 2.0
# A line read on screen counts as shown at a moment this close to its start or end (the reader
# samples frames, so its times are a little late or early).
SHOWN_SLACK_SECONDS = 0.5

# Words that ask about what is seen rather than said: seeing and showing, and the things a picture
# holds (slides, boards, titles, signs, charts)...
_PICTURE_WORDS = frozenset(
    word
    for group in (
        "see seen seeing visible shown show shows showing displayed display displays depicted",
        "picture pictures image images photo photos photograph frame frames screen onscreen screenshot",
        "slide slides whiteboard blackboard chalkboard flipchart poster written write writes wrote handwriting",
        "caption captions subtitle subtitles title titles label labels logo logos sign signs banner",
        "chart charts graph graphs diagram diagrams map maps drawn drawing drawings",
    )
    for word in group.split()
)
# ... and colour and looks, which a question about a cause names without asking about the picture
# ("what decides the colour the liquid turns?", `asks_for_a_cause`).
_LOOKS_WORDS = frozenset(
    word
    for group in (
        "appear appears appearance shape shapes",
        "colour colours color colors coloured colored wearing wears wore dressed outfit",
    )
    for word in group.split()
)
_VISUAL_WORDS = _PICTURE_WORDS | _LOOKS_WORDS
_LOOKS_LIKE = re.compile(r"\blook(?:s|ed|ing)?\s+like\b")
_WORD = re.compile(r"[a-z]+")
_ANY_WORD = re.compile(r"[^\W_]+")  # a word in any script, or a number
# Verbs of speaking: "what does the speaker say about the chart?" asks what is said, whatever it is
# about and wherever the picture is named, unless what "says" is the picture ("what does the slide
# say?", `asks_what_is_said`).
_SPEECH_VERBS = frozenset(
    word
    for group in (
        "say says said saying tell tells told telling mention mentions mentioned mentioning",
        "explain explains explained explaining talk talks talked talking speak speaks spoke speaking",
        "discuss discusses discussed claim claims claimed argue argues argued",
        "recommend recommends recommended suggest suggests suggested",
    )
    for word in group.split()
)
# What may stand before a verb of speaking without being someone who speaks: the asker's own words
# ("can you explain the chart?", "tell me what is on screen") and things ("what does it say?"), which
# leave the question to its other words.
_NO_SPEAKER = frozenset(
    ["what", "which", "it", "this", "that", "there", "you", "me", "i", "can", "could", "would", "will", "please"]
)
# Where a clause is put under the question's main one: a verb of speaking after these tells when or
# which ("who is shown while he talks?"), not what is asked. Only inside a clause: first, they ask
# ("when does she mention the chart?", "who said it?").
_SUBORDINATING = frozenset(
    word
    for group in ("while whilst when whenever as after before because if until", "that which who whom whose where")
    for word in group.split()
)
_CLAUSES = re.compile(r"[,;:()]")
# Before a verb of speaking, these make it passive: "what is said about the chart?" is about speech.
_PASSIVE = frozenset(["is", "was", "are", "were", "be", "been", "being", "get", "gets", "got"])
# A time the question names: 2:14, 02:14, [02:14] or 1:02:14.
_ASKED_TIME = re.compile(r"(?<![\d:])(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)(?![\d:])")


def is_visual_question(question: str) -> bool:
    """Whether the question asks about what the video shows (its picture), not only what is said: it
    names something seen, and does not ask what someone says ("what does the speaker say about the
    slide?" is answered from the transcript; "what does the slide say?" from the picture), nor for a
    cause unless it names the picture itself (`asks_for_a_cause`)."""
    text = question.casefold()
    if asks_what_is_said(question):
        return False
    words = _WORD.findall(text)
    if asks_for_a_cause(question):
        # A reason is said: only naming the picture itself ("why is the slide red?") makes it visual.
        return any(word in _PICTURE_WORDS for word in words)
    if _LOOKS_LIKE.search(text):
        return True
    return any(word in _VISUAL_WORDS for word in words)


def asks_what_is_said(question: str) -> bool:
    """Whether the question asks what someone says ("what does the speaker say about the slide?",
    "on the slide, what does the speaker say?", "what is said about the chart?"): a verb of speaking
    in one of its main clauses has a speaker as its subject (a person, or none in the passive), not
    the picture ("what does the slide say?") or the asker ("can you explain the chart?"). A verb in a
    clause put under another ("who is shown while he talks?", "what is on the chart that she
    mentions?") says when or which, not what is asked, wherever it stands in the question."""
    for clause in _CLAUSES.split(question.casefold()):
        words = _WORD.findall(clause)
        for index, word in enumerate(words):
            if index and word in _SUBORDINATING:
                break  # the rest of the clause is under another
            if word not in _SPEECH_VERBS:
                continue
            subject = words[index - 1] if index else ""
            if subject in _PASSIVE or (subject and subject not in _NO_SPEAKER and subject not in _VISUAL_WORDS):
                return True
    return False


def words_asked(question: str) -> str:
    """The question as its key words are searched for: one about what someone says without the words
    that frame it (verbs of speaking, who speaks, the picture it names), which what is said does
    not repeat ("what does the presenter say about the team on the slide?" is searched for the
    sentences saying "team", not "presenter" or "slide"); any other question as it is."""
    if not asks_what_is_said(question):
        return question
    words = _ANY_WORD.findall(question)
    folded = [word.casefold() for word in words]
    framing = {
        index
        for index, word in enumerate(folded)
        if word in _VISUAL_WORDS
        or word in _SPEECH_VERBS
        or (index + 1 < len(folded) and folded[index + 1] in _SPEECH_VERBS)
    }
    return " ".join(word for index, word in enumerate(words) if index not in framing)


def asked_times(question: str) -> list[float]:
    """The moments the question names (`at 2:14`), in seconds, in order."""
    times: list[float] = []
    for hours, minutes, seconds in _ASKED_TIME.findall(question):
        value = float(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds))
        if value not in times:
            times.append(value)
    return times


@dataclass(frozen=True)
class Still:
    """A moment of a video's picture that a visual question is answered from: when, the lines read
    on screen then, and the picture as a JPEG (None when the video has no stored file or the frame
    could not be decoded)."""

    video_id: int
    video_title: str
    seconds: float
    shown: tuple[ShownLine, ...] = ()
    jpeg: bytes | None = None


@dataclass(frozen=True)
class StillAt:
    """Where a still is to be taken: which video, at what time."""

    video_id: int
    seconds: float


def still_moments(
    question: str, evidence: Evidence, *, video_id: int | None, limit: int = MAX_STILLS, best: bool = True
) -> list[StillAt]:
    """Where to look, best first: the times the question names (in the conversation's video), then,
    when `best`, the best sentence of each passage found (ranked ones first, then the others' starts);
    one moment per picture (SAME_PICTURE_SECONDS), at most `limit`."""
    candidates = [StillAt(video_id, seconds) for seconds in asked_times(question)] if video_id is not None else []
    if best:
        quoted = best_quote_per_moment(evidence.ranked, evidence.passages)
        candidates += [StillAt(quote.video_id, quote.start) for quote in sorted(quoted, key=lambda q: -q.score)]
        ranked_chunks = {quote.moment.chunk_id for quote in quoted}
        candidates += [
            StillAt(passage.video_id, passage.start)
            for passage in evidence.passages
            if passage.chunk_id not in ranked_chunks
        ]
    chosen: list[StillAt] = []
    for moment in candidates:
        if len(chosen) == limit:
            break
        if not any(
            kept.video_id == moment.video_id and abs(kept.seconds - moment.seconds) < SAME_PICTURE_SECONDS
            for kept in chosen
        ):
            chosen.append(moment)
    return chosen


def stills_for(
    *, question: str, evidence: Evidence, workspace_id: int | None, video_id: int | None, pictures: bool
) -> tuple[Still, ...]:
    """The stills a visual question is answered from (none for any other question, or a guest's):
    with `pictures` (a language model will look at them), the best moments with their JPEG and
    on-screen text; without, only the times the question names, with their on-screen text. Only the
    workspace's videos are read: a passage of any other workspace's video would find no row here."""
    if workspace_id is None or not is_visual_question(question):
        return ()
    moments = still_moments(question, evidence, video_id=video_id, best=pictures)
    if not moments:
        return ()
    videos = {
        video.pk: video
        for video in Video.objects.filter(
            workspace_id=workspace_id, pk__in={moment.video_id for moment in moments}
        ).only("pk", "title", "source", "storage_key", "status")
    }
    moments = [moment for moment in moments if moment.video_id in videos]
    shown = _shown_at(moments)
    return tuple(
        Still(
            video_id=moment.video_id,
            video_title=videos[moment.video_id].title,
            seconds=moment.seconds,
            shown=shown[index],
            jpeg=_picture(videos[moment.video_id], moment.seconds) if pictures else None,
        )
        for index, moment in enumerate(moments)
    )


def _shown_at(moments: Sequence[StillAt]) -> list[tuple[ShownLine, ...]]:
    """The lines read on screen at each moment, in the order they appear (one query for all)."""
    spans = [
        (moment.video_id, moment.seconds - SHOWN_SLACK_SECONDS, moment.seconds + SHOWN_SLACK_SECONDS)
        for moment in moments
    ]
    return [tuple(lines) for lines in shown_lines_around(spans)]


def _picture(video: Video, seconds: float) -> bytes | None:
    """The video's picture at `seconds` as a small JPEG; None for a video without a stored file (a
    YouTube video) or a frame that cannot be decoded (the answer goes on from the text)."""
    if not has_frame_source(video):
        return None
    try:
        return encode_jpeg(grab_frame(readable_played_source(video), seconds))
    except (av.FFmpegError, OSError, ValueError):
        logger.warning("could not grab the still of video %s at %.1f s", video.pk, seconds, exc_info=True)
        return None
