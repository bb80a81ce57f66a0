"""The transcript found beside the picture steps.

Speech recognition (or whichever source has the transcript, see `steps.find_transcript`) runs in a
thread of its own from the moment the hold is taken, while the pipeline's thread makes the
thumbnails, the clip embeddings and the fingerprint: on two cores the two share the machine instead
of taking turns (the decoders, the FFTs and CTranslate2 all work outside the interpreter lock).

Only the finding runs in the thread: it reads the file (or the sidecar subtitles, or asks Gemini)
and touches no database row. What the pipeline writes — the transcript, the stage and percent its
watchers see, the cancel check — stays on the pipeline's thread and in the usual order: the
transcript stage begins once the picture steps are done, passes on, in order, the progress the
recogniser made meanwhile, then follows it live until the result is in. A cancel or a failure of a
picture step stops the recogniser at its next progress report (at most one batch of windows).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

from videos.models import Transcript, Video
from videos.pipeline import steps
from videos.transcripts.base import ProgressCallback, TranscriptResult

# How often the waiting pipeline thread passes progress on (and so checks for a cancel).
RELAY_SECONDS = 0.25


class BackgroundTranscript:
    def __init__(self, video: Video, path: Path) -> None:
        self.video = video
        self.path = path
        self._fractions: queue.SimpleQueue[float] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._result: TranscriptResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._find, name=f"transcript-of-video-{video.pk}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def result(self, on_progress: ProgressCallback) -> TranscriptResult | None:
        """Wait for the transcript, passing the recogniser's progress to `on_progress` (which may
        raise, e.g. Cancelled: the recogniser is then stopped). Raises what finding it raised."""
        try:
            while self._thread.is_alive():
                self._thread.join(RELAY_SECONDS)
                self._relay(on_progress)
            self._relay(on_progress)
        except BaseException:
            self.stop()
            raise
        if self._error is not None:
            raise self._error
        return self._result

    def stop(self) -> None:
        """Stop the recogniser (at its next progress report) and wait for the thread to end."""
        self._stop.set()
        self._thread.join()

    def _find(self) -> None:
        try:
            self._result = steps.find_transcript(self.video, self.path, on_progress=self._progress)
        except BaseException as error:  # handed to the pipeline's thread, which raises it
            self._error = error
        finally:
            connections.close_all()  # this thread's own, should anything have opened one

    def _progress(self, fraction: float) -> None:
        if self._stop.is_set():
            raise steps.Cancelled  # the pipeline stopped: nothing this run finds is kept
        self._fractions.put(fraction)

    def _relay(self, on_progress: ProgressCallback) -> None:
        while True:
            try:
                fraction = self._fractions.get_nowait()
            except queue.Empty:
                return
            on_progress(fraction)


@contextmanager
def transcript_beside(video: Video, path: Path) -> Iterator[BackgroundTranscript | None]:
    """The transcript being found in the background while the block runs (None when the video has
    one already); the recogniser is stopped when the block ends without having waited for it."""
    if Transcript.objects.filter(video=video).exists():
        yield None
        return
    background = BackgroundTranscript(video, path)
    background.start()
    try:
        yield background
    finally:
        background.stop()  # at once when the result was taken; else it stops at its next report
