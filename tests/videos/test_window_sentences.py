"""A search window keeps the sentences it quotes, and their vectors, from when it was written: a
search and a chat answer read them instead of embedding sentences while the person waits, and find
exactly what embedding them then finds. Windows written before (no sentences stored) still work the
question-time way, a backfill gives them theirs, and processing a video again replaces them. A
deleted project's videos are left out by the search itself, so a page of results is still full."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.db import transaction

from chat.retrieval import evidence_from, retrieve
from tests.factories import ProjectFactory, TranscriptFactory, UserFactory, VideoFactory, chunk_rows, member_in
from videos import search
from videos.models import Transcript, TranscriptChunk, Video
from videos.pipeline.steps import ensure_chunks
from videos.projects.services import project_delete, project_restore
from videos.screen_text.stage import store_screen_lines
from videos.screen_text.tracking import ShownLine
from videos.search import Quote, search_quotes
from videos.selectors import search_moments_by_vector
from videos.text_embedding.model import embed_query, embed_texts_for_request
from videos.window_sentences import moment_sentences, store_window_sentences, vectors_from_bytes

pytestmark = pytest.mark.django_db

# A talk whose sentences run across its lines (captions cut them anywhere), long enough for several
# overlapping windows: what the edge reading (EDGE_SECONDS) and the windows' overlap are for.
TALK = [
    (0.0, 6.0, "Welcome to the bakery. Today we make a country loaf"),
    (6.0, 12.0, "from flour, water, salt and a little yeast. The flour"),
    (12.0, 18.0, "should be strong, with plenty of protein. Mix everything"),
    (18.0, 24.0, "by hand until no dry flour is left."),
    (24.0, 30.0, "Then the dough rests for thirty minutes. This rest lets"),
    (30.0, 36.0, "the flour drink the water. Next we fold the dough"),
    (36.0, 42.0, "four times, once every half hour. Folding builds strength."),
    (42.0, 48.0, "After the folds, the dough rises in a warm place"),
    (48.0, 54.0, "until it has doubled, about three hours. Shape it gently."),
    (54.0, 60.0, "The oven must be very hot: two hundred and fifty degrees."),
    (60.0, 66.0, "Bake the loaf in a covered pot for twenty minutes,"),
    (66.0, 72.0, "then uncover it and bake another twenty five minutes. Let it"),
    (72.0, 78.0, "cool for an hour before you cut it. The crust crackles as it cools."),
    (78.0, 84.0, "Store the bread in a cloth bag. It keeps for three days."),
    (84.0, 90.0, "Stale bread makes good toast and crumbs. Thank you for baking with us."),
]
SLIDES = [
    ShownLine(start=20.0, end=50.0, text="Country loaf", box=(0.1, 0.1, 0.8, 0.08), confidence=0.95),
    ShownLine(start=21.0, end=50.0, text="Rest the dough 30 minutes", box=(0.1, 0.3, 0.8, 0.08), confidence=0.95),
    ShownLine(start=22.0, end=50.0, text="Fold four times", box=(0.1, 0.5, 0.8, 0.08), confidence=0.95),
    ShownLine(start=60.0, end=80.0, text="Oven 250 °C", box=(0.1, 0.1, 0.8, 0.08), confidence=0.95),
]
QUESTIONS = [
    "How hot should the oven be?",
    "How long does the dough rest?",
    "How many times do we fold the dough?",
    "What flour should I use?",
    "How long does bread keep?",
    "What does the slide say about folding?",
    "How long does it bake with the lid on?",
]


@pytest.fixture
def processed() -> Video:
    """A ready video processed as the pipeline does: its transcript's windows, and its slides' windows,
    with their sentences stored."""
    video = VideoFactory(ready=True, with_transcript=TALK, backends={"transcript": "sidecar"})
    ensure_chunks(video)
    with transaction.atomic():
        store_screen_lines(video, SLIDES)
    return video


def quoted(quotes: list[Quote]) -> list[tuple[str, float, float, str]]:
    return [(quote.text, quote.start, quote.end, quote.kind) for quote in quotes]


def forget_stored_sentences(video: Video) -> None:
    """The video's windows as windows written before they kept their sentences."""
    TranscriptChunk.objects.filter(video=video).update(sentences=None, sentence_vectors=None)


