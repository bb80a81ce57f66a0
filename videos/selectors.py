"""Reads for videos and uploads. Ownership lives here: another user's object is a 404."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Q, QuerySet
from django.http import Http404

from sage.sql import TableNames, sql
from videos.models import (
    CHUNK_INDEX_PARTS,
    TEXT_EMBEDDING_DIM,
    Comparison,
    Project,
    Transcript,
    TranscriptChunk,
    TranscriptSegment,
    Upload,
    Video,
    chunk_index_part,
)
from videos.text_embedding.model import embed_query
from videos.text_search.answer_kinds import asked_kinds
from videos.text_search.fusion import fuse
from videos.text_search.words import (
    KEY_WORD_CONFIGS,
    NO_KEY_WORDS,
    KeyWords,
    key_words_from,
    plain_words,
    searchable_text,
    workspace_tsquery,
)
from videos.timed_text import TimedLine, words_from_json
from videos.vector_params import binary_vector
from workspaces.models import Membership

# What lives in a deleted project is out of sight (lists, search, the API) until it is restored:
# true for a row with no project too (the join is a LEFT JOIN, its deleted_at NULL).
NOT_IN_DELETED_PROJECT = Q(project__deleted_at__isnull=True)


def videos_for_user(member: Membership) -> QuerySet[Video]:
    """The videos of `member`'s workspace (the one the request acts in, workspaces.current): theirs and their team's,
    but not those of a deleted project."""
    return Video.objects.filter(NOT_IN_DELETED_PROJECT, workspace_id=member.workspace_id)


def video_get_for_user(member: Membership, pk: int | str) -> Video:
    try:
        return videos_for_user(member).get(pk=int(pk))
    except (Video.DoesNotExist, ValueError, TypeError):
        raise Http404("No such video.") from None


# The one way past ownership, for reading only: what the site's sample account owns (the shared
# sample every account can open). Writes keep `video_get_for_user`, so the sample stays read-only.
SHARED_SAMPLE = Q(owner__is_sample_owner=True)

# A comparison is out of sight with its project, and with either video's (it would show them).
COMPARISONS_VISIBLE = (
    Q(project__deleted_at__isnull=True)
    & Q(video_a__project__deleted_at__isnull=True)
    & Q(video_b__project__deleted_at__isnull=True)
)


def comparisons_for_user(member: Membership) -> QuerySet[Comparison]:
    """The member's workspace's comparisons in sight (`videos.compare.selectors` reads them through
    this; here so the app's socket authorizer reaches it without importing the compare package)."""
    return Comparison.objects.filter(COMPARISONS_VISIBLE, workspace_id=member.workspace_id).select_related(
        "video_a", "video_b"
    )


def video_get_to_view(member: Membership, pk: int | str) -> Video:
    """My video, or one of the shared sample's, to look at (pages, files, pictures): never to change."""
    try:
        return (
            Video.objects.filter(Q(workspace_id=member.workspace_id) | SHARED_SAMPLE)
            .filter(NOT_IN_DELETED_PROJECT)
            .get(pk=int(pk))
        )
    except (Video.DoesNotExist, ValueError, TypeError):
        raise Http404("No such video.") from None


def upload_get_for_user(member: Membership, pk: uuid.UUID | str) -> Upload:
    try:
        # The uploader's own: a colleague sees the video, not the upload still arriving in parts.
        return Upload.objects.select_related("video").get(
            pk=uuid.UUID(str(pk)), owner=member.user, workspace_id=member.workspace_id
        )
    except (Upload.DoesNotExist, ValueError):
        raise Http404("No such upload.") from None


def transcript_for_video(video: Video) -> Transcript | None:
    return Transcript.objects.filter(video=video).first()


def transcript_segments(video: Video, *, limit: int | None = None) -> list[TranscriptSegment]:
    segments = TranscriptSegment.objects.filter(transcript__video=video).order_by("index")
    return list(segments[:limit] if limit is not None else segments)


# Besides its times and text, what a line keeps from the recogniser: its words with their times,
# and whether it was unsure of it.
_LINE_EXTRAS = ("words", "low_confidence")


def transcript_lines(video_id: int, *, low: float | None = None, high: float | None = None) -> list[TimedLine]:
    """The video's transcript lines in order, as timed text (words and confidence included); only
    those said between `low` and `high` seconds when given."""
    rows = TranscriptSegment.objects.filter(transcript__video_id=video_id)
    if low is not None:
        rows = rows.filter(end__gte=low)
    if high is not None:
        rows = rows.filter(start__lte=high)
    return [_line(row) for row in rows.order_by("index").values("start", "end", "text", *_LINE_EXTRAS)]


_LINES_AROUND_SQL = sql(
    """
SELECT DISTINCT ON ({s.transcript_id}, {s.index})
       {t.video_id}, {s.start}, {s.end}, {s.text}, {s.words}, {s.low_confidence}
FROM unnest(%s::bigint[], %s::float8[], %s::float8[]) AS span(video_id, low, high)
JOIN {Transcript} t ON {t.video_id} = span.video_id
JOIN {Segment} s
  ON {s.transcript_id} = {t.id} AND {s.end} >= span.low AND {s.start} <= span.high
ORDER BY {s.transcript_id}, {s.index}
""",
    Transcript=Transcript,
    Segment=TranscriptSegment,
    t=TableNames(Transcript, alias="t"),
    s=TableNames(TranscriptSegment, alias="s"),
)


def transcript_lines_around(spans: Sequence[tuple[int, float, float]]) -> list[list[TimedLine]]:
    """For each (video id, low, high), the lines of that video said between `low` and `high` seconds,
    in order: one query for all."""
    if not spans:
        return []
    # In SQL of its own: it runs before every chat answer's first word, and the ORM took longer to
    # build an OR of the spans (a join each) than Postgres took to answer it.
    # One type per array (psycopg refuses a list of ints and floats).
    video_ids = [int(video_id) for video_id, _, _ in spans]
    lows, highs = [float(low) for _, low, _ in spans], [float(high) for _, _, high in spans]
    with connection.cursor() as cursor:
        cursor.execute(_LINES_AROUND_SQL, [video_ids, lows, highs])
        lines = [
            (video_id, _line({"start": start, "end": end, "text": text, "words": words, "low_confidence": low}))
            for video_id, start, end, text, words, low in cursor.fetchall()
        ]
    return [
        [line for video, line in lines if video == video_id and line.end >= low and line.start <= high]
        for video_id, low, high in spans
    ]


def _line(row: dict[str, Any]) -> TimedLine:
    return TimedLine(
        start=row["start"],
        end=row["end"],
        text=row["text"],
        # jsonb read through a raw cursor comes as text (Django's loader); through the ORM, decoded.
        words=words_from_json(json.loads(row["words"]) if isinstance(row["words"], str) else row["words"]),
        low_confidence=row["low_confidence"],
    )


@dataclass(frozen=True)
class Moment:
    """A search window (transcript or on-screen text) that answers a search, with where it is in
    which video, how close in meaning it is, and how many of the question's key words it says."""

    video_id: int
    video_title: str
    start: float
    end: float
    text: str
    distance: float  # cosine distance, 0 = same meaning
    chunk_id: int = 0  # the TranscriptChunk it is
    kind: str = TranscriptChunk.Kind.SAID  # said (transcript) or shown (on-screen text)
    words_found: int = 0  # how many of `key_words` its text holds (full-text side; 0 when not searched)
    key_words: KeyWords = NO_KEY_WORDS  # the question's, when the search had words

    @property
    def score(self) -> float:
        return 1.0 - self.distance


def search_moments(member: Membership, query: str, *, limit: int = 10, video: Video | None = None) -> list[Moment]:
    """The moments of the videos of `member`'s workspace that best answer `query` by
    meaning and by words, best first."""

    query = query.strip()
    if not query:
        return []
    video_id = video.pk if video is not None else None
    return search_moments_by_vector(
        member.workspace_id, embed_query(query), question=query, limit=limit, video_id=video_id
    )


def use_iterative_hnsw_scan(cursor: CursorWrapper) -> None:
    """For the rest of the current transaction, HNSW scans search HNSW_EF_SEARCH wide and go on
    (relaxed order) until enough rows pass the query's filters, or HNSW_MAX_SCAN_TUPLES entries have
    been visited; and each statement is planned for its own parameters (one the connection has
    prepared may otherwise run on a generic plan, made once for any workspace, which cannot know whether
    the index or an exact sort serves this one). Local to the transaction (set_config's third
    argument, like SET LOCAL), so none of it leaks to a pooled connection."""
    cursor.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.max_scan_tuples', %s, true), set_config('plan_cache_mode', 'force_custom_plan', true)",
        [str(settings.HNSW_EF_SEARCH), str(settings.HNSW_MAX_SCAN_TUPLES)],
    )


