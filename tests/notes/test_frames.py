"""Frame stills: a JPEG of the uploaded video at the note's time, made by a task, served to its owner."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client

from notes.frames import note_frame_ensure
from notes.models import Note
from sage.synthetic_media import Scene, decode_video, make_video
from sage.synthetic_media.formats import make_streams_apart_sample
from tests.factories import NoteFactory, VideoFactory
from videos.models import Video
from videos.playback import playback_plan
from videos.probe import probe_media
from videos.render import render_renditions

pytestmark = pytest.mark.django_db

# Three clearly different pictures, three seconds each.
SCENES = [Scene(3, "bars", seed=1), Scene(3, "gradient", seed=2), Scene(3, "noise", seed=3)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "scenes.mp4", width=640, height=360, scenes=SCENES)


@pytest.fixture
def stored(user, clip, settings) -> Video:
    video = VideoFactory(owner=user, title="Scenes", duration=9.0, status=Video.Status.READY)
    key = f"videos/{video.pk}/original.mp4"
    target = Path(settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key)
    video.refresh_from_db()
    return video


def still_pixels(key: str, tmp_path: Path) -> np.ndarray:
    path = tmp_path / "still.jpg"
    with default_storage.open(key, "rb") as stored_file:
        path.write_bytes(stored_file.read())
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def nearest_scene(pixels: np.ndarray, clip: Path) -> int:
    """Which scene (0, 1, 2) the picture shows, by its mean colour against each scene's middle frame."""
    decoded = decode_video(clip)
    fps = float(decoded.fps)
    means = [decoded.frames[int((3 * index + 1.5) * fps)].reshape(-1, 3).mean(axis=0) for index in range(3)]
    colour = pixels.reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(colour - mean).sum() for mean in means]))


def test_a_note_on_an_uploaded_video_gets_a_still_of_that_moment(
    user, client_for, stored, clip, tmp_path, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(user).post(
            f"/api/v1/videos/{stored.pk}/notes", {"start": "0:04", "text": "x"}, format="json"
        )
    assert created.json()["frame_url"] is None  # made by a task after the note is saved

    note = Note.objects.get(pk=created.json()["id"])
    assert note.frame_key == f"notes/{note.pk}.jpg"
    pixels = still_pixels(note.frame_key, tmp_path)
    assert pixels.shape == (270, 480, 3)  # 640×360 scaled to 480 wide
    assert nearest_scene(pixels, clip) == 1  # the second scene plays from 3 s to 6 s
    assert client_for(user).get(f"/api/v1/notes/{note.pk}").json()["frame_url"] == f"/notes/{note.pk}/frame.jpg"


def test_moving_a_note_takes_a_new_still(user, client_for, stored, clip, tmp_path, django_capture_on_commit_callbacks):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        note_id = client.post(f"/api/v1/videos/{stored.pk}/notes", {"start": 1, "text": "x"}, format="json").json()[
            "id"
        ]
    assert nearest_scene(still_pixels(f"notes/{note_id}.jpg", tmp_path), clip) == 0

    with django_capture_on_commit_callbacks(execute=True):
        moved = client.patch(f"/api/v1/notes/{note_id}", {"start": 7.5}, format="json").json()
        assert moved["frame_url"] is None  # the old still showed the old moment

    note = Note.objects.get(pk=note_id)
    assert note.frame_key == f"notes/{note_id}.jpg"
    assert nearest_scene(still_pixels(note.frame_key, tmp_path), clip) == 2
    # Changing only the text keeps the still.
    client.patch(f"/api/v1/notes/{note_id}", {"text": "y"}, format="json")
    assert Note.objects.get(pk=note_id).frame_key == note.frame_key


def test_a_still_at_the_very_end_shows_the_last_frame(user, stored, clip, tmp_path) -> None:
    note = NoteFactory(owner=user, video=stored, start=9.0, text="the end")

    assert note_frame_ensure(note_id=note.pk) is True
    assert nearest_scene(still_pixels(f"notes/{note.pk}.jpg", tmp_path), clip) == 2
    assert note_frame_ensure(note_id=note.pk) is False  # made already: nothing to do


def test_the_still_is_served_to_its_owner_only(user, other_user, stored, django_capture_on_commit_callbacks) -> None:
    owner = Client()
    owner.force_login(user)
    note = NoteFactory(owner=user, video=stored, start=2, text="x")
    assert owner.get(f"/notes/{note.pk}/frame.jpg").status_code == 404  # not made yet
    note_frame_ensure(note_id=note.pk)

    response = owner.get(f"/notes/{note.pk}/frame.jpg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.getvalue().startswith(b"\xff\xd8\xff")  # a JPEG
    assert "no-cache" in response["Cache-Control"]
    stranger = Client()
    stranger.force_login(other_user)
    assert stranger.get(f"/notes/{note.pk}/frame.jpg").status_code == 404
    assert Client().get(f"/notes/{note.pk}/frame.jpg").status_code == 302  # sign in first


def test_a_deleted_note_takes_its_still_with_it(user, client_for, stored, django_capture_on_commit_callbacks) -> None:
    note = NoteFactory(owner=user, video=stored, start=2, text="x")
    note_frame_ensure(note_id=note.pk)
    assert default_storage.exists(f"notes/{note.pk}.jpg")

    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).delete(f"/api/v1/notes/{note.pk}").status_code == 204

    assert not default_storage.exists(f"notes/{note.pk}.jpg")


def test_youtube_videos_and_unreadable_files_get_no_still(user, settings) -> None:
    youtube = VideoFactory(
        owner=user,
        title="Song",
        source=Video.Source.YOUTUBE,
        youtube_id="dQw4w9WgXcQ",
        status=Video.Status.READY,
        duration=120.0,
    )
    missing = VideoFactory(
        owner=user, title="Lost", storage_key="videos/404/original.mp4", status=Video.Status.READY, duration=120.0
    )
    broken = VideoFactory(
        owner=user, title="Broken", storage_key="videos/broken.mp4", status=Video.Status.READY, duration=120.0
    )
    (Path(settings.MEDIA_ROOT) / "videos").mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / "videos/broken.mp4").write_bytes(b"not a video at all" * 100)

    for video in (youtube, missing, broken):
        note = NoteFactory(owner=user, video=video, start=1, text="x")
        assert note_frame_ensure(note_id=note.pk) is False
        assert Note.objects.get(pk=note.pk).frame_key == ""


