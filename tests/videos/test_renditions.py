"""Every upload plays in every browser: the renditions the pipeline makes from what editors and phones
deliver (ProRes, DNxHR, HEVC, VP9, 10-bit, 4:2:2, interlaced, variable rate; PCM, ALAC, Opus sound),
checked frame for frame with PyAV; an original that plays is served as it is; what pages, shared
links and the API give players; and ready videos made before renditions get theirs."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from billing.ledger import ledger_grant
from billing.models import Wallet
from sage.synthetic_media.formats import FORMAT_KINDS, make_format_sample, make_streams_apart_sample
from sage.synthetic_media.mp4 import mp4_boxes
from tests.factories import ShareLinkFactory, empty_wallet_user, uploaded_video
from videos import render
from videos.models import Video
from videos.pipeline import runner
from videos.pipeline.renditions import renditions_backfill
from videos.playback import Playback, playback_plan
from videos.probe import probe_media
from videos.render import Rendered, render_renditions, rendition_rate

# What each kind needs: a new encode, only a remux with the index first, or nothing for players.
EXPECTED_PLAYBACK = {
    "prores_pcm_mov": Playback.ENCODE,
    "dnxhr_mov": Playback.ENCODE,
    "hevc_mp4": Playback.ENCODE,
    "vp9_opus_webm": Playback.ENCODE,
    "h264_10bit_mp4": Playback.ENCODE,
    "h264_422_mp4": Playback.ENCODE,
    "h264_interlaced_mp4": Playback.ENCODE,
    "h264_vfr_mp4": Playback.ENCODE,
    "h264_alac_mov": Playback.ENCODE,
    "h264_aac_faststart_mp4": Playback.AS_IS,
    "h264_aac_index_last_mp4": Playback.REMUX,
}
PLAYABLE_PROFILES = {"High", "Main", "Constrained Baseline"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("formats")
    return {kind: make_format_sample(kind, directory / kind) for kind in FORMAT_KINDS}


@pytest.fixture(scope="module")
def rendered(samples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Each sample's renditions, made once for the module's checks."""
    made = {}
    for kind, path in samples.items():
        probe = probe_media(path, max_seconds=60)
        made[kind] = render_renditions(path, tmp_path_factory.mktemp(kind), probe=probe, plan=playback_plan(probe))
    return made


def decoded_frames(path: Path) -> list[Any]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def index_first(path: Path) -> bool:
    kinds = [box.kind for box in mp4_boxes(path.read_bytes()) if box.depth == 0 and box.kind in (b"moov", b"mdat")]
    return kinds[0] == b"moov"


def test_every_kind_has_an_expectation() -> None:
    assert set(EXPECTED_PLAYBACK) == set(FORMAT_KINDS)


@pytest.mark.parametrize("kind", list(FORMAT_KINDS))
def test_each_format_is_judged_from_its_probe(samples: dict[str, Path], kind: str) -> None:
    plan = playback_plan(probe_media(samples[kind], max_seconds=60))

    assert plan.playback is EXPECTED_PLAYBACK[kind], plan.reasons


