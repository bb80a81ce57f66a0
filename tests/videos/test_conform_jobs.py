"""Recut jobs through the API: a stem laid to v1 comes back conformed to v2, stamped, null tested and
paid for; a file the recut cannot take is refused with nothing kept or charged; a failure refunds."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile
import wavinfo
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import Hold, Wallet
from sage.synthetic_media.edits import Encoding, write_encoded
from tests.clients import client_in
from tests.factories import ComparisonFactory, RecutJobFactory, UserFactory, empty_wallet_user, uploaded_video
from videos.conform import jobs
from videos.models import Comparison, RecutJob, Video

RATE = 48000
pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def wav_bytes(samples: np.ndarray, *, rate: int = RATE, subtype: str = "PCM_24") -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, rate, subtype=subtype, format="WAV")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _queued_tasks_run(django_capture_on_commit_callbacks) -> None:
    """What a commit queues runs (eagerly) as the request's transaction commits."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


def post_recut(client: Client, comparison: Comparison, data: bytes, name: str = "DX.wav", stem: str = "dialogue"):
    upload = io.BytesIO(data)
    upload.name = name
    assert _capture is not None
    with _capture(execute=True):
        return client.post(reverse("api-comparison-recuts", args=[comparison.pk]), {"file": upload, "stem": stem})


def stored_recut_files() -> list[str]:
    root = Path(default_storage.path("recuts"))
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


def speech_like(seconds: float, seed: int = 1) -> np.ndarray:
    """Noise shaped by a syllable-rate envelope: a stand-in for speech that nulls only where aligned."""
    count = round(seconds * RATE)
    noise = np.random.default_rng(seed).standard_normal(count)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(count) / RATE)
    return (0.2 * noise * envelope).astype(np.float32)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Comparison, np.ndarray]:
    """v1: 4 s at 25 fps; v2: v1 with 1-2 s removed (3 s), both with their sound as PCM (lossless, so
    kept material nulls), and their comparison; and v1's sound."""
    sound = speech_like(4)
    encoding = Encoding(width=64, height=36, fps=25, suffix=".avi")
    grey = np.full((36, 64, 3), 90, np.uint8)
    path_a = write_encoded(tmp_path / "a.avi", (grey for _ in range(100)), sound, encoding)
    v2_sound = np.concatenate([sound[:RATE], sound[2 * RATE :]])
    path_b = write_encoded(tmp_path / "b.avi", (grey for _ in range(75)), v2_sound, encoding)
    owner = UserFactory()
    fields = {"status": Video.Status.READY, "fps": 25.0, "has_audio": True}
    video_a = uploaded_video(owner, path_a, title="Reel 1", duration=4.0, **fields)
    video_b = uploaded_video(owner, path_b, title="Reel 1", duration=3.0, **fields)
    comparison = ComparisonFactory(
        owner=owner, video_a=video_a, video_b=video_b, matched_spans=[[0.0, 1.0, 0.0, 1.0], [2.0, 4.0, 1.0, 3.0]]
    )
    return comparison, sound


def test_a_stem_comes_back_conformed_to_v2_stamped_null_tested_and_paid_for(pair) -> None:
    comparison, sound = pair
    owner = comparison.owner
    client = client_in(owner)
    before = balance(owner)
    stem = (np.stack([sound, -sound], axis=1) * 0.5).astype(np.float32)  # two channels, at 24 bits

    response = post_recut(client, comparison, wav_bytes(stem))

    assert response.status_code == 202, response.content
    job = RecutJob.objects.get(pk=response.json()["id"])
    assert job.status == RecutJob.Status.READY  # the task ran (eagerly) on commit
    status = client.get(reverse("api-recut-detail", args=[job.pk])).json()
    assert status["status"] == "ready" and status["percent"] == 100 and status["stem"] == "dialogue"
    assert status["start_timecode"] == "01:00:00:00" and status["time_reference"] == 3600 * RATE
    assert status["silences"] == []
    # Null test: the two kept events (2 is the removed second, nothing of it in v2), and the videos'
    # sound is lossless: far below −40 dB.
    assert [(row["number"], row["kind"]) for row in status["null_test"]] == [(1, "kept"), (3, "kept")]
    assert all(row["residual_db"] <= -40 for row in status["null_test"])

    download = client.get(status["file_url"])
    assert download.status_code == 200
    assert 'filename="DX_conformed_v2.wav"' in download["Content-Disposition"]
    body = download.getvalue()
    recut, rate = soundfile.read(io.BytesIO(body), dtype="int32")
    sent, _ = soundfile.read(io.BytesIO(wav_bytes(stem)), dtype="int32")
    assert rate == RATE and recut.shape == (3 * RATE, 2) and soundfile.info(io.BytesIO(body)).subtype == "PCM_24"
    edge = 200  # the crossfade at the edit, 1 s into v2
    assert np.array_equal(recut[: RATE - edge], sent[: RATE - edge])
    assert np.array_equal(recut[RATE + edge :], sent[2 * RATE + edge :])
    local = Path(default_storage.path(job.result_key))
    bext = wavinfo.WavInfoReader(str(local)).bext
    assert bext.time_reference == 3600 * RATE and bext.originator == "SAGE"
    assert bext.originator_date == timezone.localtime().strftime("%Y-%m-%d")
    # One token a started minute of sound, charged once.
    assert balance(owner) == before - 1
    assert Hold.objects.get(key=f"recut:{job.pk}").status == Hold.Status.SETTLED
    # Run again (a redelivered message): nothing changes, nothing is charged again.
    assert jobs.recut_job_run(job.pk) == "ready"
    assert balance(owner) == before - 1


