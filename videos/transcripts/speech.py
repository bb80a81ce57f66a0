"""Offline speech recognition with pocketsphinx and its bundled US-English model.

Rough (hence `low_confidence`), but it needs no network and no key. The sound is decoded with PyAV,
resampled to 16 kHz mono 16-bit as it goes, and streamed through pocketsphinx's voice-activity
endpointer: each stretch of speech is one decoder utterance, so memory stays flat however long the
video. Recognised words are grouped into phrases at pauses, and at most every PHRASE_SECONDS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import numpy as np
from av.audio.stream import AudioStream
from pocketsphinx import Decoder, Endpointer  # type: ignore[import-untyped]  # no type information shipped

from videos.transcripts.base import ProgressCallback, Segment, TranscriptError, TranscriptResult, clean_segments

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what the en-us acoustic model was trained on
_BYTES_PER_SECOND = SAMPLE_RATE * 2  # 16-bit mono
# Speech that goes on without a pause is cut into utterances of at most this long: a decoder
# utterance keeps its search history until it ends, and a word cut in two costs little.
MAX_UTTERANCE_SECONDS = 20.0
PHRASE_SECONDS = 10.0
# Between words of one phrase pocketsphinx marks silences of a few frames; a longer one is a pause.
PHRASE_GAP_SECONDS = 0.3
_PROGRESS_STEP = 0.01
# "<s>", "</s>", "<sil>", "[NOISE]", "++BREATH++": markers, not words. "the(2)" is the second
# pronunciation of "the".
_NON_WORD = re.compile(r"^[<\[+]")
_PRONUNCIATION_VARIANT = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class _Word:
    start: float
    end: float
    text: str


def recognise_speech(path: Path, *, on_progress: ProgressCallback | None = None) -> TranscriptResult | None:
    """A low-confidence transcript of the speech in the file at `path`; None when the file has no
    sound or nothing was recognised. `on_progress` gets 0..1 by audio time.

    Raises TranscriptError("audio_unreadable", …) when the file cannot be opened at all; a decoding
    error part-way keeps what was recognised before it."""
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as error:
        raise TranscriptError(
            "audio_unreadable", "The video's sound could not be read for speech recognition."
        ) from error
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        recogniser = _Recogniser(duration=_duration(container, stream), on_progress=on_progress)
        _stream_audio(container, stream, recogniser, Path(path).name)
        words = recogniser.finish()
    segments = clean_segments(_phrases(words), duration=recogniser.duration)
    if not segments:
        return None
    return TranscriptResult(source="pocketsphinx", segments=segments, language="en", low_confidence=True)


def _duration(container: av.container.InputContainer, stream: AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration / av.time_base)
    return None


def _stream_audio(
    container: av.container.InputContainer, stream: AudioStream, recogniser: _Recogniser, name: str
) -> None:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    origin = container.start_time / av.time_base if container.start_time is not None else 0.0
    try:
        for frame in container.decode(stream):  # only this stream's packets are decoded
            if recogniser.offset is None:
                # Sound that starts later than the file (or earlier, by an encoder's priming
                # samples) shifts every word by as much.
                recogniser.offset = (frame.time - origin) if frame.time is not None else 0.0
            for resampled in resampler.resample(frame):
                recogniser.feed(resampled.to_ndarray().astype(np.int16, copy=False).tobytes())
        for resampled in resampler.resample(None):
            recogniser.feed(resampled.to_ndarray().astype(np.int16, copy=False).tobytes())
    except av.error.FFmpegError as error:
        logger.warning("speech recognition stopped at a decoding error in %s: %s", name, error)


class _Recogniser:
    """Feed 16 kHz mono s16 bytes in order; `finish()` returns the recognised words with times."""

    def __init__(self, *, duration: float | None, on_progress: ProgressCallback | None) -> None:
        self.duration = duration
        self.on_progress = on_progress
        self.offset: float | None = None  # seconds from the file's start to the first sample
        self.decoder = Decoder(loglevel="FATAL")
        self.frame_rate = int(self.decoder.config["frate"])  # decoder frames per second
        self.endpointer = Endpointer(sample_rate=SAMPLE_RATE)
        self.pending = bytearray()
        self.bytes_in = 0  # given to the endpointer so far
        self.utterance_start: float | None = None  # seconds into the sound; None between utterances
        self.utterance_bytes = 0
        self.words: list[_Word] = []
        self.reported = 0.0

    def feed(self, pcm: bytes) -> None:
        self.pending += pcm
        frame_bytes = self.endpointer.frame_bytes
        consumed = 0
        while len(self.pending) - consumed >= frame_bytes:
            self._frame(bytes(self.pending[consumed : consumed + frame_bytes]))
            consumed += frame_bytes
        del self.pending[:consumed]
        self._report()

    def finish(self) -> list[_Word]:
        if self.endpointer.in_speech:
            speech = self.endpointer.end_stream(bytes(self.pending))
            if speech is not None:
                self._speech(speech)
            self._end_utterance()
        self.pending.clear()
        if self.on_progress is not None:
            self.on_progress(1.0)
        return self.words

    def _frame(self, frame: bytes) -> None:
        self.bytes_in += len(frame)
        was_in_speech = self.endpointer.in_speech
        speech = self.endpointer.process(frame)
        if speech is None:
            return
        if not was_in_speech:
            self._start_utterance(float(self.endpointer.speech_start))
        elif self.utterance_bytes >= MAX_UTTERANCE_SECONDS * _BYTES_PER_SECOND:
            assert self.utterance_start is not None
            resume_at = self.utterance_start + self.utterance_bytes / _BYTES_PER_SECOND
            self._end_utterance()
            self._start_utterance(resume_at)
        self._speech(speech)
        if not self.endpointer.in_speech:
            self._end_utterance()

    def _start_utterance(self, start: float) -> None:
        self.utterance_start = start
        self.utterance_bytes = 0
        self.decoder.start_utt()

    def _speech(self, speech: bytes) -> None:
        self.decoder.process_raw(speech, False, False)
        self.utterance_bytes += len(speech)

    def _end_utterance(self) -> None:
        if self.utterance_start is None:
            return
        self.decoder.end_utt()
        shift = self.utterance_start + (self.offset or 0.0)
        for entry in self.decoder.seg():
            if _NON_WORD.match(entry.word):
                continue
            word = _PRONUNCIATION_VARIANT.sub("", entry.word)
            # Rounded to the millisecond: frames are 10 ms, and floats like 0.5400000000000003 help no one.
            start = round(shift + entry.start_frame / self.frame_rate, 3)
            end = round(shift + (entry.end_frame + 1) / self.frame_rate, 3)
            self.words.append(_Word(start=start, end=end, text=word))
        self.utterance_start = None

    def _report(self) -> None:
        if self.on_progress is None or not self.duration:
            return
        done = min(1.0, self.bytes_in / _BYTES_PER_SECOND / self.duration)
        if done - self.reported >= _PROGRESS_STEP:
            self.reported = done
            self.on_progress(done)


def _phrases(words: list[_Word]) -> list[Segment]:
    """Words joined into phrases, split at pauses and so that none lasts much over PHRASE_SECONDS."""
    phrases: list[Segment] = []
    current: list[_Word] = []
    for word in words:
        if current and (
            word.start - current[-1].end >= PHRASE_GAP_SECONDS or word.end - current[0].start > PHRASE_SECONDS
        ):
            phrases.append(_phrase(current))
            current = []
        current.append(word)
    if current:
        phrases.append(_phrase(current))
    return phrases


def _phrase(words: list[_Word]) -> Segment:
    return Segment(start=words[0].start, end=words[-1].end, text=" ".join(word.text for word in words))
