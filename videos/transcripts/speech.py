"""Offline speech recognition with faster-whisper (Whisper on CTranslate2, int8 on the CPU).

The sound is decoded with PyAV and resampled to 16 kHz mono as it goes, and handed to Whisper in
blocks of at most BLOCK_SECONDS, each cut at the quietest moment near its end (so memory stays flat
however long the video, and a cut rarely falls inside a word). In each block Silero VAD keeps only
the stretches where someone speaks, so music, tones, noise and silence never reach the decoder; the
stretches are grouped into windows of up to 30 s and decoded in batches (faster-whisper's batched
pipeline). What the decoder writes is then judged by Whisper's own signals: a window it thinks
holds no speech and is unsure of, or whose text repeats itself (a decoding loop), or whose words
are guesses, is dropped; a line kept while it was somewhat unsure is marked `low_confidence`. Each
kept line carries its words with their times.

English-only models (`*.en`) transcribe English. Given speech in another language, such a model
still writes English: sound-alike words, stock phrases, loops. Its own signals give that away (see
`LanguageEvidence`), and then the result says `other_language` and holds no words at all. A
multilingual model detects the language on the first block that has speech and keeps it for the
rest of the file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.container
import numpy as np
from av.audio.stream import AudioStream

from videos.timed_text import TimedLine, Word
from videos.transcripts.base import ProgressCallback, TranscriptError, TranscriptResult, clean_segments
from videos.transcripts.whisper_model import LoadedModel, whisper_model

logger = logging.getLogger(__name__)

SOURCE = "whisper"
SAMPLE_RATE = 16_000  # what Whisper's feature extractor expects
# Sound handed to Whisper at once; the next block starts where this one was cut.
BLOCK_SECONDS = 600.0
# A block ends at the quietest CUT_FRAME_SECONDS within its last CUT_SEARCH_SECONDS.
CUT_SEARCH_SECONDS = 30.0
CUT_FRAME_SECONDS = 0.1

# Decoding: a beam of 5 (Whisper's own default); windows decoded BATCH_SIZE at a time, which on
# bench/speech.py's corpus made fewer word errors than the sequential decoder (each window is read
# without the previous one's text, so one bad window cannot derail the next) and took a fifth less
# CPU. Progress is reported per batch: 4 windows are at most two minutes of speech.
BEAM_SIZE = 5
BATCH_SIZE = 4
# Silero VAD: speech above `threshold`, shorter bursts than min_speech_duration_ms ignored (clicks,
# a drum hit), pauses shorter than min_silence_duration_ms kept inside the speech.
VAD_PARAMETERS: dict[str, Any] = {
    "threshold": 0.5,
    "min_speech_duration_ms": 250,
    "min_silence_duration_ms": 1000,
    "speech_pad_ms": 300,
}
# Whisper's signals, per decoding window. A window it gives a no-speech probability above
# NO_SPEECH_MAX is dropped when it is also unsure of the words (mean token log-probability below
# LOGPROB_UNSURE, or words averaging below WORD_PROBABILITY_UNSURE): synthetic and noisy speech
# often scores 0.4-0.65 there with good words, a sung vowel that got past the VAD 0.8 with none.
# A window whose text compresses more than COMPRESSION_RATIO_MAX is a loop; below LOGPROB_MIN, or
# words averaging below WORD_PROBABILITY_MIN, the words are guesses: all three are dropped.
NO_SPEECH_MAX = 0.6
COMPRESSION_RATIO_MAX = 2.4
LOGPROB_MIN = -1.0
WORD_PROBABILITY_MIN = 0.3
# Kept, but marked low-confidence: a line whose window is below LOGPROB_UNSURE or above NO_SPEECH_MAX,
# or whose words average below WORD_PROBABILITY_UNSURE.
LOGPROB_UNSURE = -0.6
WORD_PROBABILITY_UNSURE = 0.75
# A transcript line ends at a pause between words of at least PAUSE_SECONDS, and at the end of a
# sentence once it has lasted LINE_SECONDS.
PAUSE_SECONDS = 1.0
LINE_SECONDS = 8.0
_SENTENCE_ENDS = (".", "?", "!", "。", "？", "！")
# The whole transcript is uncertain when more than this share of its speech time is low-confidence.
UNCERTAIN_SHARE = 0.5
# Speech in another language, heard by an English-only model (bench/language.py measures it on
# espeak-ng speech in ten languages, English in ten voices and conditions, and real English
# recordings). The model then either loops (a window whose text compresses more than
# COMPRESSION_RATIO_MAX) or is unsure of everything: windows of the other languages scored a mean
# token log-probability of -0.70 or less and words averaging 0.62 or less; English windows -0.52
# or more and 0.72 or more, even at 5 dB of noise. A window reads as English unless it loops or is
# below both ENGLISH_LOGPROB_MIN and ENGLISH_WORD_PROBABILITY_MIN (so a noisy English recording
# must fail on both counts). A file is in another language when windows that do not read as
# English hold at least OTHER_LANGUAGE_SHARE of its decoded speech, and there is at least
# OTHER_LANGUAGE_MIN_SECONDS of it (below that, half a word proves nothing either way).
ENGLISH_LOGPROB_MIN = -0.6
ENGLISH_WORD_PROBABILITY_MIN = 0.65
OTHER_LANGUAGE_SHARE = 0.6
OTHER_LANGUAGE_MIN_SECONDS = 1.5
_PROGRESS_STEP = 0.01
_HAS_LETTER = re.compile(r"\w")


@dataclass(frozen=True)
class LanguageEvidence:
    """What an English-only model's decoding windows say about the language spoken: the seconds of
    speech it decoded (windows with words), the seconds of them in windows that read as English,
    and the log-probability and word probability it gave, averaged over time."""

    speech_seconds: float = 0.0
    english_seconds: float = 0.0
    logprob_seconds: float = 0.0  # sum of avg_logprob × window seconds
    word_probability_seconds: float = 0.0  # sum of mean word probability × window seconds

    @property
    def other_share(self) -> float:
        """The share of the decoded speech in windows that do not read as English."""
        return 1 - self.english_seconds / self.speech_seconds if self.speech_seconds else 0.0

    @property
    def mean_logprob(self) -> float:
        return self.logprob_seconds / self.speech_seconds if self.speech_seconds else 0.0

    @property
    def mean_word_probability(self) -> float:
        return self.word_probability_seconds / self.speech_seconds if self.speech_seconds else 0.0

    @property
    def other_language(self) -> bool:
        return self.speech_seconds >= OTHER_LANGUAGE_MIN_SECONDS and self.other_share >= OTHER_LANGUAGE_SHARE

    def with_window(self, found: Any) -> LanguageEvidence:
        """This evidence and one more faster-whisper segment (a decoding window)'s."""
        said = [word for word in found.words or () if _HAS_LETTER.search(word.word)]
        seconds = max(0.0, float(found.end) - float(found.start))
        if not said or seconds == 0:
            return self
        word_probability = sum(float(word.probability) for word in said) / len(said)
        english = found.compression_ratio <= COMPRESSION_RATIO_MAX and (
            found.avg_logprob >= ENGLISH_LOGPROB_MIN or word_probability >= ENGLISH_WORD_PROBABILITY_MIN
        )
        return LanguageEvidence(
            speech_seconds=self.speech_seconds + seconds,
            english_seconds=self.english_seconds + (seconds if english else 0.0),
            logprob_seconds=self.logprob_seconds + float(found.avg_logprob) * seconds,
            word_probability_seconds=self.word_probability_seconds + word_probability * seconds,
        )