def test_new_material_in_v2_is_silence_listed_with_a_note_in_the_null_test(pair) -> None:
    comparison, sound = pair
    # v2 as v1 with a second of new material after its first second, by the change list.
    Comparison.objects.filter(pk=comparison.pk).update(matched_spans=[[0.0, 1.0, 0.0, 1.0], [1.0, 2.0, 2.0, 3.0]])
    comparison.refresh_from_db()

    response = post_recut(client_in(comparison.owner), comparison, wav_bytes(sound[:, None]))

    job = RecutJob.objects.get(pk=response.json()["id"])
    assert job.silences == [{"number": 2, "kind": "inserted", "v2_start": 1.0, "v2_end": 2.0}]
    noted = [row for row in job.null_test if row["kind"] == "inserted"]
    assert noted and "cannot null" in noted[0]["note"]


def _sound(seconds: float, channels: int = 1, rate: int = RATE) -> bytes:
    return wav_bytes(np.zeros((round(seconds * rate), channels), np.float32), rate=rate)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (lambda: _sound(2, rate=44100), "48,000 Hz only"),
        (lambda: _sound(8.5), "longer than v1"),
        (lambda: _sound(2)[:30000], "cut short"),
        (lambda: b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40), "not a WAV file that can be read"),
        (lambda: _sound(0.1, channels=200), "200 channels"),
        (lambda: _sound(0), "holds no sound"),
    ],
    ids=["sample rate", "longer than v1", "truncated", "corrupt", "200 channels", "empty"],
)
def test_a_file_the_recut_cannot_take_is_refused_saying_why_and_nothing_is_kept_or_charged(data, says: str) -> None:
    comparison = ComparisonFactory()  # v1 8 s at 15 fps
    before = balance(comparison.owner)

    response = post_recut(client_in(comparison.owner), comparison, data())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sound_refused" and says in response.json()["error"]["message"]
    assert not RecutJob.objects.exists() and not stored_recut_files()
    assert balance(comparison.owner) == before and not Hold.objects.filter(key__startswith="recut:").exists()


def test_a_workspace_that_cannot_pay_is_refused_with_402_and_nothing_kept() -> None:
    comparison = ComparisonFactory(owner=empty_wallet_user())

    response = post_recut(client_in(comparison.owner), comparison, _sound(2))

    assert response.status_code == 402
    assert not RecutJob.objects.exists() and not stored_recut_files()


def test_a_recut_that_fails_says_so_and_refunds_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    comparison = ComparisonFactory()
    before = balance(comparison.owner)

    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(jobs, "recut_blocks", broken)
    response = post_recut(client_in(comparison.owner), comparison, _sound(2))

    job = RecutJob.objects.get(pk=response.json()["id"])
    assert job.status == RecutJob.Status.FAILED and "tokens were returned" in job.error_message
    assert balance(comparison.owner) == before
    assert Hold.objects.get(key=f"recut:{job.pk}").status == Hold.Status.RELEASED
    assert client_in(comparison.owner).get(reverse("api-recut-file", args=[job.pk])).status_code == 409


def test_a_comparison_without_a_result_is_refused_before_anything_is_kept() -> None:
    comparison = ComparisonFactory(engine=0, matched_spans=[])

    response = post_recut(client_in(comparison.owner), comparison, _sound(2))

    assert response.status_code == 409 and response.json()["error"]["code"] == "no_result"
    assert not RecutJob.objects.exists() and not stored_recut_files()


def test_another_person_gets_404_for_every_recut_door() -> None:
    comparison = ComparisonFactory()
    job = RecutJob.objects.get(pk=post_recut(client_in(comparison.owner), comparison, _sound(2)).json()["id"])
    stranger = client_in(UserFactory())

    assert post_recut(stranger, comparison, _sound(2)).status_code == 404
    assert stranger.get(reverse("api-comparison-recuts", args=[comparison.pk])).status_code == 404
    assert stranger.get(reverse("api-recut-detail", args=[job.pk])).status_code == 404
    assert stranger.get(reverse("api-recut-file", args=[job.pk])).status_code == 404
    assert RecutJob.objects.count() == 1


def test_the_recut_page_takes_a_stem_and_shows_its_null_test_and_download(pair) -> None:
    comparison, sound = pair
    client = client_in(comparison.owner)
    page = reverse("compare:recut", args=[comparison.pk])
    assert f'href="{page}"' in client.get(reverse("compare:comparison", args=[comparison.pk])).content.decode()

    upload = io.BytesIO(wav_bytes(sound[:, None]))
    upload.name = "MX.wav"
    assert _capture is not None
    with _capture(execute=True):
        sent = client.post(page, {"file": upload, "stem": "music"})

    assert sent.status_code == 302
    html = client.get(sent["Location"]).content.decode()
    job = RecutJob.objects.get()
    assert "music" in html and reverse("api-recut-file", args=[job.pk]) in html
    assert "Null test" in html and html.count("<tr>") == 3  # the header and both events