# How many chunks make a workspace's share worth the index walk, whether this one has that many, and
# the scan settings (see below).
_THROUGH_INDEX_SQL = sql(
    "WITH needed AS (SELECT greatest(%s, ceil(%s * reltuples / %s / 100))::bigint AS chunks FROM pg_class "
    "WHERE oid = '{Chunk}'::regclass), "
    "way AS (SELECT (SELECT count(*) FROM (SELECT 1 FROM {Chunk} WHERE {Chunk.workspace_id} = %s "
    "LIMIT (SELECT chunks FROM needed)) AS enough) >= (SELECT chunks FROM needed) AS through_index) "
    "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), "
    "set_config('hnsw.max_scan_tuples', %s, true), set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('enable_sort', CASE WHEN through_index THEN 'off' ELSE 'on' END, true), through_index FROM way",
    Chunk=TranscriptChunk,
)


def _search_chunks_through_index(cursor: CursorWrapper, workspace_id: int) -> bool:
    """Whether the workspace's search should walk its part of the HNSW index rather than read all
    its chunks: when it has HNSW_MIN_OWNER_CHUNKS chunks or more and at least
    HNSW_MIN_OWNER_PERCENT of a part's average size (Postgres' own row estimate of the table over
    CHUNK_INDEX_PARTS; the settings keep their names, set as they are in deployments). Below that
    share a filtered walk goes far for each of the workspace's rows and misses more of them, while
    an exact sort costs by the workspace's rows alone. Sets the iterative scan and custom plans in
    the same round trip (as use_iterative_hnsw_scan), and, for a walk, prices sorting out: Postgres
    would otherwise sort some workspaces of 10k–30k chunks exactly, at two to three times the walk's
    time (bench/search.py at a million); the re-sort of the few rows found has no other way and
    still runs. Counting stops at the threshold, so it reads at most that many entries of the
    workspace index."""
    cursor.execute(
        _THROUGH_INDEX_SQL,
        [
            settings.HNSW_MIN_OWNER_CHUNKS,
            settings.HNSW_MIN_OWNER_PERCENT,
            CHUNK_INDEX_PARTS,
            workspace_id,
            str(settings.HNSW_EF_SEARCH),
            str(settings.HNSW_MAX_SCAN_TUPLES),
        ],
    )
    (*_, enough) = cursor.fetchone()
    return bool(enough)


