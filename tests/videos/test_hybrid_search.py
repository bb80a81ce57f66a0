"""Search by meaning and by words: a window that says the question's key words is found even when
its vector is far from the question's (the issue's "finds nothing although the key words were
transcribed"), numbers match however they were written, a line repeated word for word takes one
place, an unrelated question still finds nothing, and nobody finds another person's words."""

from __future__ import annotations

import importlib
import time

import numpy as np
import pytest
from django.db import connection, connections

from accounts.models import User
from tests.factories import TranscriptFactory, UserFactory, VideoFactory, member_in
from videos import selectors
from videos.chunks import replace_chunks
from videos.models import TranscriptChunk, Video
from videos.search import relevant, search_quotes
from videos.selectors import (
    close_words_side_connections,
    moments_by_words,
    question_key_words,
    search_moments_by_vector,
)
from videos.text_embedding.model import embed_query, embed_texts
from videos.timed_text import TimedLine
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db
workspace_lexeme_migration = importlib.import_module("videos.migrations.0024_chunk_workspace_filled")

EGGS = "The queen lays up to two thousand eggs a day in the busiest weeks."
EGGS_QUESTION = "How many eggs does the queen lay?"


def far_video(owner: User, lines: list[tuple[float, float, str]], *, away_from: str) -> Video:
    """A video saying `lines`, one window each, whose windows' vectors point away from the question
    `away_from` (as a transcription whose meaning the embedder missed): only its words can find it."""
    video = VideoFactory(owner=owner, ready=True)
    TranscriptFactory(video=video, lines=lines)
    vectors = np.repeat(-embed_query(away_from)[None, :], len(lines), axis=0)
    replace_chunks(video, TranscriptChunk.Kind.SAID, [TimedLine(*line) for line in lines], vectors)
    return video


def test_a_window_saying_the_key_words_is_found_though_its_meaning_is_far() -> None:
    owner = UserFactory()
    video = far_video(owner, [(0.0, 6.0, "Welcome back to the apiary."), (6.0, 12.0, EGGS)], away_from=EGGS_QUESTION)
    vector = embed_query(EGGS_QUESTION)

    # By meaning alone, nothing is close enough.
    assert relevant(search_moments_by_vector(personal_workspace_of(owner).pk, vector)) == []

    quotes = search_quotes(member_in(owner), EGGS_QUESTION)
    assert [(quote.video_id, quote.start, quote.text) for quote in quotes] == [(video.pk, 6.0, EGGS)]
    # The same inside the one video (the transcript's own search box).
    assert [quote.text for quote in search_quotes(member_in(owner), EGGS_QUESTION, video=video)] == [EGGS]


def test_a_number_said_in_words_is_found_by_its_digits() -> None:
    owner = UserFactory()
    said = "A strong colony can hold twenty five thousand bees in summer."
    far_video(owner, [(0.0, 6.0, said)], away_from="colony of 25,000 bees")

    moments = search_moments_by_vector(
        personal_workspace_of(owner).pk, embed_query("colony of 25,000 bees"), question="colony of 25,000 bees"
    )

    assert [(moment.text, moment.words_found, len(moment.key_words)) for moment in moments] == [(said, 3, 3)]
    assert [quote.text for quote in search_quotes(member_in(owner), "a colony of 25,000 bees")] == [said]


def test_a_line_repeated_word_for_word_takes_one_place() -> None:
    owner = UserFactory()
    thanks = "Thank you for watching, see you next week!"
    lines = [(0.0, 5.0, thanks), (40.0, 45.0, "thank you for watching... see you next week"), (80.0, 85.0, thanks)]
    lines.append((120.0, 125.0, "Next week we watch the varroa mites."))
    video = VideoFactory(owner=owner, ready=True)
    TranscriptFactory(video=video, lines=lines)
    replace_chunks(
        video, TranscriptChunk.Kind.SAID, [TimedLine(*line) for line in lines], embed_texts([t for *_, t in lines])
    )

    moments = search_moments_by_vector(personal_workspace_of(owner).pk, embed_query(thanks), question=thanks, limit=3)

    assert len(moments) == 2
    assert moments[0].start == 0.0  # the first said of the repeats stands for them
    assert "varroa" in moments[1].text


def test_an_unrelated_question_still_finds_nothing() -> None:
    owner = UserFactory()
    VideoFactory(owner=owner, cooking=True)

    assert search_quotes(member_in(owner), "How do I knit a scarf?") == []
    assert search_quotes(member_in(owner), "What is the capital of Australia?") == []
    assert search_quotes(member_in(owner), "How long do I bake the sourdough?") != []  # the video does answer this one