def test_the_change_list_page_has_the_recut_section_for_members(pair) -> None:
    comparison, _ = pair
    html = client_in(comparison.owner).get(reverse("compare:changes", args=[comparison.pk])).content.decode()
    assert "data-recut-section" in html and f'action="{reverse("compare:recut", args=[comparison.pk])}"' in html


def test_the_recut_page_refuses_a_file_saying_why_and_a_stranger_gets_404() -> None:
    comparison = ComparisonFactory()
    page = reverse("compare:recut", args=[comparison.pk])
    upload = io.BytesIO(_sound(2, rate=44100))
    upload.name = "DX.wav"

    response = client_in(comparison.owner).post(page, {"file": upload})

    assert response.status_code == 400 and "48,000 Hz only" in response.content.decode()
    assert not RecutJob.objects.exists()
    assert client_in(UserFactory()).get(page).status_code == 404


def test_a_job_whose_worker_died_is_failed_and_refunded_and_a_lost_message_is_sent_again(settings) -> None:
    comparison = ComparisonFactory()
    before = balance(comparison.owner)
    with upload_path(_sound(2)) as path:  # made, held for, stored: its message never ran
        dead = jobs.recut_job_create(
            user=comparison.owner, comparison=comparison, upload=path, file_name="a.wav", stem="a"
        )
        lost = jobs.recut_job_create(
            user=comparison.owner, comparison=comparison, upload=path, file_name="b.wav", stem="b"
        )
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)
    RecutJob.objects.filter(pk=dead.pk).update(status=RecutJob.Status.RUNNING, updated_at=long_ago)
    RecutJob.objects.filter(pk=lost.pk).update(updated_at=long_ago)
    assert balance(comparison.owner) == before - 2

    assert _capture is not None
    with _capture(execute=True):
        assert jobs.recut_jobs_sweep() == (1, 1)

    dead.refresh_from_db()
    lost.refresh_from_db()
    assert dead.status == RecutJob.Status.FAILED and "worker was lost" in dead.error_message
    assert lost.status == RecutJob.Status.READY
    assert balance(comparison.owner) == before - 1  # the dead job's token back, the lost one's spent
    with _capture(execute=True):
        assert jobs.recut_jobs_sweep() == (0, 0)


@contextmanager
def upload_path(data: bytes) -> Iterator[Path]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        file.write(data)
        file.flush()
        yield Path(file.name)


def test_with_s3_the_upload_and_the_recut_are_objects_and_the_download_a_presigned_redirect(s3) -> None:
    comparison = ComparisonFactory()
    stem = (np.random.default_rng(5).standard_normal((2 * RATE, 1)) * 0.1).astype(np.float32)

    response = post_recut(client_in(comparison.owner), comparison, wav_bytes(stem))

    job = RecutJob.objects.get(pk=response.json()["id"])
    assert job.status == RecutJob.Status.READY, job.error_message
    keys = {item["Key"] for item in s3.client.list_objects_v2(Bucket=s3.bucket)["Contents"]}
    assert {job.source_key, job.result_key} <= keys
    download = client_in(comparison.owner).get(reverse("api-recut-file", args=[job.pk]))
    assert download.status_code == 302 and "X-Amz-Signature" in download["Location"]
    body = s3.client.get_object(Bucket=s3.bucket, Key=job.result_key)["Body"].read()
    recut, _ = soundfile.read(io.BytesIO(body), dtype="int32")
    sent, _ = soundfile.read(io.BytesIO(wav_bytes(stem)), dtype="int32")
    assert len(recut) == 8 * RATE and np.array_equal(recut[: 2 * RATE], sent) and not recut[2 * RATE :].any()


def test_an_operator_sees_recut_jobs_read_only() -> None:
    job = RecutJobFactory(stem="music", status=RecutJob.Status.FAILED, error_message="The recut failed.")
    operator = client_in(UserFactory(is_staff=True, is_superuser=True))

    listing = operator.get(reverse("admin:videos_recutjob_changelist"), {"q": "music"})
    page = operator.get(reverse("admin:videos_recutjob_change", args=[job.pk]))

    assert listing.status_code == 200 and f"recut {job.pk}: music" in listing.content.decode()
    assert page.status_code == 200 and "The recut failed." in page.content.decode()
    assert 'name="_save"' not in page.content.decode()


def test_deleting_the_comparison_removes_its_recuts_files(pair) -> None:
    comparison, sound = pair
    job = RecutJob.objects.get(
        pk=post_recut(client_in(comparison.owner), comparison, wav_bytes(sound[:, None])).json()["id"]
    )
    assert job.status == RecutJob.Status.READY and len(stored_recut_files()) == 2

    assert _capture is not None
    with _capture(execute=True):
        comparison.delete()

    assert not RecutJob.objects.exists() and stored_recut_files() == []