# The videos of the workspace (its id the parameter) that are in a deleted project: out of sight
# until it is restored (NOT_IN_DELETED_PROJECT), so never a search's window. Left out by the search's
# own statements, as each candidate window is read, so a page still fills when some are hidden. Read
# once a statement, as a hashed subplan probed for each window: the workspace's deleted projects
# first (few), then their videos through the project index. (Joined to the projects instead,
# Postgres read every video of the workspace to hash them, 8 ms for a studio of 10,000; checked
# window by window through its video, a lookup each, a search took 40-60 % longer; a flag on
# the chunks costs about as little as this, and needs every window of a project written whenever
# it is deleted or restored. bench/teams.py's data, figures in the commit.)
_HIDDEN_VIDEOS_SQL = sql(
    "SELECT {hv.id} FROM {Video} hv WHERE {hv.project_id} = ANY(ARRAY("
    "SELECT {hp.id} FROM {Project} hp WHERE {hp.workspace_id} = %s AND {hp.deleted_at} IS NOT NULL))",
    Video=Video,
    Project=Project,
    hv=TableNames(Video, alias="hv"),
    hp=TableNames(Project, alias="hp"),
)

_NEAREST_IN_VIDEO_SQL = sql(
    """
SELECT {c.id}, {c.video_id}, {v.title}, {c.start}, {c.end}, {c.text}, {c.kind},
       {c.embedding} <=> %s::vector AS distance
FROM {Chunk} c JOIN {Video} v ON {v.id} = {c.video_id}
WHERE {c.workspace_id} = %s AND {c.video_id} = %s AND {c.video_id} NOT IN ({hidden})
ORDER BY distance, {c.id}
LIMIT %s
""",
    Chunk=TranscriptChunk,
    Video=Video,
    c=TableNames(TranscriptChunk, alias="c"),
    v=TableNames(Video, alias="v"),
    hidden=_HIDDEN_VIDEOS_SQL,
)


