"""`make run`'s demo pair: two generated videos (an original and an edited copy) processed by the real
pipeline and compared, given once per demo account, and a comparison task that waits for both."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from celery.exceptions import MaxRetriesExceededError, Retry

from sage.management.commands.runsite import Command as RunsiteCommand
from sage.synthetic_media import make_video
from showcase import demo
from showcase.demo import (
    INSERTED_AT,
    INSERTION,
    ORIGINAL,
    REPLACED_AT,
    RETONED_AT,
    DemoPairNotReady,
    demo_comparison_build,
)
from showcase.services import demo_pair_ensure
from showcase.tasks import build_demo_comparison
from tests.factories import UserFactory, VideoFactory
from videos.models import Comparison, Transcript, Video

pytestmark = pytest.mark.django_db

CLIP_SECONDS = 2.0  # the comparison finds a difference to within one clip


def starts_of_original() -> list[float]:
    starts = [0.0]
    for stretch in ORIGINAL:
        starts.append(starts[-1] + stretch.seconds)
    return starts


def test_the_demo_pair_is_processed_and_its_comparison_finds_each_edit(
    tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):  # processing and the comparison run eagerly
        pair = demo_pair_ensure(user=user, marker_file=tmp_path / "demo-pair")

    assert pair is not None
    original, edited = pair
    for video in (original, edited):
        video.refresh_from_db()
        assert video.status == Video.Status.READY, video.error_message
        assert video.transcript.source == Transcript.Source.STREAM
    assert (original.title, edited.title) == ("Demo — original", "Demo — edited")
    assert edited.duration == pytest.approx((original.duration or 0) + INSERTION.seconds, abs=0.2)
    assert "flickering blocks" in edited.transcript.text and "flickering blocks" not in original.transcript.text

    comparison = Comparison.objects.get(owner=user)
    assert (comparison.video_a, comparison.video_b, comparison.alignment) == (original, edited, "cuts")

    # The ground truth, from the edits the demo made: times on the original (A) and the edited (B).
    starts = starts_of_original()
    replaced = (starts[REPLACED_AT], starts[REPLACED_AT + 1])
    inserted = (starts[INSERTED_AT], starts[INSERTED_AT] + INSERTION.seconds)
    retoned_a = (starts[RETONED_AT], starts[RETONED_AT + 1])
    retoned_b = (retoned_a[0] + INSERTION.seconds, retoned_a[1] + INSERTION.seconds)

    segments = comparison.segments
    assert [segment["kind"] for segment in segments] in (
        ["visual", "only_b", "audio"],
        ["both", "only_b", "audio"],
    ), segments  # nothing else flagged: after the insertion everything lines up again
    picture, only_in_b, sound = segments
    assert (picture["a_start"], picture["a_end"]) == pytest.approx(replaced, abs=CLIP_SECONDS)
    assert (only_in_b["b_start"], only_in_b["b_end"]) == pytest.approx(inserted, abs=CLIP_SECONDS)
    assert (sound["a_start"], sound["a_end"]) == pytest.approx(retoned_a, abs=CLIP_SECONDS)
    assert (sound["b_start"], sound["b_end"]) == pytest.approx(retoned_b, abs=CLIP_SECONDS)

    # The words: the replaced stretch says something else, and the insertion has words of its own.
    picture_words = comparison.word_changes["0"]
    assert "replaced" in picture_words["added"] and "gradient" in picture_words["removed"]
    assert "added" in comparison.word_changes["1"]["added"]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("demo") / "tiny.mp4", seconds=1.0)


@pytest.fixture
def quick_generation(monkeypatch, tiny_clip: Path) -> None:
    """Giving the pair is about rows and files, not their pictures: a one-second clip stands in."""

    def copy_tiny_clip(path: Path, stretches: object) -> Path:
        shutil.copyfile(tiny_clip, path)
        return path

    monkeypatch.setattr(demo, "write_demo_video", copy_tiny_clip)


def test_the_pair_is_given_once_even_if_the_user_deletes_it(
    tmp_path: Path, settings, quick_generation, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory()
    marker = tmp_path / "demo-pair"
    with django_capture_on_commit_callbacks() as queued:  # not run: only what was queued is checked
        pair = demo_pair_ensure(user=user, marker_file=marker)

    assert pair is not None
    assert len(queued) == 3  # both videos' processing, then the comparison
    for video in pair:
        assert video.status == Video.Status.QUEUED
        assert (Path(settings.MEDIA_ROOT) / video.storage_key).stat().st_size == video.size

    assert demo_pair_ensure(user=user, marker_file=marker) is None  # the next `make run`
    assert demo_pair_ensure(user=user, marker_file=tmp_path / "lost" / "demo-pair") is None  # marker lost
    assert Video.objects.filter(owner=user).count() == 2

    Video.objects.filter(owner=user).delete()
    assert demo_pair_ensure(user=user, marker_file=marker) is None
    assert not Video.objects.filter(owner=user).exists()


def test_a_new_demo_account_gets_a_pair_despite_an_old_accounts_marker(
    tmp_path: Path, quick_generation, django_capture_on_commit_callbacks
) -> None:
    # A new database (the old demo account gone) with the data directory's marker still there.
    marker = tmp_path / "demo-pair"
    with django_capture_on_commit_callbacks():
        demo_pair_ensure(user=UserFactory(), marker_file=marker)
        new_account = UserFactory()
        assert demo_pair_ensure(user=new_account, marker_file=marker) is not None
    assert Video.objects.filter(owner=new_account).count() == 2


def video_of(owner, status: str) -> Video:
    return VideoFactory(owner=owner, title="demo", status=status, storage_key="videos/x.mp4")


def test_the_comparison_waits_while_either_video_is_being_processed(user) -> None:
    ready = video_of(user, Video.Status.READY)
    for status in (Video.Status.QUEUED, Video.Status.PROCESSING):
        busy = video_of(user, status)
        with pytest.raises(DemoPairNotReady):
            demo_comparison_build(user_id=user.pk, video_a_id=ready.pk, video_b_id=busy.pk)


@pytest.mark.parametrize("status", [Video.Status.FAILED, Video.Status.CANCELLED])
def test_the_comparison_is_given_up_quietly_when_a_video_did_not_process(user, status: str) -> None:
    ready, other = video_of(user, Video.Status.READY), video_of(user, status)

    build_demo_comparison.delay(user.pk, ready.pk, other.pk)

    assert not Comparison.objects.exists()


def test_the_comparison_is_given_up_quietly_when_a_video_is_gone_or_not_the_users(user, other_user) -> None:
    ready, strangers = video_of(user, Video.Status.READY), video_of(other_user, Video.Status.READY)
    assert demo_comparison_build(user_id=user.pk, video_a_id=ready.pk, video_b_id=strangers.pk) is None
    gone = video_of(user, Video.Status.READY)
    gone.delete()
    assert demo_comparison_build(user_id=user.pk, video_a_id=ready.pk, video_b_id=gone.pk) is None
    assert not Comparison.objects.exists()


def test_the_task_asks_again_in_a_few_seconds_until_its_retries_run_out(user) -> None:
    ready, busy = video_of(user, Video.Status.READY), video_of(user, Video.Status.PROCESSING)
    ids = (user.pk, ready.pk, busy.pk)

    with pytest.raises(Retry) as retry:  # eager tasks raise the retry instead of scheduling it
        build_demo_comparison.apply(args=ids)
    assert retry.value.when == demo.DEMO_WAIT_SECONDS

    with pytest.raises(MaxRetriesExceededError):
        build_demo_comparison.apply(args=ids, retries=demo.DEMO_WAIT_RETRIES)
    assert not Comparison.objects.exists()


def test_make_run_starts_even_when_the_demo_pair_cannot_be_made(user, monkeypatch) -> None:
    def broken(**kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("sage.management.commands.runsite.demo_pair_ensure", broken)
    out, err = io.StringIO(), io.StringIO()

    RunsiteCommand(stdout=out, stderr=err)._give_demo_pair(user.email, "http://127.0.0.1:8000/")

    assert "could not be made" in err.getvalue()
    assert "Demo videos queued" not in out.getvalue()
