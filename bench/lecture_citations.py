"""Part 2 of bench/citations.py: citations over what is said and shown, through the production path.

For each talk of bench/lectures.py: its sound is written as a video's sound track would be (AAC) and
transcribed by `recognise_speech`; its slides are encoded as a video (H.264) and read by
`read_screen` (videos.screen_text.reading); the transcript is stored (`store_transcript`) and cut
into windows (`ensure_chunks`), the lines read are stored as ScreenTextLine rows and indexed
(`store_screen_lines`), all in a throwaway Postgres database. Each question is then answered as the
chat answers it without a language model (chat.retrieval's passages and ranked sentences, the
extractive answer's quotes), over all the videos of the owner's workspace; the first quote is the citation.
"""

from __future__ import annotations

import difflib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Django is set up by the caller, after this module is imported
    from videos.models import Video
    from videos.screen_text.tracking import ShownLine
    from videos.search import Quote

from bench.databases import throwaway_database
from bench.lectures import LECTURES, QUESTIONS, Lecture, LectureQuestion, held_out, lecture_sound

WITHIN_SECONDS = 2.0
# A quote is the truth line when their plain words are this alike (OCR drops or changes a character).
SAME_LINE_RATIO = 0.85
SLIDE_BACKGROUNDS = ((25, 35, 80), (30, 60, 40), (70, 30, 30), (40, 40, 40))


@dataclass(frozen=True)
class Asked:
    """A question's outcome: the expected time, and what the chat cited (None: nothing answers)."""

    question: LectureQuestion
    number: int
    expected: float
    cited: float | None
    cited_video: int | None
    cited_kind: str | None
    cited_text: str
    window_distance: float  # of the best passage
    sentence_similarity: float  # of the best ranked sentence (0 when none)
    video_id: int
    ranked: tuple[str, ...] = ()  # the best ranked sentences, described (for a miss)

    @property
    def ok(self) -> bool:
        return (
            self.cited is not None
            and self.cited_video == self.video_id
            and abs(self.cited - self.expected) <= WITHIN_SECONDS
        )

    @property
    def held_out(self) -> bool:
        return held_out(self.number)


@dataclass(frozen=True)
class Figures:
    asked: list[Asked]
    unrelated: list[tuple[str, bool, float, float]]  # (question, nothing answers, window, sentence)
    word_errors: dict[str, tuple[int, int]]  # lecture title → (errors, reference words)
    reader: str
    seconds: float


def slide_video(path: Path, lecture: Lecture, seconds: float) -> dict[str, float]:
    """The talk's slides as an H.264 video; returns when each shown line appears."""
    from sage.synthetic_media.screen_text import Shot, ShownText, make_screen_video

    shots = [
        Shot(slide.start, min(slide.end, seconds), colour=SLIDE_BACKGROUNDS[number % len(SLIDE_BACKGROUNDS)])
        for number, slide in enumerate(lecture.slides)
    ]
    texts = [
        ShownText(
            text,
            slide.start,
            min(slide.end, seconds),
            x=0.08,
            y=0.12 if row == 0 else 0.3 + 0.14 * row,
            size=48 if row == 0 else 34,
        )
        for slide in lecture.slides
        for row, text in enumerate(slide.lines)
    ]
    make_screen_video(path, shots=shots, texts=texts, seconds=seconds)
    return {text.text: text.start for text in texts}


def said_windows(video: Video) -> None:
    """The transcript's windows, embedded and stored as `ensure_chunks` makes them (its progress
    reports and bookkeeping aside)."""
    from django.conf import settings

    from videos.chunks import replace_chunks
    from videos.models import TEXT_EMBEDDING_DIM, TranscriptChunk
    from videos.selectors import transcript_lines
    from videos.text_embedding.model import embed_texts
    from videos.timed_text import windows_of

    windows = windows_of(
        transcript_lines(video.pk),
        target_seconds=settings.CHUNK_TARGET_SECONDS,
        overlap_seconds=settings.CHUNK_OVERLAP_SECONDS,
    )
    vectors = embed_texts([window.text for window in windows]) if windows else np.empty((0, TEXT_EMBEDDING_DIM))
    replace_chunks(video, TranscriptChunk.Kind.SAID, windows, vectors)


def same_line(quoted: str, truth: str) -> bool:
    """Whether a quoted line is the truth line as the reader read it."""
    from videos.search import plain_words

    return difflib.SequenceMatcher(None, plain_words(quoted), plain_words(truth)).ratio() >= SAME_LINE_RATIO