@pytest.fixture
def sentences_embedded_when_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Every batch of sentences a search embeds at question time (the question itself left out)."""
    batches: list[list[str]] = []

    def recording(texts: list[str]) -> np.ndarray:
        if texts:
            batches.append(list(texts))
        return embed_texts_for_request(texts)

    monkeypatch.setattr(search, "embed_texts_for_request", recording)
    yield batches


def test_processing_stores_each_windows_sentences_and_their_vectors(processed: Video) -> None:
    chunks = list(TranscriptChunk.objects.filter(video=processed))
    kinds = {chunk.kind for chunk in chunks}

    assert kinds == {TranscriptChunk.Kind.SAID, TranscriptChunk.Kind.SHOWN} and len(chunks) > 3
    for chunk in chunks:
        assert chunk.sentences and chunk.sentence_vectors is not None
        vectors = vectors_from_bytes(chunk.sentence_vectors)
        assert vectors.shape == (len(chunk.sentences), 384)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    slide = next(chunk for chunk in chunks if chunk.kind == TranscriptChunk.Kind.SHOWN and chunk.start == 20.0)
    assert [text for _, _, text, _ in slide.sentences or []] == [
        "Country loaf",
        "Rest the dough 30 minutes",
        "Fold four times",
    ]


def test_a_search_quotes_from_stored_vectors_exactly_what_embedding_when_asked_finds(
    processed: Video, sentences_embedded_when_asked: list[list[str]]
) -> None:
    user = processed.owner

    from_stored = {question: search_quotes(member_in(user), question) for question in QUESTIONS}
    assert sentences_embedded_when_asked == []  # nothing but the questions embedded
    forget_stored_sentences(processed)
    when_asked = {question: search_quotes(member_in(user), question) for question in QUESTIONS}

    assert sentences_embedded_when_asked  # the question-time way did run
    oven = [text for text, *_ in quoted(from_stored["How hot should the oven be?"])]
    assert oven[:2] == ["Oven 250 °C", "The oven must be very hot: two hundred and fifty degrees."]
    slide = from_stored["What does the slide say about folding?"]
    assert any(quote.kind == TranscriptChunk.Kind.SHOWN for quote in slide)
    for question in QUESTIONS:
        assert quoted(from_stored[question]) == quoted(when_asked[question]), question
        for stored, asked in zip(from_stored[question], when_asked[question], strict=True):
            assert stored.similarity == pytest.approx(asked.similarity, abs=1e-5)


def test_chat_ranks_the_same_sentences_from_stored_vectors(processed: Video) -> None:
    def ranked(question: str) -> list[tuple[str, float, float]]:
        vector = embed_query(question)
        passages, found = retrieve(
            workspace_id=processed.workspace_id, video_id=None, vector=vector, limit=5, question=question
        )
        vectors = found.vectors(embed_texts_for_request(found.to_embed(windows=3)), windows=3)
        evidence = evidence_from(vector, passages, found.sentences, vectors)
        return [(quote.text, quote.start, round(quote.score, 4)) for quote in evidence.ranked]

    from_stored = {question: ranked(question) for question in QUESTIONS}
    forget_stored_sentences(processed)

    assert {question: ranked(question) for question in QUESTIONS} == from_stored


def test_windows_written_before_are_given_their_sentences_once_by_the_backfill(processed: Video) -> None:
    chunks = TranscriptChunk.objects.filter(video=processed).order_by("pk")
    as_processed = {chunk.pk: (chunk.sentences, vectors_from_bytes(chunk.sentence_vectors or b"")) for chunk in chunks}
    forget_stored_sentences(processed)

    assert store_window_sentences(list(as_processed)) == len(as_processed)
    assert store_window_sentences(list(as_processed)) == 0  # done: nothing again

    for chunk in chunks:
        sentences, vectors = as_processed[chunk.pk]
        assert chunk.sentences == sentences
        assert np.allclose(vectors_from_bytes(chunk.sentence_vectors or b""), vectors, atol=1e-5)


def test_the_backfill_command_fills_every_window_in_batches_here_or_through_the_workers(
    django_capture_on_commit_callbacks: Any,
) -> None:
    videos = [VideoFactory(ready=True) for _ in range(2)]
    for video in videos:
        chunk_rows(video, [(0.0, 20.0, "The market opens at seven."), (20.0, 40.0, "Farmers sell eggs and honey.")])
    TranscriptChunk.objects.update(sentences=None, sentence_vectors=None)

    call_command("store_window_sentences", batch=3, stdout=None)
    assert not TranscriptChunk.objects.filter(sentences__isnull=True).exists()

    TranscriptChunk.objects.update(sentences=None, sentence_vectors=None)
    with django_capture_on_commit_callbacks(execute=True):  # Celery runs tasks inline in tests
        call_command("store_window_sentences", "--queue", batch=3, stdout=None)
    assert [chunk.sentences for chunk in TranscriptChunk.objects.filter(video=videos[0]).order_by("index")] == [
        [[0.0, 20.0, "The market opens at seven.", False]],
        [[20.0, 40.0, "Farmers sell eggs and honey.", False]],
    ]


def test_processing_a_video_again_replaces_its_windows_sentences(processed: Video) -> None:
    Transcript.objects.filter(video=processed).delete()
    TranscriptFactory(video=processed, lines=[(0.0, 8.0, "Tomatoes need sun. Water them every morning.")])
    processed.backends = {"transcript": "sidecar"}
    Video.objects.filter(pk=processed.pk).update(backends=processed.backends)
    ensure_chunks(processed)
    with transaction.atomic():
        store_screen_lines(processed, [SLIDES[0]])

    stored = {
        (chunk.kind, text)
        for chunk in TranscriptChunk.objects.filter(video=processed)
        for _, _, text, _ in chunk.sentences or []
    }
    assert stored == {
        (TranscriptChunk.Kind.SAID, "Tomatoes need sun."),
        (TranscriptChunk.Kind.SAID, "Water them every morning."),
        (TranscriptChunk.Kind.SHOWN, "Country loaf"),
    }
    found = quoted(search_quotes(member_in(processed.owner), "How often should I water tomatoes?"))
    assert [text for text, *_ in found] == ["Tomatoes need sun."]  # the window's best, of the new lines


def test_a_window_whose_sentences_are_stored_needs_no_transcript_lines_read(
    processed: Video, django_assert_num_queries: Any
) -> None:
    moments = search.relevant(
        search_moments_by_vector(
            processed.workspace_id, embed_query("How hot is the oven?"), question="How hot is the oven?"
        )
    )
    with django_assert_num_queries(1):
        found = moment_sentences(moments)
    assert found.to_embed() == [] and len(found.vectors(np.zeros((0, 384), np.float32))) == sum(
        len(inside) for inside in found.sentences
    )


# --- deleted projects, left out by the search itself ------------------------------------------------

SAID_IN_THE_OLD_CUT = [
    f"The harbour ferry leaves in the morning at {hour} from pier {pier}."
    for hour in ("six", "seven", "eight")
    for pier in ("one", "two", "three", "four")
]
SAID_IN_THE_NEW_CUT = [
    "Ferries to the island leave the harbour every morning.",
    "The first ferry of the day sails early from the harbour.",
    "Morning ferries cross to the island from the old harbour.",
    "You catch the harbour ferry at the pier before breakfast.",
    "The ferry timetable lists the early morning departures.",
    "Boats leave the harbour for the island at dawn.",
    "The harbour ferry runs from morning until evening.",
]


def test_a_deleted_projects_videos_never_appear_and_a_page_of_results_is_still_full() -> None:
    owner = UserFactory()
    project = ProjectFactory(created_by=owner)
    hidden = VideoFactory(owner=owner, ready=True, project=project, title="Old cut")
    shown = VideoFactory(owner=owner, ready=True, title="New cut")
    # The hidden video says the question best, in more windows than a page holds.
    chunk_rows(hidden, [(20.0 * i, 20.0 * (i + 1), text) for i, text in enumerate(SAID_IN_THE_OLD_CUT)])
    chunk_rows(shown, [(20.0 * i, 20.0 * (i + 1), text) for i, text in enumerate(SAID_IN_THE_NEW_CUT)])
    question = "When does the harbour ferry leave in the morning?"
    assert {quote.video_id for quote in search_quotes(member_in(owner), question, limit=5)} == {hidden.pk}

    project_delete(project=project, by=owner)
    quotes = search_quotes(member_in(owner), question, limit=5)

    assert len(quotes) == 5 and {quote.video_id for quote in quotes} == {shown.pk}
    vector = embed_query(question)
    passages, _ = retrieve(workspace_id=hidden.workspace_id, video_id=None, vector=vector, limit=5, question=question)
    assert len(passages) == 5 and {passage.video_id for passage in passages} == {shown.pk}  # chat's too
    assert search_quotes(member_in(owner), question, video=hidden) == []

    project_restore(project=project, by=owner)
    assert {quote.video_id for quote in search_quotes(member_in(owner), question, limit=5)} == {hidden.pk}
