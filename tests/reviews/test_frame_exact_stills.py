"""A drawing's still is the frame the reviewer drew on, at every rate editors deliver: the video shows
each frame's number in its pixels (`sage.synthetic_media.numbered_videos`), a comment is made while a
frame is on screen (a time inside it, or its start as stored to the millisecond), and the still's
number is read back. Before one timebase, a time inside a frame gave the next frame's still."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from sage.synthetic_media.frame_numbers import read_frame_number
from sage.synthetic_media.numbered_videos import EDITORS_RATES, make_numbered_video
from tests.factories import uploaded_video
from videos.models import Video

pytestmark = pytest.mark.django_db

RATES = list(EDITORS_RATES.values())
FRAMES = [1, 23, 47]  # near the start, mid-second, the second second (past the first keyframe's GOP start)
# A small mark in the lower right: the frame number's band (along the top) stays readable.
DRAWING = {"shapes": [{"tool": "rect", "color": "#e53935", "width": 0.01, "from": [0.85, 0.85], "to": [0.95, 0.95]}]}


@pytest.fixture(scope="module")
def numbered_clips(tmp_path_factory) -> dict[Fraction, Path]:
    folder = tmp_path_factory.mktemp("numbered")
    clips = {}
    for rate in RATES:
        path = folder / f"numbered-{rate.numerator}-{rate.denominator}.mp4"
        make_numbered_video(path, rate=rate, frame_count=60)
        clips[rate] = path
    return clips


def stored(owner, path: Path, rate: Fraction) -> Video:
    return uploaded_video(owner, path, title="Numbered", duration=60 / rate, fps=float(rate), status=Video.Status.READY)


def still_number(client: Client, video: Video, start: float) -> int | None:
    made = client.post(
        f"/api/v1/videos/{video.pk}/comments",
        {"side": "video", "start": start, "body": "", "drawing": DRAWING},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    still = client.get(f"/api/v1/comments/{made.json()['id']}/still.png")
    assert still.status_code == 200
    return read_frame_number(np.asarray(Image.open(io.BytesIO(still.content)).convert("RGB")))


@pytest.mark.parametrize("rate", RATES, ids=list(EDITORS_RATES))
def test_a_drawing_is_still_on_the_frame_it_was_drawn_on(user, numbered_clips, rate) -> None:
    client = Client()
    client.force_login(user)
    video = stored(user, numbered_clips[rate], rate)

    for frame in FRAMES:
        inside = float((frame + Fraction(7, 10)) / rate)  # paused on it: a time late in the frame
        at_start = round(float(frame / rate), 3)  # its start, stored to the millisecond
        assert still_number(client, video, inside) == frame
        assert still_number(client, video, at_start) == frame