def _nearest_in_video(workspace_id: int, video_id: int, vector: np.ndarray, *, limit: int) -> list[Moment]:
    """One video's chunks nearest to `vector`, exactly (no index, no scan settings, no transaction).
    In SQL of its own: the chat asks it before every answer's first word, and the ORM spent more
    Python building the query than Postgres spent on one video's few hundred rows."""
    # A vector: not in the stubs' list of parameter types.
    parameters: list[Any] = [binary_vector(vector), workspace_id, video_id, workspace_id, limit]
    with connection.cursor() as cursor:
        cursor.execute(_NEAREST_IN_VIDEO_SQL, parameters)
        return _moments(cursor.fetchall())


def _moments(rows: Sequence[Sequence[Any]], key_words: KeyWords = NO_KEY_WORDS) -> list[Moment]:
    """Moments from rows of (chunk id, video id, video title, start, end, text, kind, distance[,
    key words found])."""
    return [
        Moment(
            video_id=video_id,
            video_title=title,
            start=start,
            end=end,
            text=text,
            distance=float(distance),
            chunk_id=chunk_id,
            kind=kind,
            words_found=int(found[0]) if found else 0,
            key_words=key_words,
        )
        for chunk_id, video_id, title, start, end, text, kind, distance, *found in rows
    ]


def search_moments_by_vector(
    workspace_id: int, vector: np.ndarray, *, question: str = "", limit: int = 10, video_id: int | None = None
) -> list[Moment]:
    """The workspace's windows (of one video, when `video_id` is given) that best answer a question:
    the `limit` nearest to its `vector` (`nearest_moments`) and the `limit` that say most of its key
    words (`moments_by_words`; only when the `question`'s text is given), fused by reciprocal rank
    (videos.text_search.fusion), best first. Windows of one video saying the same words (a repeated
    line, a slide shown twice) are one, so repeats cannot fill the places. Whether a window answers
    at all is the caller's to judge (videos.search.relevant): by its distance, or its words."""
    if not question.strip():
        return nearest_moments(workspace_id, vector, limit=limit, video_id=video_id)
    # Each side fetches twice the places, so repeats merged away leave enough to fill them.
    if connection.in_atomic_block or video_id is not None:
        # One after the other: another connection would not see what this transaction has written;
        # and in one video each side takes a few milliseconds, less than handing one to a thread
        # costs (its connection's health check, the handover; the chat asks this for every answer).
        key_words, by_words = _words_side(workspace_id, question, vector, limit=2 * limit, video_id=video_id)
        if not key_words:
            return nearest_moments(workspace_id, vector, limit=limit, video_id=video_id)
        nearest = nearest_moments(workspace_id, vector, limit=2 * limit, video_id=video_id)
    else:
        words_side: Future[tuple[KeyWords, list[Moment]]] = Future()
        words_side_threads().submit(
            _words_side_on_its_connection,
            words_side,
            workspace_id,
            question,
            vector,
            limit=2 * limit,
            video_id=video_id,
        )
        nearest = nearest_moments(workspace_id, vector, limit=2 * limit, video_id=video_id)
        _read_for_merging(nearest)  # while the words side may still run
        key_words, by_words = words_side.result()
        if not key_words:
            return nearest[:limit]
    return fuse(
        [[replace(moment, key_words=key_words) for moment in nearest], by_words],
        identity=lambda moment: (moment.video_id, plain_words(moment.text)),
        merge=lambda kept, other: replace(kept, words_found=max(kept.words_found, other.words_found)),
        limit=limit,
    )