def read_lines(path: Path, seconds: float) -> list[ShownLine]:
    from videos.screen_text.reading import read_screen

    return list(read_screen(path, duration=seconds))


def chat_quote(workspace_id: int, question: str) -> tuple[Quote | None, float, float, tuple[str, ...]]:
    """The first quote of the extractive answer to `question` over all the workspace's videos (None when
    nothing answers), the best passage's distance and the best ranked sentence's similarity."""
    from django.conf import settings

    from chat.answering import ExtractiveBackend
    from chat.retrieval import evidence_from, retrieve
    from chat.visual import words_asked
    from videos.search import RANKED_WINDOWS
    from videos.text_embedding.model import embed_query, embed_texts_for_request

    vector = embed_query(question)
    passages, found = retrieve(
        workspace_id=workspace_id,
        video_id=None,
        vector=vector,
        limit=settings.CHAT_TOP_K,
        question=words_asked(question),
    )
    sentence_vectors = found.vectors(
        embed_texts_for_request(found.to_embed(windows=RANKED_WINDOWS)), windows=RANKED_WINDOWS
    )
    evidence = evidence_from(vector, passages, found.sentences, sentence_vectors)
    quotes = ExtractiveBackend().quoted(evidence)
    window = min((passage.distance for passage in passages), default=1.0)
    similarity = max((quote.similarity for quote in evidence.ranked), default=0.0)
    answering = {id(quote) for quote in evidence.answers()}
    described = tuple(
        f"{quote.kind} {quote.start:5.1f} sim {quote.similarity:.3f} score {quote.score:.3f} "
        f"window {quote.moment.distance:.3f}{' answers' if id(quote) in answering else ''}: {quote.text[:50]}"
        for quote in evidence.ranked[:3]
    )
    return (quotes[0] if quotes else None), window, similarity, described


