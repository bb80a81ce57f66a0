"""The recut's sound files: an upload laid to v1 checked before anything is stored or charged, read
in blocks, and the recut written at the upload's own sample format with a Broadcast WAV `bext`
chunk stamping v2's start.

libsndfile (inside the `soundfile` wheel) does the reading and writing: WAV, WAVE_FORMAT_EXTENSIBLE,
Broadcast WAV and RF64 (the EBU's WAV past 4 GiB: 90 minutes of 8 channels at 24 bits is 6.2 GB).
It writes the `bext` chunk itself (`SFC_SET_BROADCAST_INFO`), in WAV and RF64 alike; `soundfile`
does not wrap that command, so it is called through soundfile's own handle on the library with the
struct libsndfile's header declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import cffi
import numpy as np
import soundfile
from soundfile import _ffi as _soundfile_ffi  # soundfile's handle on libsndfile: sf_command is not wrapped
from soundfile import _snd as _libsndfile

from sage.errors import ApplicationError

SAMPLE_RATE = 48000
MAX_CHANNELS = 8
# The upload's container and sample formats (libsndfile's names) a dialogue editor's DAW exports.
CONTAINERS = frozenset({"WAV", "WAVEX", "RF64"})
SAMPLE_FORMATS = {"PCM_16": "16-bit integer", "PCM_24": "24-bit integer", "FLOAT": "32-bit float"}
# How far before v1's first frame a file's time reference may put its start and still be taken to
# place it: a reel's leader (the 2-pop two seconds before the hour, a session that starts a minute early).
LEADER_SECONDS = 60

# libsndfile's sndfile.h: the commands, and SF_BROADCAST_INFO with 256 bytes of coding history.
_SFC_SET_BROADCAST_INFO = 0x10F1
_SFC_GET_BROADCAST_INFO = 0x10F0
_SFC_RF64_AUTO_DOWNGRADE = 0x1210
_bext_ffi = cffi.FFI()
_bext_ffi.cdef(
    """typedef struct {
        char description[256]; char originator[32]; char originator_reference[32];
        char origination_date[10]; char origination_time[8];
        uint32_t time_reference_low; uint32_t time_reference_high; short version; char umid[64];
        int16_t loudness_value; int16_t loudness_range; int16_t max_true_peak_level;
        int16_t max_momentary_loudness; int16_t max_shortterm_loudness; char reserved[180];
        uint32_t coding_history_size; char coding_history[256];
    } SF_BROADCAST_INFO;"""
)
# libsndfile's log of a file whose data chunk claims more bytes than the file holds (cut short).
_TRUNCATED = re.compile(r"^data\s*:\s*\d+\s*\(should be \d+\)", re.MULTILINE)


class SoundRefused(ApplicationError):
    """An upload the recut cannot take: nothing of it is kept and nothing is charged."""

    code = "sound_refused"
    status = 400


@dataclass(frozen=True)
class SoundInfo:
    """What the recut needs to know of an upload."""

    frames: int
    channels: int
    sample_format: str  # libsndfile's subtype: PCM_16, PCM_24 or FLOAT
    container: str
    # Samples of the file before v1's first frame, from its bext time reference (a bounce from the
    # 2-pop or the session's start); negative when it starts after v1's first frame; 0 without one.
    lead: int = 0

    @property
    def seconds(self) -> float:
        return self.frames / SAMPLE_RATE

    @property
    def dtype(self) -> str:
        """The type its samples are read and written as, so that kept samples come out bit for bit:
        libsndfile puts 16- and 24-bit samples in an int32's top bits and back again exactly."""
        return "float32" if self.sample_format == "FLOAT" else "int32"