def _read_for_merging(moments: Sequence[Moment]) -> None:
    """Reads each window's plain words, which the merge of the two sides compares (plain_words keeps
    them). Each side's thread calls this as soon as it has its windows, so the merge, which waits
    for the slower side, finds them ready: a millisecond for forty windows of a library."""
    for moment in moments:
        plain_words(moment.text)


# The two sides of a search over all the workspace's videos run side by side, each on a connection (and
# so a Postgres backend, a core) of its own: the search then takes as long as its slower side, not
# their sum (bench/search.py at a million windows; figures in bench/RESULTS.md). A few threads serve
# the searches one process runs at once, each keeping a connection of its own (or, in the web process,
# taking one from its pool for each search).
WORDS_SIDE_THREADS = 4


@functools.cache
def _words_side_threads_of(process_id: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORDS_SIDE_THREADS, thread_name_prefix="search-words")


def words_side_threads() -> ThreadPoolExecutor:
    """This process's threads for the words side (a forked worker makes its own: threads do not
    survive a fork)."""
    return _words_side_threads_of(os.getpid())


def close_words_side_connections() -> None:
    """Close the connections the words-side threads keep (say, before their database is dropped):
    one closing job per thread, each held until all have started, so no thread takes two."""
    threads = words_side_threads()
    all_started = threading.Barrier(WORDS_SIDE_THREADS)

    def close_this_threads_connections() -> None:
        all_started.wait()
        connections.close_all()

    for job in [threads.submit(close_this_threads_connections) for _ in range(WORDS_SIDE_THREADS)]:
        job.result()


def _words_side(
    workspace_id: int, question: str, vector: np.ndarray, *, limit: int, video_id: int | None
) -> tuple[KeyWords, list[Moment]]:
    key_words = question_key_words(question)
    return key_words, moments_by_words(workspace_id, key_words, vector, limit=limit, video_id=video_id)


def _words_side_on_its_connection(
    answer: Future[tuple[KeyWords, list[Moment]]],
    workspace_id: int,
    question: str,
    vector: np.ndarray,
    *,
    limit: int,
    video_id: int | None,
) -> None:
    """`_words_side` in one of the words-side threads, its `answer` given as soon as it is found.
    Then, off the search's path, the connection is seen to as Django does after a request. With the
    web process's pool (DB_POOL) it goes back there, and the next search takes one at once. Without
    it, one closed (broken, or older than DB_CONN_MAX_AGE) is opened again here for the next search:
    opening one takes 10-20 ms, and in the search's path those reopenings were most of the hybrid
    search's slowest twentieth (bench/search.py)."""
    try:
        found = _words_side(workspace_id, question, vector, limit=limit, video_id=video_id)
        _read_for_merging(found[1])  # while the vector side may still run
        answer.set_result(found)
    except BaseException as error:
        answer.set_exception(error)
    finally:
        close_old_connections()
        if connection.connection is None and not settings.DB_POOL:
            with contextlib.suppress(DatabaseError):  # unreachable now: the next search says so
                connection.ensure_connection()


# The workspace's nearest chunks first, then their videos' titles: joined before the sort, Postgres
# would hash every video to give each of the workspace's chunks a title, and sort them all with it. In SQL of
# its own (as _NEAREST_IN_VIDEO_SQL): the ORM spent more Python building it than the chat's search
# spent in Postgres, and sent the vector twice as text.
_NEAREST_SQL = """
SELECT {c.id}, {c.video_id}, {v.title}, {c.start}, {c.end}, {c.text}, {c.kind},
       {c.embedding} <=> %s::vector AS distance
FROM {Chunk} c JOIN {Video} v ON {v.id} = {c.video_id}
WHERE {c.id} IN (SELECT {n.id} FROM {Chunk} n
                 WHERE {n.workspace_id} = %s AND {n.video_id} NOT IN ({hidden}) {nearest} LIMIT %s)
ORDER BY distance, {c.id}
LIMIT %s
"""


