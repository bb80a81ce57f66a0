"""Comparisons made by an older engine (1: the clip grid, 2: refined before engine 3's findings) or by
none yet, recomputed by the current engine: thresholds kept, each row on its own (a crash loses
nothing, a re-run does nothing), rows whose videos are gone marked so, and meanwhile pages, shared
pages and the API saying only that the row is being recomputed.

Rows are stored by ComparisonFactory as older engines stored them. Most tests stand a stand-in
engine in for the current one (what it finds is tested elsewhere); the first runs the real one on
real files, and the browser test (tests/browser/test_compare_page.py) watches a page through it."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from billing.models import LedgerEntry
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory
from tests.videos.test_compare_refined import original, processed  # noqa: F401 -- fixtures
from tests.videos.test_comparisons import conforms, openapi  # noqa: F401 -- the `openapi` fixture
from videos.compare import recompute
from videos.compare import services as compare_services
from videos.compare.recompute import (
    RECOMPUTING_NOTE,
    SWEEP_KEY,
    UNREADABLE_NOTE,
    Recomputed,
    comparison_recompute_by_id,
    comparisons_recompute,
)
from videos.engine.model import MatchedSpan
from videos.engine.result import DEFAULT_CHANGE_THRESHOLD, EngineResult, judge
from videos.models import Comparison, VideoFingerprint
from videos.tasks import recompute_old_comparisons

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stand_in_engine(comparison: Comparison, threshold: float | None) -> EngineResult:
    """What the current engine would store for two videos that match throughout."""
    duration_a, duration_b = comparison.video_a.duration or 0.0, comparison.video_b.duration or 0.0
    return judge(
        duration_a=duration_a,
        duration_b=duration_b,
        alignment=comparison.alignment,  # type: ignore[arg-type]
        spans=[MatchedSpan(0.0, duration_a, 0.0, duration_b)],
        measured=[],
        threshold=DEFAULT_CHANGE_THRESHOLD if threshold is None else threshold,
    )


@pytest.fixture
def engine(monkeypatch) -> list[int]:
    """The stand-in engine, for videos that have (as far as it is concerned) fingerprints; returns
    the ids of the rows it made, in order."""
    made: list[int] = []

    def refined_row(comparison: Comparison, threshold: float | None) -> EngineResult:
        made.append(comparison.pk)
        return stand_in_engine(comparison, threshold)

    monkeypatch.setattr(recompute, "video_fingerprint", lambda video: object())
    monkeypatch.setattr(recompute, "refined_row", refined_row)
    return made


def older_rows(count: int, **fields: Any) -> list[Comparison]:
    owner = UserFactory()
    return [ComparisonFactory(refined=True, engine=2, owner=owner, **fields) for _ in range(count)]


def test_older_rows_are_recomputed_by_the_current_engine_with_their_thresholds_kept(
    original,  # noqa: F811 -- the fixture imported above
) -> None:
    owner = UserFactory()
    video_a, video_b = processed(owner, original, "a"), processed(owner, original, "b")
    VideoFingerprint.objects.filter(video=video_b).delete()  # processed before fingerprints existed
    videos = {"owner": owner, "video_a": video_a, "video_b": video_b}
    refined = ComparisonFactory(**videos, refined=True, engine=2, threshold=0.3, alignment="cuts")
    clip_grid = ComparisonFactory(**videos, clip_grid=True, alignment="offset")  # 0.05: a clip distance
    unmade = ComparisonFactory(**videos, engine=0, threshold=0.2, alignment="none", matched_spans=[])
    current = ComparisonFactory(**videos, refined=True, metric="euclidean")
    ledger = LedgerEntry.objects.count()

    outcomes = comparisons_recompute()

    assert outcomes == Counter({Recomputed.DONE: 3})
    assert VideoFingerprint.objects.filter(video=video_b).exists()  # made first
    made = {row.pk: row for row in Comparison.objects.all()}
    assert {pk: row.engine for pk, row in made.items()} == dict.fromkeys(made, 3)
    # Engine 2's threshold and an unmade row's are on the current scale: kept. Engine 1's is not.
    assert made[refined.pk].threshold == 0.3
    assert made[clip_grid.pk].threshold == DEFAULT_CHANGE_THRESHOLD
    assert made[unmade.pk].threshold == 0.2
    for row in (made[refined.pk], made[clip_grid.pk], made[unmade.pk]):
        assert row.matched_spans and row.segments == [] and row.verified  # a file against itself
        assert row.summary.startswith("No differences") and not row.unreadable
    assert made[current.pk].updated_at == current.updated_at  # a current row is left as it is
    assert LedgerEntry.objects.count() == ledger  # nobody pays for it

    # Run again: nothing is left to do, and nothing is written.
    assert comparisons_recompute() == Counter()
    assert {row.pk: row.updated_at for row in Comparison.objects.all()} == {
        pk: row.updated_at for pk, row in made.items()
    }


def test_a_crash_mid_way_loses_nothing_and_the_next_run_goes_on(engine, monkeypatch) -> None:
    first, second, third = older_rows(3)
    stored = compare_services.store_refined

    def crash_on_the_second(comparison: Comparison, result: EngineResult) -> None:
        stored(comparison, result)  # written into the row, not yet saved…
        if comparison.pk == second.pk:
            raise SystemExit("the worker is killed")  # …when the worker dies

    monkeypatch.setattr(recompute, "store_refined", crash_on_the_second)
    with pytest.raises(SystemExit):
        comparisons_recompute()

    rows = {row.pk: row for row in Comparison.objects.all()}
    assert rows[first.pk].engine == 3
    # The row under way is as it was, not half-written; the rest untouched.
    assert (rows[second.pk].engine, rows[second.pk].segments) == (2, second.segments)
    assert rows[third.pk].engine == 2

    monkeypatch.setattr(recompute, "store_refined", stored)
    assert comparisons_recompute() == Counter({Recomputed.DONE: 2})
    assert engine == [first.pk, second.pk, second.pk, third.pk]  # the first one is not made twice
    assert set(Comparison.objects.values_list("engine", flat=True)) == {3}


def test_a_row_whose_videos_can_no_longer_be_read_is_marked_and_its_pages_say_so(openapi) -> None:  # noqa: F811
    (gone,) = older_rows(1)  # its videos' files are not there, nor their fingerprints
    owner = gone.owner

    assert comparison_recompute_by_id(gone.pk) == Recomputed.UNREADABLE

    row = Comparison.objects.get(pk=gone.pk)
    assert (row.engine, row.unreadable) == (2, True)
    assert comparisons_recompute() == Counter()  # not tried again
    page = client_for(owner).get(reverse("compare:comparison", args=[gone.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert UNREADABLE_NOTE in html and "data-delete-comparison" in html
    assert "compare-data" not in html  # nothing of what the older engine found
    body = client_for(owner).get(reverse("api-comparison-detail", args=[gone.pk])).json()
    assert (body["recomputing"], body["older_engine"], body["segments"]) == (False, UNREADABLE_NOTE, [])
    conforms(openapi, "ComparisonOutput", body)
    export = client_for(owner).get(reverse("api-comparison-export", args=[gone.pk, "csv"]))
    assert export.status_code == 200
    link = ShareLinkFactory(comparison=row)
    assert UNREADABLE_NOTE in Client().get(reverse("shared:page", args=[link.token])).content.decode()

    # Its owner deletes it from the page; nobody else can.
    assert client_for(UserFactory()).post(reverse("compare:delete", args=[gone.pk])).status_code == 404
    deleted = client_for(owner).post(reverse("compare:delete", args=[gone.pk]))
    assert (deleted.status_code, deleted["Location"]) == (302, reverse("compare:picker"))
    assert not Comparison.objects.filter(pk=gone.pk).exists()


def test_until_it_is_recomputed_an_older_row_shows_only_that(openapi) -> None:  # noqa: F811
    older = ComparisonFactory(clip_grid=True)
    owner = older.owner
    client = client_for(owner)

    html = client.get(reverse("compare:comparison", args=[older.pk])).content.decode()
    assert RECOMPUTING_NOTE in html and "data-recomputing" in html
    assert "00:02" not in html and "compare-data" not in html  # engine 1's difference is not shown
    url = reverse("api-comparison-detail", args=[older.pk])
    body = client.get(url).json()
    assert (body["engine"], body["recomputing"], body["older_engine"]) == (1, True, RECOMPUTING_NOTE)
    assert (body["segments"], body["matched_spans"], body["curve"]["a_time"]) == ([], [], [])
    conforms(openapi, "ComparisonOutput", body)
    assert client.get(url, {"threshold": "0.5"}).json()["segments"] == []
    kept = client.patch(url, {"threshold": 0.5}, content_type="application/json")
    assert kept.status_code == 400 and "being recomputed" in kept.json()["error"]["message"]
    (listed,) = client.get(reverse("api-comparisons")).json()["results"]
    assert listed["recomputing"] is True
    assert "Being recomputed" in client.get(reverse("compare:picker")).content.decode()
    # Through a share link: the page and its JSON say the same.
    link = ShareLinkFactory(comparison=older)
    shared = Client()
    assert RECOMPUTING_NOTE in shared.get(reverse("shared:page", args=[link.token])).content.decode()
    assert shared.get(reverse("shared:comparison-json", args=[link.token])).json()["recomputing"] is True


def test_the_task_works_through_older_rows_in_batches_one_sweep_at_a_time(engine, monkeypatch, settings) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["recompute-old-comparisons"]["task"] == recompute_old_comparisons.name
    rows = older_rows(5)
    ComparisonFactory(refined=True)  # current: not picked
    monkeypatch.setattr(recompute, "RECOMPUTE_BATCH", 2)
    cache.delete(SWEEP_KEY)

    # Another sweep holds the lease: this one does nothing.
    cache.add(SWEEP_KEY, 1, timeout=60)
    assert recompute_old_comparisons() is None
    assert engine == []
    cache.delete(SWEEP_KEY)

    recompute_old_comparisons()  # each batch queues the next (Celery runs eagerly in tests)

    assert engine == [row.pk for row in rows]  # each once, in order
    assert set(Comparison.objects.values_list("engine", flat=True)) == {3}
    assert cache.get(SWEEP_KEY) is None  # the lease is given back


def test_the_command_recomputes_every_older_row_with_a_line_for_each(engine) -> None:
    rows = older_rows(2)
    out = io.StringIO()

    call_command("recompute_comparisons", stdout=out)

    assert out.getvalue().splitlines() == [
        f"[1/2] comparison {rows[0].pk}: done",
        f"[2/2] comparison {rows[1].pk}: done",
        "Recomputed: 2 done.",
    ]
    again = io.StringIO()
    call_command("recompute_comparisons", stdout=again)
    assert again.getvalue().strip() == "Recomputed: nothing to do."


def test_its_owner_can_have_an_older_row_recomputed_now_through_the_api(
    openapi,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    (older,) = older_rows(1)
    cache.delete(f"comparison-recompute:{older.pk}")
    url = reverse("api-comparison-compare-again", args=[older.pk])

    with django_capture_on_commit_callbacks(execute=False) as queued:
        stranger = client_for(UserFactory()).post(url)
        response = client_for(older.owner).post(url)
        client_for(older.owner).post(url)  # asked twice

    assert stranger.status_code == 404
    assert response.status_code == 202 and response.json()["recomputing"] is True
    assert len([callback for callback in queued if "delay_on_commit" in callback.__qualname__]) == 1  # tasks
    conforms(openapi, "ComparisonOutput", response.json())
