"""Reading the text shown in a video (videos.screen_text.reading) on videos drawn with known text
(sage/synthetic_media/screen_text.py): the words come back, timed to the half second, once per still
slide; footage without text gives nothing; a file that cannot be decoded says so."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sage.synthetic_media import make_bad_file
from sage.synthetic_media.screen_text import Shot, ShownText, Sign, TruthLine, make_screen_video
from videos.embeddings.local import LocalClipEmbedder
from videos.screen_text import engine, reading
from videos.screen_text.reading import ScreenReadError, ShownLine, read_screen

TIMING_TOLERANCE = 0.5
WIDTH, HEIGHT = 640, 360


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def assert_lines_match(lines: list[ShownLine], truth: list[TruthLine]) -> None:
    """Every shown line is read with its words and times, and nothing else is read."""
    found = {_words(line.text): line for line in lines}
    assert sorted(found) == sorted(_words(line.text) for line in truth), lines
    for expected in truth:
        line = found[_words(expected.text)]
        assert abs(line.start - expected.start) <= TIMING_TOLERANCE, (expected, line)
        assert abs(line.end - expected.end) <= TIMING_TOLERANCE, (expected, line)
        assert 0.0 <= line.confidence <= 1.0


def screen_video(
    path: Path, seconds: float, shots: list[Shot], texts: Sequence[ShownText] = (), **encoding: int
) -> tuple[Path, list[TruthLine]]:
    """`path`, drawn WIDTH×HEIGHT with `texts` over `shots`, and the lines it shows."""
    truth = make_screen_video(path, seconds=seconds, width=WIDTH, height=HEIGHT, shots=shots, texts=texts, **encoding)
    return path, truth


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[TruthLine]]:
    return screen_video(
        tmp_path_factory.mktemp("screen") / "slides.mp4",
        7,
        shots=[Shot(0, 3.5, colour=(20, 30, 70)), Shot(3.5, 7, colour=(245, 245, 240))],
        texts=[
            ShownText("Photosynthesis needs light", 0.0, 3.5, x=0.08, y=0.15, size=32, font="sans-bold"),
            # A bullet built in a second later, in small serif type.
            ShownText("Chlorophyll absorbs red and blue", 1.2, 3.5, x=0.08, y=0.5, size=20, font="serif"),
            ShownText("Glucose is stored as starch", 3.5, 7.0, x=0.1, y=0.4, size=28, colour=(30, 30, 30)),
        ],
    )


def test_slides_are_read_with_their_words_and_times(slides: tuple[Path, list[TruthLine]]) -> None:
    path, truth = slides
    lines = read_screen(path, duration=7.0)
    assert_lines_match(lines, truth)
    bullet = next(line for line in lines if line.text.startswith("Chlorophyll"))
    left, top, width, height = bullet.box
    assert 0.05 < left < 0.12 and 0.45 < top < 0.55 and 0.0 < height < 0.15 and left + width <= 1.0


def test_a_still_slide_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = screen_video(
        tmp_path / "still.mp4",
        20,
        shots=[Shot(0, 20)],
        texts=[ShownText("Office hours on Thursday", 0.0, 20.0, x=0.1, y=0.3, size=30)],
        fps=5,
    )
    reads: list[float] = []
    real_read = engine.read_frame

    def counting_read(rgb, **options):
        reads.append(1.0)
        return real_read(rgb, **options)

    monkeypatch.setattr(reading, "read_frame", counting_read)
    progress: list[float] = []
    lines = read_screen(path, duration=20.0, on_progress=progress.append)
    assert [line.text for line in lines] == ["Office hours on Thursday"]
    assert len(reads) == 1
    assert progress[-1] == 1.0 and progress == sorted(progress)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[TruthLine]]:
    """Moving footage: a lower third and subtitles over it, then a cut to a camera panning and zooming
    over a sign, then a cut to a shot without text."""
    return screen_video(
        tmp_path_factory.mktemp("screen") / "footage.mp4",
        10,
        shots=[
            Shot(0, 4, seed=11, pan=(0.04, 0.0)),
            Shot(4, 8, seed=12, pan=(-0.03, 0.01), zoom=0.03, sign=Sign("PLATFORM 9 EXIT", x=0.3, y=0.35, size=24)),
            Shot(8, 10, seed=13, pan=(0.0, 0.03)),
        ],
        texts=[
            ShownText("Dr Amara Okafor, volcanologist", 0.5, 3.0, x=0.05, y=0.72, size=20, backing=(15, 15, 15)),
            ShownText("the lava reached the sea", 1.0, 2.4, x=0.25, y=0.88, size=22, backing=(0, 0, 0)),
            ShownText("and the island grew", 2.4, 3.8, x=0.28, y=0.88, size=22, backing=(0, 0, 0)),
        ],
    )


def test_subtitles_lower_thirds_and_a_sign_in_a_moving_shot_are_read(
    footage: tuple[Path, list[TruthLine]],
) -> None:
    path, truth = footage
    assert_lines_match(read_screen(path, duration=10.0), truth)


def test_the_fingerprint_of_the_video_gives_the_same_lines(footage: tuple[Path, list[TruthLine]]) -> None:
    path, truth = footage
    _clips, fingerprint = LocalClipEmbedder().embed_clips_and_fingerprint(path)
    assert_lines_match(read_screen(path, duration=10.0, fingerprint=fingerprint), truth)


def test_footage_without_text_gives_no_lines(tmp_path: Path) -> None:
    path, _ = screen_video(
        tmp_path / "no_text.mp4",
        8,
        shots=[Shot(0, 5, seed=21, pan=(0.05, 0.02), zoom=0.02), Shot(5, 8, seed=22, pan=(-0.04, 0.0))],
    )
    assert read_screen(path, duration=8.0) == []


@pytest.mark.parametrize("kind", ["no_decodable_frames", "not_a_video", "audio_only"])
def test_a_file_without_decodable_pictures_raises_a_readable_error(tmp_path: Path, kind: str) -> None:
    path = make_bad_file(kind, tmp_path)
    with pytest.raises(ScreenReadError) as raised:
        read_screen(path, duration=6.0)
    assert str(raised.value).startswith("The ")


def test_titles_that_differ_by_a_number_on_consecutive_slides_are_two_lines(tmp_path: Path) -> None:
    path, truth = screen_video(
        tmp_path / "chapters.mp4",
        6,
        shots=[Shot(0, 6)],
        fps=5,
        texts=[
            ShownText("Chapter 1: sorting in practice", 0.0, 3.0, x=0.1, y=0.3, size=30),
            ShownText("Chapter 2: sorting in practice", 3.0, 6.0, x=0.1, y=0.3, size=30),
            ShownText("Algorithms 101", 0.0, 6.0, x=0.1, y=0.8, size=22),
        ],
    )
    assert_lines_match(read_screen(path, duration=6.0), truth)