def test_a_video_on_s3_gives_its_still_without_being_downloaded(user, clip, s3_reads, tmp_path) -> None:
    video = VideoFactory(owner=user, title="Scenes", duration=9.0, status=Video.Status.READY)
    key = default_storage.save(f"videos/{video.pk}/original.mp4", clip.open("rb"))
    Video.objects.filter(pk=video.pk).update(storage_key=key)
    note = NoteFactory(owner=user, video=video, start=7.0, text="x")

    assert note_frame_ensure(note_id=note.pk) is True

    assert s3_reads == []  # FFmpeg read the frame's bytes from S3 itself, not a copy of the whole video
    note.refresh_from_db()
    assert nearest_scene(still_pixels(note.frame_key, tmp_path), clip) == 2  # the third scene, from 6 s


def _grey_at(path: Path, seconds: float) -> float:
    with av.open(str(path)) as container:
        frame = next(
            frame for frame in container.decode(video=0) if frame.time is not None and frame.time >= seconds - 1e-3
        )
        return float(frame.to_ndarray(format="rgb24").mean())


def test_a_still_shows_the_frame_the_player_showed_when_the_originals_picture_starts_late(
    user, tmp_path, settings
) -> None:
    # The original's picture starts 0.4 s in (its sound first); its rendition, which players play,
    # shows frame n at n / 25 s from 0. At 1 s the player shows frame 25 (grey 125); the original's
    # own clock has frame 15 there (grey 75).
    original = make_streams_apart_sample(tmp_path / "original.mov", picture_from=0.4, tone_from=0.0)
    probe = probe_media(original, max_seconds=60)
    (tmp_path / "made").mkdir()
    rendition = render_renditions(original, tmp_path / "made", probe=probe, plan=playback_plan(probe)).playable
    assert rendition is not None
    video = VideoFactory(owner=user, title="Apart", duration=2.0, status=Video.Status.READY)
    for key, path in ((f"videos/{video.pk}/original.mov", original), (f"videos/{video.pk}/playable.mp4", rendition)):
        (Path(settings.MEDIA_ROOT) / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(settings.MEDIA_ROOT) / key)
    Video.objects.filter(pk=video.pk).update(
        storage_key=f"videos/{video.pk}/original.mov", playable_key=f"videos/{video.pk}/playable.mp4"
    )
    note = NoteFactory(owner=user, video=video, start=1.0)

    assert note_frame_ensure(note_id=note.pk)

    note.refresh_from_db()
    grey = still_pixels(note.frame_key, tmp_path).mean()
    shown, original_clock = _grey_at(rendition, 1.0), _grey_at(original, 1.0)
    assert abs(shown - original_clock) > 40  # the two clocks show different frames here
    assert abs(grey - shown) < 4, (grey, shown, original_clock)


def test_a_note_on_the_last_frame_of_a_shot_gets_that_frame_not_the_next_shots(
    user, client_for, stored, clip, tmp_path, django_capture_on_commit_callbacks
) -> None:
    # At 15 fps the first shot's last frame is on screen from 2.933 s to 3.0 s: a player paused on
    # it reports a time inside it, and the still is of that frame, not of the next shot's first.
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(user).post(
            f"/api/v1/videos/{stored.pk}/notes", {"start": 2.98, "text": "x"}, format="json"
        )

    note = Note.objects.get(pk=created.json()["id"])
    still = still_pixels(note.frame_key, tmp_path).astype(np.float64)
    decoded = decode_video(clip)
    last_of_shot, first_of_next = (
        av.VideoFrame.from_ndarray(decoded.frames[index], format="rgb24").reformat(width=480, height=270).to_ndarray()
        for index in (44, 45)
    )
    assert np.abs(still - last_of_shot).mean() < np.abs(still - first_of_next).mean() / 2
