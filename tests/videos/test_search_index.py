"""Transcript search by vector takes one of two ways by the workspace's chunk count: workspaces with
many chunks (HNSW_MIN_OWNER_CHUNKS or more) walk their part of the HNSW index (one partial index per
remainder of the workspace's id), which holds the vectors as halfvec; the others, and any search
inside one video, read their chunks and sort them exactly. Either way the distances are the full
vectors' and the workspace's chunks alone come back."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory, VideoFactory
from videos.models import CHUNK_INDEX_PARTS, TEXT_EMBEDDING_DIM, TranscriptChunk, Video, chunk_index_part
from videos.selectors import search_moments_by_vector, use_iterative_hnsw_scan
from workspaces.models import Workspace
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

INDEX_NAME = "chunk_embedding_hnsw_"


def unit(vectors: np.ndarray) -> np.ndarray:
    return np.asarray(vectors / np.linalg.norm(vectors, axis=-1, keepdims=True), dtype=np.float32)


def add_chunks(workspace: Workspace, vectors: np.ndarray, *, per_video: int = 20) -> list[TranscriptChunk]:
    """One chunk per vector, `per_video` to a video of the workspace, in the order given."""
    chunks = []
    for first in range(0, len(vectors), per_video):
        video = VideoFactory(
            owner=workspace.created_by, workspace=workspace, title=f"Video {first}", status=Video.Status.READY,
            duration=800.0,
        )  # fmt: skip
        chunks += [
            TranscriptChunk(
                video=video, workspace=workspace, index=i, start=40.0 * i, end=40.0 * (i + 1),
                text=f"chunk {first + i}", embedding=vector,
            )
            for i, vector in enumerate(vectors[first : first + per_video])
        ]  # fmt: skip
    return TranscriptChunk.objects.bulk_create(chunks)


def nearest(
    chunks: list[TranscriptChunk], vectors: np.ndarray, query: np.ndarray, count: int
) -> list[tuple[int, float]]:
    """The true nearest `count` chunks (id, cosine distance), computed here in float64."""
    distances = 1.0 - unit(vectors).astype(np.float64) @ (query / np.linalg.norm(query)).astype(np.float64)
    order = np.argsort(distances)[:count]
    return [(chunks[i].pk, float(distances[i])) for i in order]


def search_plan(workspace_id: int, query: np.ndarray, *, video_id: int | None = None) -> str:
    """The plan of the search's own SQL, with sorting priced out: the HNSW index is in it if and only
    if the index can serve the query's order (it orders by the very expression the index holds)."""
    with CaptureQueriesContext(connection) as captured:
        search_moments_by_vector(workspace_id, query, video_id=video_id)
    select = next(query["sql"] for query in captured.captured_queries if "<=>" in query["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        use_iterative_hnsw_scan(cursor)
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {select}")
        return "\n".join(line for (line,) in cursor.fetchall())


def part_scans() -> dict[str, int]:
    """How many scans this transaction has made of each part of the chunks' HNSW index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_stat_get_xact_numscans(oid) FROM pg_class WHERE relkind = 'i' AND relname LIKE %s",
            [f"{INDEX_NAME}%"],
        )
        return dict(cursor.fetchall())


@pytest.fixture
def world() -> tuple[int, list[TranscriptChunk], np.ndarray, np.ndarray]:
    """A workspace (its id first) with 60 chunks, ten of them (the first video's first ten) close to
    the query and the rest random, beside a stranger's workspace in the same part of the index with
    60 chunks closer still to the query."""
    rng = np.random.default_rng(18)
    query = unit(rng.standard_normal(TEXT_EMBEDDING_DIM))
    close = unit(query + 0.6 * unit(rng.standard_normal((10, TEXT_EMBEDDING_DIM))))
    own_vectors = np.concatenate([close, unit(rng.standard_normal((50, TEXT_EMBEDDING_DIM)))])
    own = personal_workspace_of(UserFactory())
    chunks = add_chunks(own, own_vectors)
    stranger = UserFactory()
    strangers = Workspace.objects.create(
        pk=own.pk + CHUNK_INDEX_PARTS, name="Theirs", kind=Workspace.Kind.TEAM, created_by=stranger
    )
    add_chunks(strangers, unit(query + 0.3 * unit(rng.standard_normal((60, TEXT_EMBEDDING_DIM)))))
    return own.pk, chunks, own_vectors, query


def test_many_chunks_walk_the_halfvec_index_and_get_the_full_vectors_distances(world, settings) -> None:
    workspace_id, chunks, vectors, query = world
    settings.HNSW_MIN_OWNER_CHUNKS = 60

    moments = search_moments_by_vector(workspace_id, query, limit=10)

    expected = nearest(chunks, vectors, query, 10)
    assert [moment.chunk_id for moment in moments] == [pk for pk, _ in expected]
    # To a millionth: the full vectors' distance (halfvec's 16-bit floats are off by ~1e-4).
    assert [moment.distance for moment in moments] == pytest.approx([distance for _, distance in expected], abs=1e-6)
    assert INDEX_NAME in search_plan(workspace_id, query)


def test_few_chunks_are_searched_exactly_without_the_index(world, settings) -> None:
    workspace_id, chunks, vectors, query = world
    settings.HNSW_MIN_OWNER_CHUNKS = 61

    moments = search_moments_by_vector(workspace_id, query, limit=12)

    expected = nearest(chunks, vectors, query, 12)
    assert [moment.chunk_id for moment in moments] == [pk for pk, _ in expected]
    assert [moment.distance for moment in moments] == pytest.approx([distance for _, distance in expected], abs=1e-6)
    assert INDEX_NAME not in search_plan(workspace_id, query)


def test_the_walk_reads_the_workspaces_part_of_the_index_alone(world, settings) -> None:
    """Run as the site runs it (parameters bound on the server, not written into the SQL as the
    plan above is): Postgres must still see that the workspace's part holds every row the query can
    return, or it can walk no index at all. And it walks it though an exact sort of so few rows
    would look cheaper to it: the search prices sorting out once it has chosen the walk."""
    workspace_id, chunks, vectors, query = world
    settings.HNSW_MIN_OWNER_CHUNKS = 1
    before = part_scans()

    moments = search_moments_by_vector(workspace_id, query, limit=10)

    assert [moment.chunk_id for moment in moments] == [pk for pk, _ in nearest(chunks, vectors, query, 10)]
    scanned = {name for name, scans in part_scans().items() if scans > before.get(name, 0)}
    assert scanned == {f"{INDEX_NAME}{chunk_index_part(workspace_id)}"}


def test_a_small_share_of_a_part_is_searched_exactly_however_many(world, settings) -> None:
    """The workspace's 60 chunks are half of a part's average size when the table holds 60 × 2 × the
    number of parts: through the index at a 50 % threshold, exactly above it."""
    workspace_id, chunks, vectors, query = world
    others = 60 * 2 * CHUNK_INDEX_PARTS - 120
    random = unit(np.random.default_rng(19).standard_normal((others, TEXT_EMBEDDING_DIM)))
    add_chunks(personal_workspace_of(UserFactory()), random, per_video=60)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos_transcriptchunk")  # the share is read from Postgres' row estimate
    settings.HNSW_MIN_OWNER_CHUNKS = 1

    settings.HNSW_MIN_OWNER_PERCENT = 50
    assert INDEX_NAME in search_plan(workspace_id, query)

    settings.HNSW_MIN_OWNER_PERCENT = 51
    moments = search_moments_by_vector(workspace_id, query, limit=10)
    assert [moment.chunk_id for moment in moments] == [pk for pk, _ in nearest(chunks, vectors, query, 10)]
    assert INDEX_NAME not in search_plan(workspace_id, query)


def test_a_search_inside_one_video_is_exact_whatever_its_workspace_holds(world, settings) -> None:
    workspace_id, chunks, vectors, query = world
    settings.HNSW_MIN_OWNER_CHUNKS = 1
    video_id = chunks[25].video_id  # the second video: none of the ten close chunks
    in_video = [i for i, chunk in enumerate(chunks) if chunk.video_id == video_id]

    moments = search_moments_by_vector(workspace_id, query, limit=5, video_id=video_id)

    expected = nearest([chunks[i] for i in in_video], vectors[in_video], query, 5)
    assert [moment.chunk_id for moment in moments] == [pk for pk, _ in expected]
    assert INDEX_NAME not in search_plan(workspace_id, query, video_id=video_id)


def test_the_index_walk_goes_on_past_other_workspaces_chunks_until_it_has_enough(world, settings) -> None:
    """The stranger's 60 chunks are all nearer the query than any of the workspace's: a plain walk of
    ef_search (10 here) would find none of the workspace's; the iterative scan goes on."""
    workspace_id, chunks, _, query = world
    settings.HNSW_MIN_OWNER_CHUNKS = 1
    settings.HNSW_EF_SEARCH = 10

    moments = search_moments_by_vector(workspace_id, query, limit=10)

    own = {chunk.pk for chunk in chunks}
    assert len(moments) == 10 and {moment.chunk_id for moment in moments} <= own
    assert [moment.distance for moment in moments] == sorted(moment.distance for moment in moments)