@dataclass(frozen=True)
class _Block:
    start: float  # seconds from the start of the file to the block's first sample
    samples: np.ndarray  # float32 mono at SAMPLE_RATE


def recognise_speech(path: Path, *, on_progress: ProgressCallback | None = None) -> TranscriptResult | None:
    """The speech in the file at `path`, with word times; None when the file has no sound or nobody
    speaks in it. `on_progress` gets 0..1 by audio time.

    Raises TranscriptError("audio_unreadable", …) when the file cannot be opened at all (a decoding
    error part-way keeps what was recognised before it), and WhisperModelError when the configured
    model cannot be loaded."""
    return recognise_speech_with_evidence(path, on_progress=on_progress)[0]


def recognise_speech_with_evidence(
    path: Path, *, on_progress: ProgressCallback | None = None
) -> tuple[TranscriptResult | None, LanguageEvidence]:
    """`recognise_speech`, and the evidence about the language it judged by (bench/language.py
    prints it; empty with a multilingual model, which names the language itself)."""
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as error:
        raise TranscriptError(
            "audio_unreadable", "The video's sound could not be read for speech recognition."
        ) from error
    with container:
        if not container.streams.audio:
            return None, LanguageEvidence()
        stream = container.streams.audio[0]
        recogniser = _Recogniser(whisper_model(), duration=_duration(container, stream), on_progress=on_progress)
        for block in _audio_blocks(container, stream, Path(path).name):
            recogniser.transcribe(block)
    return recogniser.result(), recogniser.evidence


