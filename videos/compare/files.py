"""Comparing two files straight from disk, as the pipeline and a comparison would (for benchmarks and tests)."""

from __future__ import annotations

from pathlib import Path

from videos.compare.alignment import Alignment
from videos.compare.changes import RefinedComparison, refined_compare
from videos.embeddings.fingerprint import Fingerprint
from videos.embeddings.local import LocalClipEmbedder


def fingerprint_file(path: Path) -> Fingerprint:
    """The file's fingerprint through the `local` backend's decode pass (its clips come along)."""
    _, fingerprint = LocalClipEmbedder().embed_clips_and_fingerprint(path)
    return fingerprint


def compare_files(
    path_a: Path, path_b: Path, *, alignment: Alignment = "cuts", threshold: float | None = None
) -> RefinedComparison:
    """Both files embedded and fingerprinted, aligned, screened and verified on the files."""
    return refined_compare(
        fingerprint_file(path_a),
        fingerprint_file(path_b),
        alignment=alignment,
        threshold=threshold,
        sources=(Path(path_a), Path(path_b)),
    )
