"""Comparing two files straight from disk, as the pipeline and a comparison would (for benchmarks and tests)."""

from __future__ import annotations

from pathlib import Path

from videos.embeddings.fingerprint import Fingerprint
from videos.embeddings.local import LocalClipEmbedder
from videos.engine.model import Alignment
from videos.engine.pipeline import run
from videos.engine.result import EngineResult
from videos.screen_text.reading import read_screen


def fingerprint_file(path: Path) -> Fingerprint:
    """The file's fingerprint through the `local` backend's decode pass (its clips come along)."""
    _, fingerprint = LocalClipEmbedder().embed_clips_and_fingerprint(path)
    return fingerprint


def compare_files(
    path_a: Path,
    path_b: Path,
    *,
    alignment: Alignment = "cuts",
    threshold: float | None = None,
    screen_text: bool = False,
) -> EngineResult:
    """Both files embedded and fingerprinted, aligned, screened and verified on the files; with
    `screen_text`, both screens read too (as the "reading the screen" stage would) and the text
    that changed between aligned moments among the findings."""
    fingerprint_a, fingerprint_b = fingerprint_file(path_a), fingerprint_file(path_b)
    screen_lines = None
    if screen_text:
        lines_a = read_screen(Path(path_a), duration=fingerprint_a.duration, fingerprint=fingerprint_a)
        lines_b = read_screen(Path(path_b), duration=fingerprint_b.duration, fingerprint=fingerprint_b)
        screen_lines = (lines_a, lines_b)
    return run(
        fingerprint_a,
        fingerprint_b,
        alignment=alignment,
        threshold=threshold,
        sources=(Path(path_a), Path(path_b)),
        screen_lines=screen_lines,
    )