def test_nobody_finds_another_persons_words() -> None:
    owner, stranger = UserFactory(), UserFactory()
    far_video(stranger, [(0.0, 6.0, EGGS)], away_from=EGGS_QUESTION)
    VideoFactory(owner=owner, garden=True)

    assert search_quotes(member_in(owner), EGGS_QUESTION) == []
    assert [quote.text for quote in search_quotes(member_in(stranger), EGGS_QUESTION)] == [EGGS]


def stored_words(video: Video) -> list[str]:
    """The lexemes stored for the video's windows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT word.lexeme FROM videos_transcriptchunk AS c, unnest(c.search_vector) AS word "
            "WHERE c.video_id = %s ORDER BY 1",
            [video.pk],
        )
        return [lexeme for (lexeme,) in cursor.fetchall()]


def test_windows_stored_with_their_owners_lexeme_are_found_by_workspace_once_migrated() -> None:
    # Migration 0024 swaps each window's owner lexeme for its workspace's and copies the video's
    # workspace to it; until then the words side (which asks GIN for the word and the workspace
    # together) cannot find them.
    owner, stranger = UserFactory(), UserFactory()
    mine = far_video(owner, [(0.0, 6.0, EGGS)], away_from=EGGS_QUESTION)
    theirs = far_video(stranger, [(0.0, 6.0, EGGS)], away_from=EGGS_QUESTION)
    # One window whose workspace was never copied right (the column's first fill: none at all).
    TranscriptChunk.objects.filter(video=theirs).update(workspace=personal_workspace_of(owner))
    with connection.cursor() as cursor:
        cursor.execute(workspace_lexeme_migration.BACKWARD)  # stored as before the migration
        assert f"~owner {owner.pk}" in stored_words(mine) and not any("~workspace" in w for w in stored_words(mine))

        assert search_quotes(member_in(owner), EGGS_QUESTION) == []

        cursor.execute(workspace_lexeme_migration.FORWARD)
        cursor.execute(workspace_lexeme_migration.FORWARD)  # twice: the same words

    words = stored_words(mine)
    assert f"~workspace {mine.workspace_id}" in words and not any(word.startswith("~owner") for word in words)
    assert "queen" in words and "egg" in words  # the text's words stay
    assert TranscriptChunk.objects.get(video=theirs).workspace_id == theirs.workspace_id
    assert f"~workspace {theirs.workspace_id}" in stored_words(theirs)
    assert [quote.text for quote in search_quotes(member_in(owner), EGGS_QUESTION)] == [EGGS]
    assert [quote.text for quote in search_quotes(member_in(stranger), EGGS_QUESTION)] == [EGGS]


def test_words_are_stored_stemmed_in_the_transcripts_language_and_as_written() -> None:
    video = VideoFactory(ready=True)
    lines = [(0.0, 5.0, "Les abeilles butinent les fleurs du jardin.")]
    TranscriptFactory(video=video, lines=lines, language="fr")
    replace_chunks(video, TranscriptChunk.Kind.SAID, [TimedLine(*lines[0])], embed_texts([lines[0][2]]))

    def holds(config: str, word: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_vector @@ to_tsquery(%s::regconfig, %s) FROM videos_transcriptchunk WHERE video_id = %s",
                [config, word, video.pk],
            )
            return bool(cursor.fetchone()[0])

    assert holds("french", "abeille")  # French stemming: the singular finds the plural
    assert holds("simple", "abeilles")  # and the word as written, for a question read as plain words
    assert not holds("english", "abeille")  # not stemmed as English: "abeill" is no English stem of it


def lecture_with_one_rare_word(owner: User) -> Video:
    """151 windows saying "going" and "lecture", one of them "photosynthesis" too; analysed, as
    autovacuum would, so Postgres' statistics list the common words."""
    lines = [(40.0 * i, 40.0 * i + 30.0, f"So we keep going with the lecture, part {i}.") for i in range(150)]
    rare = (6000.0, 6030.0, "Photosynthesis comes next as we keep going with the lecture.")
    video = far_video(owner, [*lines, rare], away_from="photosynthesis lecture")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos_transcriptchunk")
    return video


def test_words_said_in_most_windows_find_nothing_beside_a_rare_word_but_still_count(monkeypatch) -> None:
    """Once Postgres' statistics list words as common in a large enough table (here any size), the rare
    word asked with them finds its window, ranked by all the words; a question of common words alone
    still finds windows by them."""
    monkeypatch.setattr(selectors, "COMMON_WORD_WINDOWS", 0)
    owner = UserFactory()
    video = lecture_with_one_rare_word(owner)

    vector = embed_query("photosynthesis lecture")
    moments = moments_by_words(
        personal_workspace_of(owner).pk, question_key_words("photosynthesis going lecture"), vector
    )
    # Ranked by all three words; the windows saying only the common two are not brought in by them.
    assert [(moment.video_id, moment.start, moment.words_found) for moment in moments] == [(video.pk, 6000.0, 3)]

    common_only = moments_by_words(personal_workspace_of(owner).pk, question_key_words("going lecture"), vector)
    assert [moment.words_found for moment in common_only] == [2] * 10


