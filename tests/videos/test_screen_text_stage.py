"""The "reading the screen" stage: once an upload is ready (never before), the text it shows is read
and stored as on-screen lines, searchable beside what is said; the page lists them in the transcript
marked "on screen", the API and the transcript files carry them. A failure, a crash or a deletion
midway never touches the ready video."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from django.urls import reverse

from sage.synthetic_media.screen_text import Shot, ShownText, make_screen_video
from tests.factories import TranscriptFactory, UserFactory, VideoFactory
from tests.videos.test_pipeline import balance, funded_user, stored_video
from videos.models import ScreenTextLine, TranscriptChunk, Video
from videos.pipeline import runner, steps
from videos.screen_text import stage
from videos.screen_text.reading import ScreenReadError, ShownLine, read_screen
from videos.screen_text.stage import READER_NAME, screen_text_read
from videos.screen_text.state import FAILED, SCREEN_TEXT, screen_text_queue
from videos.services import video_delete

pytestmark = pytest.mark.django_db

TITLE = "Gradient descent"
SAID = [(0.0, 2.5, "Today we look at how a model learns."), (3.0, 5.5, "Each step goes downhill.")]


@pytest.fixture(scope="module")
def slide(tmp_path_factory) -> Path:
    """A 6-second slide talk without sound: a title shown from 1 s to 4 s."""
    path = tmp_path_factory.mktemp("media") / "slide.mp4"
    make_screen_video(
        path,
        shots=[Shot(0, 6, colour=(20, 30, 70))],
        texts=[ShownText(TITLE, 1.0, 4.0, x=0.1, y=0.2, size=40)],
        seconds=6,
        width=640,
        height=360,
    )
    return path


def ready_upload(owner=None, **fields) -> Video:
    """A ready upload as the pipeline leaves one (its row: the stage's reader is stubbed)."""
    return VideoFactory(owner=owner or UserFactory(), ready=True, duration=6.0, **fields)


def reader_returning(*lines: ShownLine, calls: list | None = None):
    def read(path, *, duration, fingerprint=None, on_progress=None):
        if calls is not None:
            calls.append(path)
        if on_progress is not None:
            on_progress(0.5)
        return list(lines)

    return read


SHOWN = ShownLine(start=1.0, end=4.0, text=TITLE, box=(0.1, 0.2, 0.5, 0.1), confidence=0.97)


# --- the real reader, end to end -------------------------------------------------------------------


def test_the_screen_is_read_once_the_video_is_ready_and_costs_no_more_tokens(
    slide, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    user = funded_user(100)
    video = stored_video(user, slide, settings)
    real_read_screen = read_screen
    seen_at_start: list[tuple[str, bool]] = []

    def spy(path, **kwargs):
        row = Video.objects.get(pk=video.pk)
        seen_at_start.append((row.status, row.ready_at is not None))
        return real_read_screen(path, **kwargs)

    monkeypatch.setattr(stage, "read_screen", spy)

    with django_capture_on_commit_callbacks(execute=True):  # Celery runs tasks inline in tests
        runner.process_video(video.pk)

    # The video was ready (playable, comparable) before its screen was read: reading never delays it.
    assert seen_at_start == [(Video.Status.READY, True)]
    video.refresh_from_db()
    assert (video.status, video.stage, video.percent) == (Video.Status.READY, "", 100)
    assert video.backends[SCREEN_TEXT] == READER_NAME
    lines = list(ScreenTextLine.objects.filter(video=video))
    title = next(line for line in lines if "gradient" in line.text.lower())
    assert title.text == TITLE
    assert title.start == pytest.approx(1.0, abs=0.5) and title.end == pytest.approx(4.0, abs=0.5)
    left, top, width, height = title.box
    assert 0.05 < left < 0.2 and 0.15 < top < 0.3 and width > 0.2 and 0 < height < 0.2
    assert 0.5 < title.confidence <= 1
    # Searchable beside what is said, and covered by the video's price (1 token a second).
    assert TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SHOWN, text__contains=TITLE).exists()
    assert balance(user) == 100 - math.ceil(video.duration or 0)


# --- bookkeeping (the reader stubbed) --------------------------------------------------------------


def test_a_second_run_returns_at_once_and_keeps_the_lines(monkeypatch) -> None:
    video = ready_upload()
    calls: list = []
    monkeypatch.setattr(stage, "read_screen", reader_returning(SHOWN, calls=calls))

    screen_text_read(video.pk)
    first = list(ScreenTextLine.objects.filter(video=video).values_list("pk", "text"))
    screen_text_read(video.pk)

    assert len(calls) == 1
    assert list(ScreenTextLine.objects.filter(video=video).values_list("pk", "text")) == first == [(first[0][0], TITLE)]
    assert TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SHOWN).count() == 1