def run(unrelated: tuple[str, ...]) -> Figures:
    """Builds the corpus in a throwaway database, asks every question; call with Django set up."""
    from django.db import transaction

    from accounts.models import User
    from sage.synthetic_media.speech_corpus import word_error_rate, write_audio
    from videos.models import Video
    from videos.pipeline.steps import store_transcript
    from videos.screen_text.stage import store_screen_lines
    from videos.transcripts.speech import recognise_speech
    from workspaces.selectors import personal_workspace_of

    started = time.perf_counter()
    asked: list[Asked] = []
    word_errors: dict[str, tuple[int, int]] = {}
    with throwaway_database(), tempfile.TemporaryDirectory(prefix="sage-bench-lectures-") as directory:
        owner = User.objects.create_user(email="bench-citations@example.com")
        workspace_id = personal_workspace_of(owner).pk  # where its videos go, and what the chat searches
        video_ids: list[int] = []
        expected: list[tuple[list[float], dict[str, float]]] = []
        for number, lecture in enumerate(LECTURES):
            samples, starts = lecture_sound(lecture)
            seconds = len(samples) / 48_000
            sound = write_audio(Path(directory) / f"talk-{number}.m4a", samples)
            slides = Path(directory) / f"slides-{number}.mp4"
            shown_at = slide_video(slides, lecture, seconds)
            result = recognise_speech(sound)
            lines = read_lines(slides, seconds)
            heard = result.text if result else ""
            word_errors[lecture.title] = word_error_rate(" ".join(lecture.sentences), heard)
            video = Video.objects.create(
                owner=owner,
                workspace_id=workspace_id,
                title=lecture.title,
                status=Video.Status.READY,
                duration=seconds,
            )
            with transaction.atomic():
                store_transcript(video, result)
            said_windows(video)
            with transaction.atomic():
                store_screen_lines(video, lines)
            video_ids.append(video.pk)
            expected.append((starts, shown_at))
            print(
                f"  {lecture.title}: {seconds:.0f} s, {'real recordings' if lecture.real else 'espeak-ng'}, "
                f"{len(result.segments) if result else 0} transcript lines, {len(lines)} lines read on screen"
            )
        for number, question in enumerate(QUESTIONS):
            starts, shown_at = expected[question.lecture]
            answer = starts[question.sentence] if question.sentence is not None else shown_at[question.shown or ""]
            quote, window, similarity, described = chat_quote(workspace_id, question.text)
            asked.append(
                Asked(
                    question=question,
                    number=number,
                    expected=answer,
                    cited=quote.start if quote is not None else None,
                    cited_video=quote.video_id if quote is not None else None,
                    cited_kind=quote.kind if quote is not None else None,
                    cited_text=quote.text if quote is not None else "",
                    window_distance=window,
                    sentence_similarity=similarity,
                    video_id=video_ids[question.lecture],
                    ranked=described,
                )
            )
        outcomes: list[tuple[str, bool, float, float]] = []
        for text in unrelated:
            quote, window, similarity, _ = chat_quote(workspace_id, text)
            outcomes.append((text, quote is None, window, similarity))
    return Figures(asked, outcomes, word_errors, "read_screen", time.perf_counter() - started)


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{int(seconds) // 60:02d}:{seconds % 60:04.1f}"


def report(figures: Figures) -> tuple[float, float]:
    """Prints the per-question table and the halves; returns (share cited within 2 s, share of
    unrelated questions where nothing answers)."""
    print(f"\n{'half':<9} {'kind':<6} {'question':<62} {'expected':>8} {'cited':>8} {'as':<6} ok")
    for asked in figures.asked:
        cited = clock(asked.cited) if asked.cited_video in (None, asked.video_id) else "other"
        print(
            f"{'held-out' if asked.held_out else 'tuning':<9} {asked.question.kind:<6} {asked.question.text[:62]:<62} "
            f"{clock(asked.expected):>8} {cited:>8} "
            f"{asked.cited_kind or '':<6} {'ok' if asked.ok else 'MISS  ' + asked.cited_text[:60]}"
        )
        if not asked.ok:
            for described in asked.ranked:
                print(f"{'':>18}{described}")
    said = [asked for asked in figures.asked if asked.question.kind == "said"]
    for label, chosen in (
        ("tuning half", [a for a in figures.asked if not a.held_out]),
        ("held-out half", [a for a in figures.asked if a.held_out]),
        ("said", said),
        ("said, real", [a for a in said if LECTURES[a.question.lecture].real]),
        ("said, espeak-ng", [a for a in said if not LECTURES[a.question.lecture].real]),
        ("shown", [a for a in figures.asked if a.question.kind == "shown"]),
        ("all", figures.asked),
    ):
        hits = sum(asked.ok for asked in chosen)
        share = hits / max(len(chosen), 1)
        print(f"  {label:<16} cited within {WITHIN_SECONDS:.0f} s: {hits}/{len(chosen)} = {share:.1%}")
    shown = [asked for asked in figures.asked if asked.question.shown is not None]
    quoted = sum(same_line(asked.cited_text, asked.question.shown or "") for asked in shown)
    print(f"  shown            the answering line quoted first: {quoted}/{len(shown)}")
    for asked in shown:
        if not same_line(asked.cited_text, asked.question.shown or ""):
            print(f"    quoted {asked.cited_text!r} for {asked.question.text!r} ({asked.question.shown!r})")
    for title, (errors, words) in figures.word_errors.items():
        print(f"  word error rate, {title}: {errors}/{words} = {errors / max(words, 1):.2f}")
    nothing = sum(empty for _, empty, _, _ in figures.unrelated)
    print(f"  unrelated questions where nothing answers: {nothing}/{len(figures.unrelated)}")
    for text, empty, window, similarity in figures.unrelated:
        if not empty:
            print(f"    answered: window {window:.3f} sentence {similarity:.3f} {text!r}")
    tuning = [a for a in figures.asked if not a.held_out]
    print("  cut-offs on the tuning half and the unrelated questions (best passage's distance ≤ cut and best")
    print("  sentence's similarity ≥ floor; the words-found rule aside): related kept, unrelated let through")
    for cut in (0.76, 0.78, 0.80, 0.82):
        cells = []
        for floor in (0.30, 0.35, 0.40):
            kept = sum(a.window_distance <= cut and a.sentence_similarity >= floor for a in tuning)
            through = sum(w <= cut and m >= floor for _, _, w, m in figures.unrelated)
            cells.append(f"floor {floor:.2f}: {kept}/{len(tuning)} kept, {through}/{len(figures.unrelated)} through")
        print(f"    cut {cut:.2f}  " + "; ".join(cells))
    print(f"  built and asked in {figures.seconds:.0f} s")
    within = sum(asked.ok for asked in figures.asked) / len(figures.asked)
    return within, nothing / len(figures.unrelated)