class _Recogniser:
    def __init__(self, loaded: LoadedModel, *, duration: float | None, on_progress: ProgressCallback | None) -> None:
        self.loaded = loaded
        self.duration = duration
        self.on_progress = on_progress
        self.language: str | None = None if loaded.multilingual else "en"
        self.segments: list[TimedLine] = []
        self.evidence = LanguageEvidence()
        self.reported = 0.0

    def transcribe(self, block: _Block) -> None:
        # Deferred: faster-whisper brings in CTranslate2 and tokenizers, which only recognition needs.
        from faster_whisper import BatchedInferencePipeline  # type: ignore[import-untyped]  # untyped

        # One per call: it keeps per-file state, and the model under it is shared.
        batched = BatchedInferencePipeline(self.loaded.model)
        found, info = batched.transcribe(
            block.samples,
            language=self.language,
            beam_size=BEAM_SIZE,
            batch_size=BATCH_SIZE,
            temperature=0.0,
            vad_filter=True,
            vad_parameters=dict(VAD_PARAMETERS),  # it takes out keys it sets itself
            word_timestamps=True,
        )
        kept_any = False
        for whisper_segment in found:  # a generator: each batch of windows is decoded as it is reached
            if not self.loaded.multilingual:
                self.evidence = self.evidence.with_window(whisper_segment)
            lines = _judged(whisper_segment, offset=block.start)
            self.segments += lines
            kept_any = kept_any or bool(lines)
            self._report(block.start + float(whisper_segment.end))
        if kept_any and self.language is None:
            # Detected on this block's first speech; later blocks are read in the same language.
            self.language = info.language
            logger.info("speech language detected: %s (probability %.2f)", info.language, info.language_probability)
        self._report(block.start + len(block.samples) / SAMPLE_RATE)

    def result(self) -> TranscriptResult | None:
        if self.on_progress is not None:
            self.on_progress(1.0)
        if self.evidence.other_language:
            # Whatever the English model wrote for it is invented: keep no word of it.
            return TranscriptResult(source=SOURCE, segments=[], other_language=True)
        segments = clean_segments(self.segments, duration=self.duration)
        if not segments:
            return None
        spoken = sum(segment.end - segment.start for segment in segments)
        unsure = sum(segment.end - segment.start for segment in segments if segment.low_confidence)
        return TranscriptResult(
            source=SOURCE,
            segments=segments,
            language=self.language or "",
            low_confidence=spoken > 0 and unsure / spoken > UNCERTAIN_SHARE,
        )

    def _report(self, seconds: float) -> None:
        if self.on_progress is None or not self.duration:
            return
        done = min(1.0, max(0.0, seconds / self.duration))
        if done - self.reported >= _PROGRESS_STEP:
            self.reported = done
            self.on_progress(done)


def _judged(found: Any, *, offset: float) -> list[TimedLine]:
    """A faster-whisper segment as transcript lines (times from the start of the file): none when
    it is to be dropped (no speech, a loop, guesses, no words at all), else one per stretch of words
    between pauses (and sentence ends, once a line is long)."""
    said = [word for word in found.words or () if word.word.strip()]
    if not any(_HAS_LETTER.search(word.word) for word in said):
        return []
    mean_probability = sum(float(word.probability) for word in said) / len(said)
    unsure = found.avg_logprob < LOGPROB_UNSURE or mean_probability < WORD_PROBABILITY_UNSURE
    no_speech = found.no_speech_prob > NO_SPEECH_MAX
    if (
        (no_speech and unsure)
        or found.compression_ratio > COMPRESSION_RATIO_MAX
        or found.avg_logprob < LOGPROB_MIN
        or mean_probability < WORD_PROBABILITY_MIN
    ):
        return []
    window_unsure = no_speech or found.avg_logprob < LOGPROB_UNSURE
    return [_line(run, offset=offset, window_unsure=window_unsure) for run in _runs(said)]