class WorkerDied(BaseException):
    """The worker process running the stage is killed (nothing in the stage can catch it)."""


def test_a_run_that_died_midway_left_nothing_and_the_next_run_reads_it_cleanly(monkeypatch) -> None:
    video = ready_upload()

    def dies(path, *, duration, fingerprint=None, on_progress=None):
        on_progress(0.4)
        raise WorkerDied

    monkeypatch.setattr(stage, "read_screen", dies)
    with pytest.raises(WorkerDied):
        screen_text_read(video.pk)
    video.refresh_from_db()
    assert (video.status, video.stage, video.percent) == (Video.Status.READY, SCREEN_TEXT, 40)
    assert not ScreenTextLine.objects.filter(video=video).exists()

    monkeypatch.setattr(stage, "read_screen", reader_returning(SHOWN))
    screen_text_read(video.pk)  # the redelivered message

    video.refresh_from_db()
    assert (video.status, video.stage, video.backends[SCREEN_TEXT]) == (Video.Status.READY, "", READER_NAME)
    assert list(ScreenTextLine.objects.filter(video=video).values_list("text", flat=True)) == [TITLE]


@pytest.mark.parametrize("error", [ScreenReadError("No picture could be decoded."), RuntimeError("model crashed")])
def test_a_failure_leaves_the_video_ready_and_the_page_says_the_text_could_not_be_read(
    error: Exception, monkeypatch, client
) -> None:
    video = ready_upload(storage_key="videos/1/original.mp4")
    TranscriptFactory(video=video, lines=SAID)

    def fails(path, **kwargs):
        raise error

    monkeypatch.setattr(stage, "read_screen", fails)
    screen_text_read(video.pk)

    video.refresh_from_db()
    assert (video.status, video.stage, video.error_message) == (Video.Status.READY, "", "")
    assert video.backends[SCREEN_TEXT] == FAILED
    client.force_login(video.owner)
    page = client.get(reverse("videos:video", args=[video.pk])).content.decode()
    assert "The text on screen could not be read." in page
    assert "data-player" in page and "Today we look at how a model learns." in page  # still playable, its transcript


def test_deleting_the_video_while_its_screen_is_read_stores_nothing(monkeypatch) -> None:
    video = ready_upload()

    def deleted_meanwhile(path, *, duration, fingerprint=None, on_progress=None):
        video_delete(video=Video.objects.get(pk=video.pk))
        return [SHOWN]

    monkeypatch.setattr(stage, "read_screen", deleted_meanwhile)
    screen_text_read(video.pk)

    assert not Video.objects.filter(pk=video.pk).exists()
    assert not ScreenTextLine.objects.filter(video_id=video.pk).exists()
    assert not TranscriptChunk.objects.filter(video_id=video.pk).exists()


def test_deleting_the_video_stops_the_reading_at_its_next_progress(monkeypatch) -> None:
    video = ready_upload()
    fractions: list[float] = []

    def deleted_midway(path, *, duration, fingerprint=None, on_progress=None):
        for fraction in (0.1, 0.2, 0.3, 0.4):
            fractions.append(fraction)
            on_progress(fraction)
            if fraction == 0.2:
                Video.objects.filter(pk=video.pk).delete()
        return [SHOWN]

    monkeypatch.setattr(stage, "read_screen", deleted_midway)
    screen_text_read(video.pk)  # no error

    assert fractions == [0.1, 0.2, 0.3]
    assert not ScreenTextLine.objects.filter(video_id=video.pk).exists()