# The walk states the index's expressions exactly (videos.models: its part's condition, the halfvec
# of the embedding), or Postgres cannot use it; the rows it finds are re-sorted on the full vectors.
def _nearest_sql(nearest: str) -> str:
    """_NEAREST_SQL with `nearest` (the inner query's filter and order, after the workspace's) filled in."""
    return sql(
        _NEAREST_SQL.replace("{nearest}", nearest),
        Chunk=TranscriptChunk,
        Video=Video,
        c=TableNames(TranscriptChunk, alias="c"),
        n=TableNames(TranscriptChunk, alias="n"),
        v=TableNames(Video, alias="v"),
        hidden=_HIDDEN_VIDEOS_SQL,
    )


_NEAREST_THROUGH_INDEX_SQL = _nearest_sql(
    f"AND mod({{n.workspace_id}}, {CHUNK_INDEX_PARTS}::bigint) = %s "
    f"ORDER BY ({{n.embedding}})::halfvec({TEXT_EMBEDDING_DIM}) <=> %s::vector::halfvec({TEXT_EMBEDDING_DIM})"
)
_NEAREST_EXACTLY_SQL = _nearest_sql("ORDER BY {n.embedding} <=> %s::vector")


def nearest_moments(
    workspace_id: int, vector: np.ndarray, *, limit: int = 10, video_id: int | None = None
) -> list[Moment]:
    """The workspace's chunks nearest to `vector`, by cosine distance, best first.

    The HNSW index is in parts, each shared by the workspaces whose id leaves the same remainder
    (videos.models.CHUNK_INDEX_PARTS), so one workspace's search is a filtered walk of its part: it
    pays when that workspace holds a good share of it, and costs more than it saves (and finds less)
    for one with few chunks, whose rows are read and sorted exactly instead, which is cheap when
    they are few. Which way is chosen here, by the workspace's chunk count and share of its part:
    Postgres' own choice knows neither how far a filtered walk goes nor what an exact sort of a
    mid-sized workspace costs. One video's chunks are always searched exactly.

    The index holds the vectors as halfvec (16-bit floats: half the size, a faster build): the walk
    orders by the halfvec distance, and the distances returned are the full vectors', re-sorted here
    (relaxed_order may also return a few rows out of order). The iterative scan keeps walking
    until `limit` rows pass the workspace filter.

    Takes ids, not objects: chunks carry their workspace, so the filter needs no user or video row (the
    chat asks this for every question, and each saved query counts under load).
    """
    if video_id is not None:
        return _nearest_in_video(workspace_id, video_id, vector, limit=limit)
    question = binary_vector(vector)
    with transaction.atomic(), connection.cursor() as cursor:  # the scan settings are SET LOCAL
        if _search_chunks_through_index(cursor, workspace_id):
            statement = _NEAREST_THROUGH_INDEX_SQL
            parameters: list[Any] = [question, workspace_id, workspace_id, chunk_index_part(workspace_id), question]
        else:
            statement, parameters = _NEAREST_EXACTLY_SQL, [question, workspace_id, workspace_id, question]
        parameters += [limit, limit]
        cursor.execute(statement, parameters)
        rows = cursor.fetchall()
    return _moments(rows)


_KEY_WORDS_SQL = (
    "SELECT english.alias, english.token, english.lexemes, plain.lexemes "
    "FROM ts_debug(%s::regconfig, %s) WITH ORDINALITY AS english(alias, description, token, dictionaries, "
    "dictionary, lexemes, position) "
    "JOIN ts_debug(%s::regconfig, %s) WITH ORDINALITY AS plain(alias, description, token, dictionaries, "
    "dictionary, lexemes, position) USING (position) "
    "ORDER BY position"
)