def test_in_a_small_table_a_word_in_every_window_is_still_read_through_the_index() -> None:
    """A word's share makes it common only when its windows are many too (COMMON_WORD_WINDOWS): in a
    table of 151 windows its list is short, so it still brings its windows beside the rare word's,
    ranked below it."""
    owner = UserFactory()
    video = lecture_with_one_rare_word(owner)

    moments = moments_by_words(
        personal_workspace_of(owner).pk,
        question_key_words("photosynthesis going lecture"),
        embed_query("photosynthesis lecture"),
    )

    assert (moments[0].start, moments[0].words_found) == (6000.0, 3)
    assert [moment.words_found for moment in moments[1:]] == [2] * 9  # the common words' own windows
    assert {moment.video_id for moment in moments} == {video.pk}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_words_side_runs_beside_the_vector_side_and_finds_the_same() -> None:
    # Outside a transaction (as the site and the chat search) the words side runs on another
    # connection at the same time as the vector side: it sees the same committed windows, and an
    # owner's search still finds only their own.
    owner, other = UserFactory(), UserFactory()
    video = far_video(owner, [(0.0, 6.0, "Welcome back to the apiary."), (6.0, 12.0, EGGS)], away_from=EGGS_QUESTION)
    far_video(other, [(0.0, 6.0, EGGS)], away_from=EGGS_QUESTION)
    assert not connection.in_atomic_block

    quotes = search_quotes(member_in(owner), EGGS_QUESTION)
    moments = search_moments_by_vector(
        personal_workspace_of(owner).pk, embed_query(EGGS_QUESTION), question=EGGS_QUESTION, limit=1
    )

    assert [(quote.video_id, quote.start, quote.text) for quote in quotes] == [(video.pk, 6.0, EGGS)]
    assert [(moment.video_id, moment.text, moment.words_found) for moment in moments] == [(video.pk, EGGS, 3)]
    # A question with no key word at all is the vector side alone, cut to the places asked for.
    assert (
        len(search_moments_by_vector(personal_workspace_of(owner).pk, embed_query("the"), question="the", limit=1)) == 1
    )


def other_sessions_on_this_database() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_words_side_keeps_its_connection_as_a_request_does_until_told_to_close_it(monkeypatch) -> None:
    # With persistent connections (the site's default) the words-side thread keeps its connection
    # for the next search; a bench closes them all before dropping its database.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    owner = UserFactory()
    far_video(owner, [(0.0, 6.0, EGGS)], away_from=EGGS_QUESTION)
    # An earlier search in this process may have left the words side's session open; sessions of
    # earlier tests' servers may still be leaving on a busy machine: only the search's own count.
    close_words_side_connections()
    before = other_sessions_on_this_database()

    assert [quote.text for quote in search_quotes(member_in(owner), EGGS_QUESTION)] == [EGGS]
    opened = other_sessions_on_this_database() - before
    assert opened

    close_words_side_connections()
    # A closed session's backend leaves pg_stat_activity a moment later (DROP DATABASE waits up to
    # 5 s for that, too). Only the search's own sessions count: another test's may come and go.
    deadline = time.monotonic() + 5.0
    while opened & other_sessions_on_this_database() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened & other_sessions_on_this_database() == set()


def test_a_mid_sized_owners_frequent_word_finds_their_windows_and_no_one_elses() -> None:
    """An owner with a tenth of all windows, and a word said in 0.8 % of all windows (not common),
    as often by another person: GIN finds the owner's windows saying it through the owner's lexeme,
    with Postgres' statistics in place (ANALYZE). The owner finds every window of theirs that says
    it, and none of another person's."""
    owner, other = UserFactory(), UserFactory()
    said = "Photosynthesis turns light into sugar in the leaf."

    def lines(count: int, saying: int) -> list[tuple[float, float, str]]:
        return [
            (40.0 * i, 40.0 * i + 30.0, said if i < saying else f"Part {i} of the course on soil and water.")
            for i in range(count)
        ]

    own = far_video(owner, lines(100, 4), away_from=said)
    far_video(other, lines(900, 4), away_from=said)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos_transcriptchunk")

    moments = moments_by_words(
        personal_workspace_of(owner).pk, question_key_words("photosynthesis"), embed_query(said), limit=10
    )

    assert sorted((moment.video_id, moment.start, moment.words_found) for moment in moments) == [
        (own.pk, 40.0 * i, 1) for i in range(4)
    ]
