"""The processing pipeline: steps, money (hold → settle, or refund), cancel, retry, the lease and takeovers."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing.ledger import ledger_grant
from billing.models import Hold, LedgerEntry, Wallet
from sage.synthetic_media import make_bad_file, make_video
from tests.factories import VideoFactory, empty_wallet_user
from videos.models import Video
from videos.pipeline import runner
from videos.pipeline.lease import Taken
from videos.pipeline.steps import ensure_hold, ensure_probed, ensure_thumbnails
from videos.services import video_cancel, video_retry, videos_take_over_lapsed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=5.5)


def stored_video(owner, source: Path, settings) -> Video:
    video = VideoFactory(owner=owner, title="clip", status=Video.Status.QUEUED)
    key = f"videos/{video.pk}/original{source.suffix}"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    video.refresh_from_db()
    return video


def held_mid_processing(video: Video, settings) -> None:
    """The video as a run leaves it when its worker dies after the probe: tokens held, not settled."""
    ensure_probed(video, Path(settings.MEDIA_ROOT) / video.storage_key)
    ensure_hold(video)


def funded_user(tokens: int):
    user = empty_wallet_user()
    ledger_grant(user=user, amount=tokens, key=f"test-grant:{user.pk}", memo="test")
    return user


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user).aggregate(total=Sum("amount"))["total"] or 0


def test_a_processed_video_is_ready_with_metadata_thumbnails_and_is_charged_its_seconds(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    assert video.duration == pytest.approx(5.5, abs=0.15)
    assert (video.width, video.height, video.video_codec, video.has_audio) == (320, 240, "h264", True)
    assert (Path(settings.MEDIA_ROOT) / video.poster_key).read_bytes()[:2] == b"\xff\xd8"
    assert video.sprite_meta["count"] == 3
    cost = math.ceil(video.duration or 0)
    assert balance(user) == 100 - cost
    assert video.hold is not None and video.hold.status == Hold.Status.SETTLED
    assert video.hold.settled_amount == cost
    assert ledger_sum(user) == balance(user)


def test_running_the_pipeline_again_charges_once(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    runner.process_video(video.pk)
    after_first = balance(user)

    Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)  # a redelivered task
    runner.process_video(video.pk)

    assert balance(user) == after_first
    assert Hold.objects.filter(wallet__user=user).count() == 1


@pytest.mark.parametrize(
    ("kind", "code"), [("not_a_video", "not_a_video"), ("truncated", "damaged"), ("audio_only", "audio_only")]
)
def test_a_bad_file_fails_with_a_clear_message_and_costs_nothing(tmp_path, settings, kind: str, code: str) -> None:
    user = funded_user(100)
    video = stored_video(user, make_bad_file(kind, tmp_path), settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert video.error_code == code
    assert video.error_message and "Traceback" not in video.error_message
    assert balance(user) == 100


def test_a_video_longer_than_the_plan_allows_fails_before_anything_is_charged(clip, settings) -> None:
    user = funded_user(100)
    Wallet.objects.get(user=user).plan.__class__.objects.filter(slug="free").update(max_video_seconds=3)
    video = stored_video(user, clip, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.error_code) == (Video.Status.FAILED, "too_long")
    assert balance(user) == 100


def test_not_enough_tokens_fails_the_video_with_the_amounts(clip, settings) -> None:
    user = funded_user(2)
    video = stored_video(user, clip, settings)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert "needs 6 tokens but you have 2" in video.error_message
    assert balance(user) == 2


def test_a_step_failing_after_the_hold_refunds_it(clip, settings, monkeypatch) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)

    def broken(*args, **kwargs):
        raise ValueError("no frames")

    monkeypatch.setattr("videos.pipeline.steps.make_thumbnails", broken)
    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.error_code) == (Video.Status.FAILED, "undecodable")
    assert video.hold is not None and video.hold.status == Hold.Status.RELEASED
    assert balance(user) == 100
    assert ledger_sum(user) == 100


def test_an_unexpected_error_fails_the_video_and_refunds_instead_of_leaving_it_processing(
    clip, settings, monkeypatch
) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)

    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("videos.pipeline.steps.make_thumbnails", bug)
    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.error_code) == (Video.Status.FAILED, "internal")
    assert balance(user) == 100


def test_cancelling_during_processing_stops_it_and_refunds(clip, settings, monkeypatch) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    real_thumbnails = ensure_thumbnails

    def cancel_then_continue(video_arg, path):
        video_cancel(video=Video.objects.get(pk=video_arg.pk))
        real_thumbnails(video_arg, path)

    monkeypatch.setattr("videos.pipeline.runner.ensure_thumbnails", cancel_then_continue)
    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.CANCELLED
    assert balance(user) == 100


def test_retrying_a_failed_video_processes_it_and_charges_once(clip, settings, monkeypatch) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    monkeypatch.setattr("videos.pipeline.steps.make_thumbnails", lambda *a, **k: (_ for _ in ()).throw(ValueError()))
    runner.process_video(video.pk)
    monkeypatch.undo()
    assert balance(user) == 100

    assert video_retry(video=Video.objects.get(pk=video.pk))  # eager Celery runs it inline
    runner.process_video(video.pk)  # the on_commit enqueue does not fire inside the test transaction

    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert balance(user) == 100 - math.ceil(video.duration or 0)
    assert ledger_sum(user) == balance(user)


def test_a_message_for_a_video_whose_lease_another_run_holds_does_nothing(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    alive = timezone.now() + dt.timedelta(minutes=1)
    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.PROCESSING, lease_owner="other-run", lease_expires_at=alive
    )

    assert runner.process_video(video.pk) is Taken.HELD  # a stale or redelivered message

    video.refresh_from_db()
    assert (video.status, video.lease_owner, video.attempts, video.duration) == (
        Video.Status.PROCESSING,
        "other-run",
        0,
        None,
    )
    assert balance(user) == 100


def test_a_lapsed_lease_is_taken_over_and_after_the_last_crash_the_video_fails_and_is_refunded(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    held_mid_processing(video, settings)
    assert balance(user) == 100 - 6
    lapsed = timezone.now() - dt.timedelta(seconds=1)

    for crashes in (1, 2):
        Video.objects.filter(pk=video.pk).update(
            status=Video.Status.PROCESSING, lease_owner=f"dead-run-{crashes}", lease_expires_at=lapsed
        )
        assert videos_take_over_lapsed(max_attempts=3) == (1, 0)
        video.refresh_from_db()
        assert (video.status, video.crashes, video.lease_owner) == (Video.Status.QUEUED, crashes, "")
    assert videos_take_over_lapsed(max_attempts=3) == (0, 0)  # nothing lapsed now

    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.PROCESSING, lease_owner="dead-run-3", lease_expires_at=lapsed
    )
    assert videos_take_over_lapsed(max_attempts=3) == (0, 1)
    video.refresh_from_db()
    assert (video.status, video.error_code, video.crashes) == (Video.Status.FAILED, "crashed", 3)
    assert "refunded" in video.error_message
    assert balance(user) == 100
    assert ledger_sum(user) == balance(user)


def test_a_redelivered_message_that_finds_the_last_allowed_run_dead_fails_the_video_and_refunds(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    held_mid_processing(video, settings)
    lapsed = timezone.now() - dt.timedelta(seconds=1)
    Video.objects.filter(pk=video.pk).update(
        status=Video.Status.PROCESSING, crashes=2, lease_owner="dead-run", lease_expires_at=lapsed
    )

    assert runner.process_video(video.pk) is Taken.TAKEN

    video.refresh_from_db()
    assert (video.status, video.error_code, video.crashes, video.lease_owner) == (Video.Status.FAILED, "crashed", 3, "")
    assert balance(user) == 100


def test_asking_again_after_crashes_gives_the_video_its_attempts_back(clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED, error_code="crashed", crashes=3)

    assert video_retry(video=Video.objects.get(pk=video.pk))
    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.crashes, video.lease_owner, video.lease_expires_at) == (Video.Status.READY, 0, "", None)


def test_operators_can_cancel_and_retry_videos_from_the_admin(admin_client, clip, settings) -> None:
    user = funded_user(100)
    video = stored_video(user, clip, settings)

    admin_client.post("/admin/videos/video/", {"action": "cancel_videos", "_selected_action": [video.pk]})
    assert Video.objects.get(pk=video.pk).status == Video.Status.CANCELLED

    admin_client.post("/admin/videos/video/", {"action": "retry_videos", "_selected_action": [video.pk]})
    assert Video.objects.get(pk=video.pk).status == Video.Status.QUEUED