def test_youtube_videos_and_videos_not_ready_are_not_read(monkeypatch) -> None:
    calls: list = []
    monkeypatch.setattr(stage, "read_screen", reader_returning(SHOWN, calls=calls))
    youtube = VideoFactory(youtube=True, status=Video.Status.READY)
    processing = VideoFactory(status=Video.Status.PROCESSING, storage_key="videos/2/original.mp4")

    assert not screen_text_queue(youtube) and not screen_text_queue(processing)
    screen_text_read(youtube.pk)
    screen_text_read(processing.pk)

    assert calls == []
    assert SCREEN_TEXT not in Video.objects.get(pk=youtube.pk).backends


def test_the_admin_action_reads_the_screen_again(monkeypatch, admin_client, django_capture_on_commit_callbacks) -> None:
    video = ready_upload()
    youtube = VideoFactory(youtube=True, status=Video.Status.READY)
    monkeypatch.setattr(stage, "read_screen", reader_returning(SHOWN))
    screen_text_read(video.pk)
    better = ShownLine(
        start=1.0, end=4.0, text="Gradient descent, step by step", box=(0.1, 0.2, 0.6, 0.1), confidence=0.99
    )
    monkeypatch.setattr(stage, "read_screen", reader_returning(better))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:videos_video_changelist"),
            {"action": "read_screen_again", "_selected_action": [video.pk, youtube.pk]},
            follow=True,
        )

    said = "Queued 1 video(s) to read the text on screen. Skipped 1 that are not ready uploads."
    assert said in response.content.decode()
    assert list(ScreenTextLine.objects.filter(video=video).values_list("text", flat=True)) == [better.text]
    shown_chunks = TranscriptChunk.objects.filter(video=video, kind=TranscriptChunk.Kind.SHOWN)
    assert [better.text in chunk.text for chunk in shown_chunks] == [True]


def test_a_kind_recorded_beside_a_running_step_is_kept(monkeypatch) -> None:
    # A re-transcribe's steps hold the video as it was when they started; the screen was read meanwhile.
    video = ready_upload(backends={"clips": "local"})
    stale = Video.objects.get(pk=video.pk)
    monkeypatch.setattr(stage, "read_screen", reader_returning(SHOWN))
    screen_text_read(video.pk)

    steps.ensure_chunks(stale)

    assert Video.objects.get(pk=video.pk).backends == {"clips": "local", SCREEN_TEXT: READER_NAME, "chunks": "none"}


# --- the page, the API and the files ---------------------------------------------------------------


def read_video(owner=None) -> Video:
    """A ready upload with two said lines and, between them, a title shown on screen."""
    video = ready_upload(owner, storage_key="videos/1/original.mp4", backends={SCREEN_TEXT: READER_NAME})
    TranscriptFactory(video=video, lines=SAID)
    ScreenTextLine.objects.create(
        video=video, index=0, start=1.0, end=4.0, text=TITLE, box=[0.1, 0.2, 0.5, 0.1], confidence=0.97
    )
    return video


def panel_lines(page: str) -> list[tuple[str, str, bool]]:
    """(start, text, marked as shown) of each transcript line, in the panel's order."""
    lines = []
    for match in re.finditer(r'<li class="transcript-line([^"]*)"[^>]*data-start="([^"]+)".*?</li>', page, re.S):
        text = re.search(r'<span class="transcript-text">(.*?)</span>', match.group(0))
        plain = text.group(1).strip() if text else ""
        lines.append((match.group(2), plain, "is-shown" in match.group(1)))
    return lines