def sound_check(path: Path, *, longest: Fraction, v1_reference: int | None = None, name: str = "The file") -> SoundInfo:
    """The upload at `path` if the recut can take it: a WAV (or BWF, WAVE_FORMAT_EXTENSIBLE, RF64)
    at 48 kHz, 1 to 8 channels, 16/24-bit integer or 32-bit float samples, whole, not empty, and no
    longer than `longest` seconds (v1's length and a frame's tolerance) from v1's first frame on.
    A Broadcast WAV's time reference places it, as a DAW spots it, when it falls near v1's start
    (`v1_reference`, samples since midnight: within LEADER_SECONDS before it, or inside v1); any other
    (0, written by tools that set none; another reel's hour) is not taken to mean anything, and the
    file is taken as starting at v1's first frame. Raises SoundRefused saying what is wrong and what
    to send instead."""
    try:
        with soundfile.SoundFile(str(path)) as sound:
            info = SoundInfo(
                frames=sound.frames, channels=sound.channels, sample_format=sound.subtype, container=sound.format
            )
            rate, log = sound.samplerate, sound.extra_info
            reference = _time_reference(sound)
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise SoundRefused(
            f"{name} is not a WAV file that can be read ({_reason(error)}). Send a WAV or Broadcast WAV."
        ) from error
    if info.container not in CONTAINERS:
        raise SoundRefused(f"{name} is a {info.container} file. Send a WAV or Broadcast WAV.")
    if _TRUNCATED.search(log):
        raise SoundRefused(f"{name} is cut short: its header promises more sound than it holds. Send it again.")
    if rate != SAMPLE_RATE:
        raise SoundRefused(f"{name} is at {rate:,} Hz; the recut takes 48,000 Hz only. Convert it to 48 kHz.")
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise SoundRefused(
            f"{name} has {info.channels} channels; the recut takes 1 to {MAX_CHANNELS}. Send stems of at most "
            f"{MAX_CHANNELS} channels each."
        )
    if info.sample_format not in SAMPLE_FORMATS:
        raise SoundRefused(
            f"{name}'s samples are {info.sample_format}; send 16- or 24-bit integer or 32-bit float samples."
        )
    if info.frames == 0:
        raise SoundRefused(f"{name} holds no sound.")
    if reference is not None and v1_reference is not None:
        lead = v1_reference - reference
        if -longest * SAMPLE_RATE < lead <= LEADER_SECONDS * SAMPLE_RATE:
            info = replace(info, lead=lead)
    if info.frames - info.lead > longest * SAMPLE_RATE:
        after = f" after its first {info.lead / SAMPLE_RATE:.3f} s (before v1's first frame)" if info.lead > 0 else ""
        raise SoundRefused(
            f"{name} is {(info.frames - info.lead) / SAMPLE_RATE:.3f} s long{after}, longer than v1 "
            f"({float(longest):.3f} s). Send sound laid to v1, starting at its first frame."
        )
    return info


def _reason(error: Exception) -> str:
    """libsndfile's own words for why it could not open a file, without the path."""
    text = str(error)
    return text.rsplit(": ", 1)[-1].strip().rstrip(".") if ": " in text else "unreadable"


class SoundReader:
    """An upload read anywhere, a block at a time, at its own sample type (SoundInfo.dtype); what
    lies before its start or past its end reads as silence (sound shorter than v1 is silent after)."""

    def __init__(self, path: Path, info: SoundInfo) -> None:
        self.info = info
        self._file = soundfile.SoundFile(str(path))

    def silence(self, count: int) -> np.ndarray:
        return np.zeros((count, self.info.channels), self.info.dtype)

    def read(self, start: int, count: int) -> np.ndarray:
        """Frames `start`… counted from v1's first frame (the file's own, past its lead)."""
        block = self.silence(count)
        start += self.info.lead
        low, high = max(start, 0), min(start + count, self.info.frames)
        if high > low:
            self._file.seek(low)
            self._file.read(high - low, dtype=self.info.dtype, always_2d=True, out=block[low - start : high - start])
        return block

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SoundReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def sound_writer(
    path: Path,
    *,
    channels: int,
    sample_format: str,
    time_reference: int,
    description: str,
    made_at: datetime | None = None,
) -> soundfile.SoundFile:
    """A Broadcast WAV open for writing at `sample_format`, its `bext` chunk saying `description`,
    when it was made (`made_at`, as a DAW's file browser shows it) and that its first sample is
    `time_reference` samples after midnight (where a DAW places it). RF64 that libsndfile turns into
    a plain WAV when it ends under 4 GiB, so every size is one file."""
    sound = soundfile.SoundFile(
        str(path), "w", samplerate=SAMPLE_RATE, channels=channels, subtype=sample_format, format="RF64"
    )
    downgrade = _soundfile_ffi.new("int*", 1)
    _libsndfile.sf_command(sound._file, _SFC_RF64_AUTO_DOWNGRADE, downgrade, _soundfile_ffi.sizeof("int"))
    info = _bext_ffi.new("SF_BROADCAST_INFO*")
    info.description = description.encode("ascii", "replace")[:255]
    info.originator = b"SAGE"
    if made_at is not None:
        info.origination_date = made_at.strftime("%Y-%m-%d").encode()
        info.origination_time = made_at.strftime("%H:%M:%S").encode()
    info.time_reference_low = time_reference & 0xFFFFFFFF
    info.time_reference_high = time_reference >> 32
    info.version = 1
    buffer = _bext_ffi.buffer(info)
    if not _libsndfile.sf_command(
        sound._file, _SFC_SET_BROADCAST_INFO, _soundfile_ffi.from_buffer(buffer), len(buffer)
    ):
        sound.close()
        raise RuntimeError("libsndfile would not take the bext chunk")
    return sound


def time_reference_of(path: Path) -> int | None:
    """A Broadcast WAV's time reference (samples since midnight), or None without a bext chunk."""
    with soundfile.SoundFile(str(path)) as sound:
        return _time_reference(sound)


def _time_reference(sound: soundfile.SoundFile) -> int | None:
    info = _bext_ffi.new("SF_BROADCAST_INFO*")
    buffer = _bext_ffi.buffer(info)
    if not _libsndfile.sf_command(
        sound._file, _SFC_GET_BROADCAST_INFO, _soundfile_ffi.from_buffer(buffer), len(buffer)
    ):
        return None
    return int(info.time_reference_low) | int(info.time_reference_high) << 32
