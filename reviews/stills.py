"""A drawing's still: the frame of the comment's side at its `start`, with the drawing over it, as PNG.

The frame comes from the stored file (`notes.frames.grab_frame`: PyAV, read in place); Pillow draws
the shapes with the canvas overlay's geometry (`static/js/reviews/drawing/`): coordinates are
fractions of the picture, widths and text sizes fractions of its height. A still is made ahead, by a
task queued when a comment with a drawing is saved (`still_request`, from `reviews.signals`), so a
request finds it stored; a request that comes first (or after a lost task) makes it itself. It is kept
in storage under the comment's id and a hash of what it shows, so an edited drawing or time gets a new
one and the old file is never served for it. YouTube videos have no file: no still.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from typing import Any

import av
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError
from PIL import Image, ImageDraw, ImageFont

from notes.frames import grab_frame, has_frame_source
from reviews.models import Comment
from sage.availability import release_connections
from sage.errors import NotFound
from sage.queueing import TaskRef
from videos.models import Video
from videos.pipeline.files import readable_played_source
from videos.uploads.errors import S3_UNREACHABLE

logger = logging.getLogger(__name__)

MAKE_COMMENT_STILL = TaskRef[[int]]("reviews.tasks.make_comment_still")
# What the still's task tries again (Celery's retry, with backoff): the database or S3 away for a
# moment. A frame that cannot be decoded stays so; the request path says so when asked.
STILL_TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, *S3_UNREACHABLE)

STILL_WIDTH = 1280
# An arrow's head: its sides' length as a multiple of the line's width (at least HEAD_MIN of the
# picture's height), opened HEAD_ANGLE either side of the line. The overlay uses the same numbers.
HEAD_WIDTHS = 4.0
HEAD_MIN = 0.02
HEAD_ANGLE = math.radians(28)


def still_video(comment: Comment) -> Video | None:
    """The video whose picture the comment's drawing is on (its side of a comparison)."""
    if comment.video is not None:
        return comment.video
    assert comment.comparison is not None  # the check constraint: one or the other
    return comment.comparison.video_a if comment.side == Comment.Side.A else comment.comparison.video_b


def _stillable_video(comment: Comment) -> Video | None:
    """The video whose stored file the comment's still is drawn on; None without a drawing or a file."""
    video = still_video(comment) if comment.drawing is not None else None
    return video if video is not None and has_frame_source(video) else None


def has_still(comment: Comment) -> bool:
    return _stillable_video(comment) is not None


def still_key(comment: Comment) -> str:
    shown = json.dumps([comment.side, comment.start, comment.drawing], sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(shown.encode()).hexdigest()[:20]
    return f"stills/comments/{comment.pk}-{digest}.png"


def _xy(point: list[float], size: tuple[int, int]) -> tuple[float, float]:
    return point[0] * size[0], point[1] * size[1]


def _arrow_head(start: tuple[float, float], end: tuple[float, float], length: float) -> list[tuple[float, float]]:
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    return [
        (end[0] - length * math.cos(angle - side * HEAD_ANGLE), end[1] - length * math.sin(angle - side * HEAD_ANGLE))
        for side in (-1, 1)
    ]


def _draw_shape(draw: ImageDraw.ImageDraw, shape: dict[str, Any], size: tuple[int, int]) -> None:
    height = size[1]
    color = shape["color"]
    tool = shape["tool"]
    if tool == "text":
        font = ImageFont.load_default(size=max(8, round(shape["size"] * height)))
        draw.text(_xy(shape["at"], size), shape["text"], fill=color, font=font, anchor="ls")
        return
    width = max(1, round(shape["width"] * height))
    if tool == "pen":
        draw.line([_xy(point, size) for point in shape["points"]], fill=color, width=width, joint="curve")
        return
    start, end = _xy(shape["from"], size), _xy(shape["to"], size)
    box = (min(start[0], end[0]), min(start[1], end[1]), max(start[0], end[0]), max(start[1], end[1]))
    if tool == "rect":
        draw.rectangle(box, outline=color, width=width)
    elif tool == "ellipse":
        draw.ellipse(box, outline=color, width=width)
    else:  # arrow
        head = max(width * HEAD_WIDTHS, HEAD_MIN * height)
        draw.line([start, end], fill=color, width=width)
        for tip in _arrow_head(start, end, head):
            draw.line([end, tip], fill=color, width=width)


def render_still(frame: np.ndarray, drawing: dict[str, Any]) -> bytes:
    """`frame` (RGB) with `drawing`'s shapes over it, as PNG bytes."""
    image = Image.fromarray(frame, mode="RGB")
    draw = ImageDraw.Draw(image)
    for shape in drawing["shapes"]:
        _draw_shape(draw, shape, image.size)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _rendered(comment: Comment, video: Video) -> bytes:
    """The still's PNG, decoded and drawn now (NotFound when the frame cannot be read)."""
    assert comment.drawing is not None
    source = readable_played_source(video)
    release_connections()  # decoding (in place from S3, perhaps) holds no database connection
    try:
        frame = grab_frame(source, comment.start, max_width=STILL_WIDTH)
    except (av.FFmpegError, OSError, ValueError) as exc:
        logger.warning("could not read the frame for comment %s's still", comment.pk, exc_info=True)
        raise NotFound("This comment's frame could not be read.") from exc
    return render_still(frame, comment.drawing)


def _keep(key: str, png: bytes) -> None:
    if not default_storage.exists(key):  # two makers at once: the second keeps the first's file
        default_storage.save(key, ContentFile(png))


def comment_still_png(comment: Comment) -> bytes:
    """The comment's still: the stored one, else made and stored now (its task has not run yet);
    NotFound when it has none (no drawing, no file, or the frame cannot be decoded)."""
    video = _stillable_video(comment)
    if video is None:
        raise NotFound("This comment has no still.")
    key = still_key(comment)
    if default_storage.exists(key):
        with default_storage.open(key, "rb") as stored:
            return bytes(stored.read())
    png = _rendered(comment, video)
    _keep(key, png)
    return png


def still_request(comment: Comment) -> None:
    """Queue the making of `comment`'s still once the current transaction commits, when it has one
    to make (a drawing on an uploaded video's picture)."""
    if _stillable_video(comment) is not None:
        MAKE_COMMENT_STILL.delay_on_commit(comment.pk)


def comment_still_ensure(*, comment_id: int) -> bool:
    """Make and store the comment's still if it has one and it is not stored yet. True when one was
    made; False for a comment gone, without a still, already done, or whose frame cannot be read
    (then a request tries again, and says so)."""
    related = ("video", "comparison__video_a", "comparison__video_b")
    comment = Comment.objects.select_related(*related).filter(pk=comment_id).first()
    video = _stillable_video(comment) if comment is not None else None
    if comment is None or video is None:
        return False
    key = still_key(comment)
    if default_storage.exists(key):
        return False
    try:
        png = _rendered(comment, video)
    except NotFound:
        return False
    _keep(key, png)
    return True