def question_key_words(question: str) -> KeyWords:
    """The question's key words as Postgres reads them (videos.text_search.words.key_words_from):
    numbers in digits, each word stemmed as English and as written; with the kinds of answer it
    asks for (videos.text_search.answer_kinds)."""
    text = searchable_text(question)
    english, plain = KEY_WORD_CONFIGS
    with connection.cursor() as cursor:
        cursor.execute(_KEY_WORDS_SQL, [english, text, plain, text])
        return replace(key_words_from(cursor.fetchall()), asks=asked_kinds(question))


# Each key word's windows, at most this many (in no order): the windows saying most of the words
# are then ranked among them. The cap bounds what a word many windows say costs a person with a
# hundred thousand windows; a rarer word's windows are all read.
WINDOWS_PER_WORD = 200
# A key word said in more than this share of all windows (Postgres' statistics of the column) finds
# no windows of its own when the question has a rarer one: "going" or "look", said in most windows
# of most talks, tell nothing apart, and reading a heavy workspace's windows for them cost as much as
# the rest of the search. It still counts in the ranking of the windows the rarer words found.
COMMON_WORD_SHARE = 0.01
# ... and in at least this many windows: what a word costs through the index is the length of its
# list there, not its share. In a site of a few tens of thousands of windows (a studio's versions saying
# the same lines), a word in 2 % of them is a list of a few hundred, read in a millisecond, while
# reading the workspace's windows for it (below) cost a team's search 30-60 ms (bench/teams.py). At a
# million windows (bench/search.py) 1 % is this many, so the rule there is as it was.
COMMON_WORD_WINDOWS = 10_000
COMMON_WORD_WINDOWS_READ = 20 * WINDOWS_PER_WORD


_BY_WORDS_SQL = """
WITH hidden AS MATERIALIZED ({hidden}), {shares}hits AS ({per_word}),
pool AS (SELECT id FROM hits GROUP BY id ORDER BY count(*) DESC LIMIT %s)
SELECT {c.id}, {c.video_id}, {v.title}, {c.start}, {c.end}, {c.text}, {c.kind},
       {c.embedding} <=> %s::vector AS distance,
       (SELECT count(*) FROM unnest(%s::tsquery[]) AS word(query) WHERE {c.search_vector} @@ word.query) AS found
FROM pool JOIN {Chunk} c ON {c.id} = pool.id JOIN {Video} v ON {v.id} = {c.video_id}
ORDER BY found DESC, ts_rank_cd({c.search_vector}, %s::tsquery) DESC, {c.id}
LIMIT %s
"""
# In one video: its few hundred windows, through whichever index Postgres prefers.
_WORD_HITS_IN_VIDEO_SQL = (
    "(SELECT {c.id} AS id FROM {Chunk} c "
    "WHERE {c.workspace_id} = %s AND {c.video_id} = %s AND {c.search_vector} @@ %s::tsquery "
    "AND {c.video_id} NOT IN (SELECT id FROM hidden) LIMIT %s)"
)
# Which key words are common (see COMMON_WORD_SHARE and COMMON_WORD_WINDOWS), from the most common
# lexemes Postgres keeps for the column (a word it does not list is rarer than all it lists) and its
# estimate of the table's rows, read in the same statement.
_COMMON_WORDS_SQL = """common AS MATERIALIZED (
    SELECT coalesce(array_agg(form.word) FILTER (
               WHERE stat.share > %s AND stat.share * (SELECT reltuples FROM pg_class WHERE oid = %s::regclass) >= %s
           ), '{{}}') AS words
    FROM unnest(%s::text[], %s::int[]) AS form(lexeme, word)
    LEFT JOIN (SELECT elem.lexeme, elem.share FROM pg_stats s,
          unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS elem(lexeme, share)
          WHERE s.schemaname = current_schema() AND s.tablename = %s AND s.attname = %s) AS stat USING (lexeme)
), """
# Over all the workspace's windows, a word's windows come through the GIN index, asked for the word
# and the workspace's lexeme together (videos.text_search.words.WORKSPACE_LEXEME_PREFIX): GIN
# intersects the two lists itself, skipping through the longer, so the table is read for the
# workspace's windows saying the word alone, whoever else says it and however many windows the
# workspace has. (Checking each of a word's windows for the owner cost a mid-sized owner most of a
# search; ANDing with the owner index, reading all their entries; bench/search.py, figures in
# bench/RESULTS.md, measured when chunks went by owner.) The workspace column is still what decides
# (`+ 0`: checked on each window found, not looked up in its index). A question of common words only
# reads at most COMMON_WORD_WINDOWS_READ of the workspace's windows for each (a word common among
# everyone's windows may be absent from this workspace's hundred thousand).
_WORD_HITS_SQL = (
    "(SELECT {c.id} AS id FROM {Chunk} c WHERE (SELECT NOT %s = ANY(words) FROM common) "
    "AND {c.search_vector} @@ (%s::tsquery && %s::tsquery) AND {c.workspace_id} + 0 = %s "
    "AND {c.video_id} NOT IN (SELECT id FROM hidden) LIMIT %s) UNION ALL "
    "(SELECT own.id FROM (SELECT {c.id} AS id, {c.search_vector} AS words FROM {Chunk} c "
    "WHERE (SELECT cardinality(words) = %s FROM common) AND {c.workspace_id} = %s "
    "AND {c.video_id} NOT IN (SELECT id FROM hidden) LIMIT %s) AS own "
    "WHERE own.words @@ %s::tsquery LIMIT %s)"
)


