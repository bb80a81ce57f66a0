"""What the media caches under .sage/ rest on: a hash of the code that renders a file (part of the
file's name, so that changed code renders again), and files of public repositories copied once
from a git mirror and checked by SHA-256 (the real footage and speech the benches use)."""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import av

# Bare git mirrors of the public repositories the media come from, one per repository as
# owner+name/repo (`git clone --mirror` of each, or any copy laid out so). Git-ignored by default.
MIRRORS = Path(os.environ.get("SAGE_BENCH_MIRRORS") or ".sage/mirrors")
GIT = "/usr/bin/git"


class MissingMedia(RuntimeError):
    """A file is neither cached nor in a mirror (fetch its repository first), or not the file expected."""


def code_digest(modules: Iterable[Path]) -> str:
    """A hash of PyAV's version and of the modules' syntax trees without their docstrings, so that
    comments, docstrings and formatting do not count."""
    digest = hashlib.sha256(av.__version__.encode())
    for path in modules:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            first = body[0] if isinstance(body, list) and body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                body[0] = ast.Pass()  # type: ignore[index]
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()


def mirrored_file(repo: str, commit: str, path: str, sha256: str, cached: Path) -> Path:
    """`cached`: `path` of `repo` at `commit`, copied from the repository's mirror when missing (under
    another name, then renamed: a file under the final name is always whole), checked by SHA-256."""
    if not cached.exists():
        git_dir = MIRRORS / repo.replace("/", "+") / "repo"
        if not git_dir.exists():
            raise MissingMedia(
                f"{cached} is missing and {repo} is not mirrored in {MIRRORS}: fetch github:{repo} first "
                "(or point SAGE_BENCH_MIRRORS at a directory of owner+name/repo git mirrors)"
            )
        blob = subprocess.run(  # git, with arguments from the callers' tables of files
            [GIT, f"--git-dir={git_dir}", "show", f"{commit}:{path}"], check=True, capture_output=True
        ).stdout
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        partial.write_bytes(blob)
        partial.replace(cached)
    digest = hashlib.sha256(cached.read_bytes()).hexdigest()
    if digest != sha256:
        raise MissingMedia(f"{cached}: SHA-256 {digest}, expected {sha256}")
    return cached