def test_the_transcript_panel_lists_shown_lines_among_said_ones_marked_on_screen(client) -> None:
    video = read_video()
    client.force_login(video.owner)

    page = client.get(reverse("videos:video", args=[video.pk])).content.decode()

    assert panel_lines(page) == [
        ("0", "Today we look at how a model learns.", False),
        ("1", TITLE, True),
        ("3", "Each step goes downhill.", False),
    ]
    shown_match = re.search(r'<li class="transcript-line is-shown".*?</li>', page, re.S)
    assert shown_match is not None
    shown = shown_match.group(0)
    assert 'href="?t=1"' in shown
    assert ">on screen</span>" in shown and "Shown on screen, not said" in shown
    for file_type in ("txt", "vtt"):  # the owner's downloads of what is said and shown
        assert f'href="{reverse("api-video-transcript-file", args=[video.pk, file_type])}" download' in page


def test_while_the_screen_is_read_the_ready_page_says_so_beside_the_player(client) -> None:
    video = ready_upload(storage_key="videos/1/original.mp4", stage=SCREEN_TEXT, percent=40)
    TranscriptFactory(video=video, lines=SAID)
    client.force_login(video.owner)

    page = client.get(reverse("videos:video", args=[video.pk])).content.decode()

    status_match = re.search(r"<p[^>]*data-screen-text-status[^>]*>.*?</p>", page, re.S)
    assert status_match is not None
    status = status_match.group(0)
    assert " hidden" not in status.split(">")[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", status)).strip() == "Reading the screen… 40%"
    assert "data-player" in page
    assert "data-video-state" not in page  # nothing says the video itself is processing


def test_the_api_gives_the_owner_the_lines_and_the_stage_and_anyone_else_a_404(api_client) -> None:
    video = read_video()
    url = reverse("api-video-screen-text", args=[video.pk])

    api_client.force_authenticate(video.owner)
    body = api_client.get(url).json()
    api_client.force_authenticate(UserFactory())
    other = api_client.get(url)

    assert body == {
        "state": "done",
        "percent": None,
        "message": "",
        "lines": [
            {
                "start": 1.0,
                "end": 4.0,
                "text": TITLE,
                "box": {"left": 0.1, "top": 0.2, "width": 0.5, "height": 0.1},
                "confidence": 0.97,
            }
        ],
    }
    assert other.status_code == 404


def test_the_api_says_how_far_the_reading_is_and_when_it_failed(api_client) -> None:
    reading = ready_upload(stage=SCREEN_TEXT, percent=55)
    failed = ready_upload(reading.owner, backends={SCREEN_TEXT: FAILED})
    youtube = VideoFactory(owner=reading.owner, youtube=True, status=Video.Status.READY)
    api_client.force_authenticate(reading.owner)

    bodies = [
        api_client.get(reverse("api-video-screen-text", args=[video.pk])).json() for video in (reading, failed, youtube)
    ]
    states = [{key: body[key] for key in ("state", "percent", "message")} for body in bodies]

    assert states == [
        {"state": "reading", "percent": 55, "message": ""},
        {"state": "failed", "percent": None, "message": "The text on screen could not be read."},
        {"state": "none", "percent": None, "message": ""},
    ]


def test_the_transcript_files_carry_the_shown_lines_marked_on_screen(api_client) -> None:
    video = read_video()
    api_client.force_authenticate(video.owner)

    text = api_client.get(reverse("api-video-transcript-file", args=[video.pk, "txt"]))
    vtt = api_client.get(reverse("api-video-transcript-file", args=[video.pk, "vtt"]))

    assert text["Content-Disposition"] == f'attachment; filename="video-{video.pk}-transcript.txt"'
    assert text.content.decode().splitlines()[-3:] == [
        "[00:00] Today we look at how a model learns.",
        f"[00:01] [on screen] {TITLE}",
        "[00:03] Each step goes downhill.",
    ]
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8"
    assert f"00:00:01.000 --> 00:00:04.000\n[on screen] {TITLE}\n" in vtt.content.decode()
    api_client.force_authenticate(UserFactory())
    assert api_client.get(reverse("api-video-transcript-file", args=[video.pk, "txt"])).status_code == 404


def test_the_players_captions_stay_speech_only(client) -> None:
    video = read_video()
    client.force_login(video.owner)

    captions = client.get(reverse("videos:captions", args=[video.pk])).content.decode()

    assert "Each step goes downhill." in captions and TITLE not in captions