@functools.lru_cache(maxsize=64)
def _by_words_sql(words: int, *, in_video: bool) -> str:
    """The full-text statement for a question of `words` key words: one index lookup a word."""
    per_word = " UNION ALL ".join([_WORD_HITS_IN_VIDEO_SQL if in_video else _WORD_HITS_SQL] * words)
    return sql(
        _BY_WORDS_SQL.replace("{per_word}", per_word).replace("{shares}", "" if in_video else _COMMON_WORDS_SQL),
        Chunk=TranscriptChunk,
        Video=Video,
        c=TableNames(TranscriptChunk, alias="c"),
        v=TableNames(Video, alias="v"),
        hidden=_HIDDEN_VIDEOS_SQL,
    )


def moments_by_words(
    workspace_id: int, key_words: KeyWords, vector: np.ndarray, *, limit: int = 10, video_id: int | None = None
) -> list[Moment]:
    """The workspace's windows saying most of `key_words` (then by Postgres' cover density rank), best
    first, each with its distance to `vector` and how many of the words it says: the full-text side
    of a search. One statement: each word's windows through the GIN index on `search_vector`, with the
    workspace's lexeme (or the workspace's rows, when every word is too common for the index to pay),
    counted together."""
    if not key_words:
        return []
    queries = key_words.tsqueries()
    parameters: list[Any] = [workspace_id]  # the hidden videos'
    if video_id is not None:
        for query in queries:
            parameters += [workspace_id, video_id, query, WINDOWS_PER_WORD]
    else:
        lexemes = [(form, number) for number, word in enumerate(key_words.forms) for form in sorted(word)]
        parameters += [
            COMMON_WORD_SHARE,
            TranscriptChunk._meta.db_table,
            COMMON_WORD_WINDOWS,
            [form for form, _ in lexemes],
            [number for _, number in lexemes],
            TranscriptChunk._meta.db_table,
            TranscriptChunk._meta.get_field("search_vector").column,
        ]
        workspace = workspace_tsquery(workspace_id)
        for number, query in enumerate(queries):
            parameters += [number, workspace, query, workspace_id, WINDOWS_PER_WORD]
            parameters += [len(queries), workspace_id, COMMON_WORD_WINDOWS_READ, query, WINDOWS_PER_WORD]
    any_word = " | ".join(f"({query})" for query in queries)
    parameters += [4 * limit, binary_vector(vector), queries, any_word, limit]
    with connection.cursor() as cursor:
        cursor.execute(_by_words_sql(len(queries), in_video=video_id is not None), parameters)
        return _moments(cursor.fetchall(), key_words)