def _runs(said: list[Any]) -> Iterator[list[Any]]:
    run: list[Any] = []
    for word in said:
        if run and (
            word.start - run[-1].end >= PAUSE_SECONDS
            or (run[-1].word.rstrip().endswith(_SENTENCE_ENDS) and run[-1].end - run[0].start >= LINE_SECONDS)
        ):
            yield run
            run = []
        run.append(word)
    if run:
        yield run


def _line(run: list[Any], *, offset: float, window_unsure: bool) -> TimedLine:
    words = tuple(
        Word(
            start=round(offset + float(word.start), 2),
            end=round(offset + float(word.end), 2),
            text=word.word.strip(),
            probability=round(float(word.probability), 2),
        )
        for word in run
    )
    mean_probability = sum(float(word.probability) for word in run) / len(run)
    return TimedLine(
        start=words[0].start,
        end=max(words[-1].end, words[0].start),
        # Whisper's words carry their own leading spaces (none between Chinese or Japanese characters).
        text="".join(word.word for word in run).strip(),
        words=words,
        low_confidence=window_unsure or mean_probability < WORD_PROBABILITY_UNSURE,
    )


# --- sound ----------------------------------------------------------------------------------------


def _duration(container: av.container.InputContainer, stream: AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration / av.time_base)
    return None


def _audio_blocks(container: av.container.InputContainer, stream: AudioStream, name: str) -> Iterator[_Block]:
    """The sound as 16 kHz mono float blocks of at most BLOCK_SECONDS, in order."""
    block_samples = round(BLOCK_SECONDS * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_count = 0
    start: float | None = None
    for piece in _decoded(container, stream, name):
        if start is None:
            start = piece[0]
        pending.append(piece[1])
        pending_count += len(piece[1])
        if pending_count >= block_samples:
            samples = np.concatenate(pending)
            cut = _quietest_cut(samples[:block_samples])
            yield _Block(start=start, samples=samples[:cut])
            start += cut / SAMPLE_RATE
            pending, pending_count = [samples[cut:]], len(samples) - cut
    if pending_count and start is not None:
        yield _Block(start=start, samples=np.concatenate(pending))


def _decoded(
    container: av.container.InputContainer, stream: AudioStream, name: str
) -> Iterable[tuple[float, np.ndarray]]:
    """(seconds from the file's start to the first sample, samples) pieces as they are decoded."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    origin = container.start_time / av.time_base if container.start_time is not None else 0.0
    first: float | None = None
    try:
        for frame in container.decode(stream):  # only this stream's packets are decoded
            if first is None:
                # Sound that starts later than the file (or earlier, by an encoder's priming samples)
                # shifts every word by as much.
                first = max(0.0, (frame.time - origin) if frame.time is not None else 0.0)
            for resampled in resampler.resample(frame):
                yield first, resampled.to_ndarray().reshape(-1)
        for resampled in resampler.resample(None):
            yield first or 0.0, resampled.to_ndarray().reshape(-1)
    except av.error.FFmpegError as error:
        logger.warning("speech recognition stopped at a decoding error in %s: %s", name, error)


def _quietest_cut(samples: np.ndarray) -> int:
    """Where to end a block: the middle of the quietest short frame in its last CUT_SEARCH_SECONDS."""
    frame = round(CUT_FRAME_SECONDS * SAMPLE_RATE)
    search_from = max(0, len(samples) - round(CUT_SEARCH_SECONDS * SAMPLE_RATE))
    tail = samples[search_from:]
    frames = len(tail) // frame
    if frames == 0:
        return len(samples)
    energy = np.square(tail[: frames * frame].reshape(frames, frame)).mean(axis=1)
    return search_from + int(np.argmin(energy)) * frame + frame // 2