@pytest.mark.parametrize("kind", [kind for kind, playback in EXPECTED_PLAYBACK.items() if playback is Playback.ENCODE])
def test_a_rendition_is_h264_aac_index_first_with_every_frame_at_the_same_rate(
    samples: dict[str, Path], rendered: dict[str, Rendered], kind: str
) -> None:
    original = samples[kind]
    probe = probe_media(original, max_seconds=60)
    made = rendered[kind].playable
    assert made is not None

    source_frames = decoded_frames(original)
    with av.open(str(made)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert video.codec_context.profile == "High"
        assert (audio.codec_context.name, audio.codec_context.profile) == ("aac", "LC")
        assert (audio.rate, audio.channels) == (48_000, 2)
        assert video.average_rate == rendition_rate(probe)
        assert video.duration is not None and video.time_base is not None and video.average_rate is not None
        duration = float(video.duration * video.time_base)
        rate = video.average_rate
    frames = decoded_frames(made)
    assert len(frames) == len(source_frames) == rendered[kind].frames
    # Constant rate: frame n at n / rate, whatever the original's timing.
    assert [frame.time for frame in frames[:5]] == pytest.approx([n / float(rate) for n in range(5)], abs=1e-3)
    assert not any(frame.interlaced_frame for frame in frames)
    assert duration == pytest.approx(probe.duration, abs=1 / float(rate) + 1e-3)
    assert index_first(made)
    again = probe_media(made, max_seconds=60)
    assert playback_plan(again).playback is Playback.AS_IS, playback_plan(again).reasons


def test_a_variable_rate_original_becomes_constant_at_its_average_rate_frame_for_frame(
    samples: dict[str, Path], rendered: dict[str, Rendered]
) -> None:
    original = samples["h264_vfr_mp4"]
    probe = probe_media(original, max_seconds=60)
    made = rendered["h264_vfr_mp4"].playable
    assert made is not None and probe.variable_rate

    source, copy = decoded_frames(original), decoded_frames(made)

    # The n-th frame is the same picture in both (the moving bar is where it was), at n / rate.
    assert len(copy) == len(source)
    for n in (0, len(source) // 2, len(source) - 1):
        assert bar_position(copy[n]) == bar_position(source[n])
    assert rendition_rate(probe) == Fraction(10000, 489)
    assert not probe_media(made, max_seconds=60).variable_rate


def bar_position(frame: Any) -> int:
    # The white bar's left edge (sage.synthetic_media.formats draws one a frame further each frame).
    row = frame.to_ndarray(format="gray")[frame.height // 2]
    return int((row > 235).argmax())


def test_an_original_with_its_index_last_is_remuxed_not_reencoded(
    samples: dict[str, Path], rendered: dict[str, Rendered]
) -> None:
    original = samples["h264_aac_index_last_mp4"]
    made = rendered["h264_aac_index_last_mp4"].playable
    assert made is not None and not index_first(original)

    def packets(path: Path) -> list[bytes]:
        with av.open(str(path)) as container:
            return [bytes(packet) for packet in container.demux(video=0) if packet.size]

    assert index_first(made)
    assert packets(made) == packets(original)


def test_an_original_that_plays_gets_only_the_small_copy(rendered: dict[str, Rendered]) -> None:
    small = rendered["h264_aac_faststart_mp4"].small
    assert rendered["h264_aac_faststart_mp4"].playable is None
    assert small is not None and small.exists()


@pytest.mark.parametrize("kind", ["prores_pcm_mov", "h264_aac_faststart_mp4"])
def test_the_small_copy_is_360_lines_with_every_frame(
    samples: dict[str, Path], rendered: dict[str, Rendered], tmp_path: Path, kind: str
) -> None:
    big = make_format_sample(kind, tmp_path / "big", width=854, height=480, seconds=1)
    probe = probe_media(big, max_seconds=60)
    small = render_renditions(big, tmp_path, probe=probe, plan=playback_plan(probe)).small
    assert small is not None

    with av.open(str(small)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, video.codec_context.name) == (640, 360, "h264")
        assert video.codec_context.pix_fmt == "yuv420p"
    assert len(decoded_frames(small)) == len(decoded_frames(big))
    assert index_first(small)


# --- the pipeline, pages and API ------------------------------------------------------------------


def funded_user(tokens: int):
    user = empty_wallet_user()
    ledger_grant(user=user, amount=tokens, key=f"test-grant:{user.pk}", memo="test")
    return user


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_a_prores_upload_is_ready_with_a_rendition_players_get_and_costs_only_its_seconds(
    samples: dict[str, Path], settings
) -> None:
    user = funded_user(100)
    video = uploaded_video(user, samples["prores_pcm_mov"], original_plays=None)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.error_message
    assert (video.original_plays, video.rendition_error) == (False, "")
    # Ready waits for the rendition only: its small copy is made just after (the task the run queues).
    assert video.playable_key and video.small_key == ""
    assert renditions_backfill(video.pk)
    video.refresh_from_db()
    assert video.small_key and video.status == Video.Status.READY
    playable, small = (Path(settings.MEDIA_ROOT) / key for key in (video.playable_key, video.small_key))
    assert len(decoded_frames(small)) == len(decoded_frames(playable)) == len(decoded_frames(samples["prores_pcm_mov"]))
    # The rendition is not charged: 1 token = 1 s of processed video, whatever is made from it.
    assert Wallet.objects.get(user=user).balance == 100 - math.ceil(video.duration or 0)

    client = Client()
    client.force_login(user)
    played = client.get(f"/videos/{video.pk}/file")
    assert played["Content-Type"] == "video/mp4"
    assert streamed(played) == (Path(settings.MEDIA_ROOT) / video.playable_key).read_bytes()
    original = client.get(f"/videos/{video.pk}/original")
    assert original["Content-Type"] == "video/quicktime"
    assert original["Content-Disposition"].startswith("attachment;")
    assert streamed(original) == samples["prores_pcm_mov"].read_bytes()
    page = client.get(f"/videos/{video.pk}/").content.decode()
    assert f'<source src="/videos/{video.pk}/file"' in page
    assert f'<source src="/videos/{video.pk}/small.mp4" type="video/mp4" media="(max-width: 640px)"' in page
    assert "Download original" in page
    api = client.get(f"/api/v1/videos/{video.pk}").json()
    assert api["playback"] == "ready"
    assert api["file_url"].endswith(f"/videos/{video.pk}/file")
    assert api["original_url"].endswith(f"/videos/{video.pk}/original")


@pytest.mark.django_db
def test_an_original_that_plays_is_served_as_it_is(samples: dict[str, Path], settings) -> None:
    user = funded_user(100)
    video = uploaded_video(user, samples["h264_aac_faststart_mp4"], original_plays=None)

    runner.process_video(video.pk)

    video.refresh_from_db()
    assert (video.status, video.original_plays, video.playable_key) == (Video.Status.READY, True, "")
    client = Client()
    client.force_login(user)
    assert streamed(client.get(f"/videos/{video.pk}/file")) == samples["h264_aac_faststart_mp4"].read_bytes()
    # Its small copy is made just after ready (the task the run queues), never delaying it.
    assert video.small_key == ""
    assert renditions_backfill(video.pk)
    video.refresh_from_db()
    assert video.small_key and video.status == Video.Status.READY
    assert client.get(f"/videos/{video.pk}/small.mp4")["Content-Type"] == "video/mp4"


@pytest.mark.django_db
def test_until_the_rendition_exists_the_page_says_so_and_a_failure_offers_the_original(
    samples: dict[str, Path], settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = funded_user(100)
    # A video processed before renditions existed: ready, never judged.
    video = uploaded_video(user, samples["hevc_mp4"], original_plays=None, duration=2.0)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.READY)
    client = Client()
    client.force_login(user)

    page = client.get(f"/videos/{video.pk}/").content.decode()
    assert "Preparing a version your browser can play…" in page
    assert "<video" not in page
    assert client.get(f"/api/v1/videos/{video.pk}").json()["playback"] == "preparing"

    # The renditions' child is killed at its deadline: the video stays ready and says why.
    monkeypatch.setattr(render, "WALL_SECONDS_FLOOR", 0)
    monkeypatch.setattr(render, "WALL_SECONDS_PER_SECOND", 0)
    call_command("make_renditions")
    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert (
        video.rendition_error
        == "We could not make a version your browser can play: Making a playable version took too long."
    )
    page = client.get(f"/videos/{video.pk}/").content.decode()
    assert video.rendition_error in page
    assert f'href="/videos/{video.pk}/original" download' in page


@pytest.mark.django_db
def test_ready_videos_made_before_renditions_get_them_and_stay_ready(samples: dict[str, Path], settings) -> None:
    user = funded_user(100)
    video = uploaded_video(user, samples["dnxhr_mov"], original_plays=None, duration=2.0)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.READY)
    balance = Wallet.objects.get(user=user).balance

    call_command("make_renditions")

    video.refresh_from_db()
    assert video.status == Video.Status.READY
    assert video.playable_key and video.small_key and video.original_plays is False
    assert Wallet.objects.get(user=user).balance == balance
    assert len(decoded_frames(Path(settings.MEDIA_ROOT) / video.playable_key)) == 50


@pytest.mark.django_db
def test_a_share_link_plays_the_rendition_and_never_hands_out_the_original(samples: dict[str, Path], settings) -> None:
    user = funded_user(100)
    video = uploaded_video(user, samples["vp9_opus_webm"], original_plays=None)
    runner.process_video(video.pk)
    renditions_backfill(video.pk)  # its small copy, made just after ready
    video.refresh_from_db()
    link = ShareLinkFactory(video=video)
    client = Client()

    page = client.get(f"/s/{link.token}/").content.decode()

    sources = {quality: url for url, quality in re.findall(r'<source src="([^"#]+)[^>]*data-quality="(\w+)"', page)}
    assert set(sources) == {"small", "full"}
    assert streamed(client.get(sources["full"])) == (Path(settings.MEDIA_ROOT) / video.playable_key).read_bytes()
    assert streamed(client.get(sources["small"])) == (Path(settings.MEDIA_ROOT) / video.small_key).read_bytes()
    assert "Download original" not in page


def _tone_onset_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        sound = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])
    return float(np.argmax(np.abs(sound) > 0.05)) / 48_000


