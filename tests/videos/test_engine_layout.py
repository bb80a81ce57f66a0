"""The comparison engine (videos.engine) is pure and reads the pair's signals built once: a
comparison makes each video's float signals and the moment measure on them one time, for every
pass (before, the alignment, unrelated footage and moves each made their own)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from videos.embeddings.fingerprint import AUDIO_BANDS, AUDIO_RATE, VISUAL_FEATURES, VISUAL_RATE, Fingerprint
from videos.engine import signals as engine_signals
from videos.engine.passes.align import alignment_passes, refined_spans
from videos.engine.passes.base import AlignmentSketch, PassState
from videos.engine.pipeline import run
from videos.engine.signals import PairSignals


def _trimmed_with_an_overlay() -> tuple[Fingerprint, Fingerprint]:
    """40 s of slowly changing picture with sound that follows it; B has 2 s trimmed out and a
    white bar over 5 s elsewhere: the alignment, screening and unrelated footage all run."""
    rng = np.random.default_rng(5)
    steps = np.cumsum(rng.normal(0, 2, (400, VISUAL_FEATURES)), axis=0)
    a = np.clip(128 + steps, 0, 255).astype(np.uint8)
    b = np.concatenate([a[:150], a[170:]])
    b[250:300, :20] = 255

    def fingerprint(visual: np.ndarray) -> Fingerprint:
        frames = int(len(visual) / VISUAL_RATE * AUDIO_RATE)
        audio = np.repeat(visual[:, :AUDIO_BANDS], int(AUDIO_RATE / VISUAL_RATE), axis=0)[:frames]
        return Fingerprint(visual=visual, audio=np.ascontiguousarray(audio), duration=len(visual) / VISUAL_RATE)

    return fingerprint(a), fingerprint(b)


def test_a_comparison_builds_each_videos_signals_and_the_moment_measure_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made = {"video signals": 0, "moment measures": 0}
    video_init, costs_init = engine_signals.VideoSignals.__init__, engine_signals.MomentCosts.__init__

    def counted_video(self: engine_signals.VideoSignals, *args: object, **kwargs: object) -> None:
        made["video signals"] += 1
        video_init(self, *args, **kwargs)  # type: ignore[arg-type]

    def counted_costs(self: engine_signals.MomentCosts, *args: object, **kwargs: object) -> None:
        made["moment measures"] += 1
        costs_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_signals.VideoSignals, "__init__", counted_video)
    monkeypatch.setattr(engine_signals.MomentCosts, "__init__", counted_costs)
    a, b = _trimmed_with_an_overlay()

    result = run(a, b, alignment="cuts")

    assert result.spans and result.segments, "the copy is matched and its edits found"
    # The sound follows the picture here (in step), so no second measure on B's re-timed sound.
    assert made == {"video signals": 2, "moment measures": 1}


def test_the_engine_imports_no_database_models_or_web_layer() -> None:
    # A fresh interpreter: this one has the site loaded by the test settings. (The fingerprint's
    # package reads settings through django.conf; nothing of the engine needs more of Django.)
    code = (
        "import sys, videos.engine.pipeline, videos.engine.passes.text, videos.engine.clip_grid;"
        "loaded = [name for name in sys.modules if name.startswith(('django.db', 'videos.models', 'videos.compare',"
        " 'rest_framework'))];"
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_pipeline_runs_its_passes_in_order_and_the_result_says_what_each_cost() -> None:
    a, b = _trimmed_with_an_overlay()

    result = run(a, b, alignment="cuts", screen_lines=([], []))

    assert list(result.pass_seconds) == [
        "coarse alignment",
        "local offsets",
        "offsets and speed lines",
        "edges",
        "whole-programme speed",
        "sound in step",
        "screening",
        "unrelated footage",
        "moves",
        "frame-exact edges",
        "A/V sync",
        "speed",
        "candidates' scores",
        "on-screen text",
        "judging",
    ]
    assert all(seconds >= 0.0 for seconds in result.pass_seconds.values())
    # Re-judged at another threshold, nothing runs again: no pass's time.
    assert result.with_threshold(0.3).pass_seconds == {}


def test_the_alignment_hands_on_its_work_and_leaves_none_behind() -> None:
    # Each alignment pass reads what the one before it found: after all of them, the spans are
    # made and the sketch they were made from is gone (the finding passes read spans only).
    a, b = _trimmed_with_an_overlay()
    signals = PairSignals.of(a, b)
    state = PassState()
    seen: dict[str, AlignmentSketch | None] = {}
    for step in alignment_passes("cuts"):
        state = step.run(signals, state)
        seen[step.name] = state.sketch

    assert seen["coarse alignment"] is not None and len(seen["coarse alignment"].coarse[0])
    assert seen["local offsets"] is not None and seen["local offsets"].votes
    assert seen["offsets and speed lines"] is not None and seen["offsets and speed lines"].groups
    assert state.sketch is None
    assert state.spans == refined_spans(PairSignals.of(a, b), "cuts")
    assert sum(span.a_end - span.a_start for span in state.spans) > 0.5 * a.duration