@pytest.mark.parametrize(
    ("picture_from", "tone_from", "heard_at"),
    [
        (0.0, 0.3, 0.3),  # together: as before
        (-0.5, 0.0, 0.5),  # the sound starts half a second after the picture
        (0.4, 0.6, 0.2),  # the sound starts 0.4 s before the picture: its first 0.4 s are cut
    ],
)
def test_the_renditions_sound_stays_in_sync_when_the_originals_streams_start_apart(
    tmp_path: Path, picture_from: float, tone_from: float, heard_at: float
) -> None:
    original = make_streams_apart_sample(tmp_path / "offset.mov", picture_from=picture_from, tone_from=tone_from)
    probe = probe_media(original, max_seconds=60)

    (tmp_path / "out").mkdir()
    made = render_renditions(original, tmp_path / "out", probe=probe, plan=playback_plan(probe))

    assert made.playable is not None and made.small is not None
    for rendition in (made.playable, made.small):
        # within the resampler's frame (21 ms; at most half of it off) of where the original has it
        assert _tone_onset_seconds(rendition) == pytest.approx(heard_at, abs=0.012)


def _greys(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(frame.to_ndarray(format="rgb24").mean()) for frame in container.decode(video=0)]


def test_a_full_range_originals_rendition_keeps_its_shadows_and_highlights(tmp_path: Path) -> None:
    # MJPEG is full range (0-255); players take H.264 without a range as limited (16-235). Passed on
    # as it was, frame 0-3's greys (0-15) all showed black and the steps between the others grew.
    original = make_streams_apart_sample(tmp_path / "mjpeg.mov", picture_from=0.0, tone_from=0.0)
    probe = probe_media(original, max_seconds=60)
    (tmp_path / "out").mkdir()

    made = render_renditions(original, tmp_path / "out", probe=probe, plan=playback_plan(probe))

    assert made.playable is not None and made.small is not None
    for rendition in (made.playable, made.small):
        assert _greys(rendition) == pytest.approx(_greys(original), abs=3)
