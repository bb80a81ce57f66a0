"""What the media caches under .sage/ rest on: a hash of the code that renders a file (part of the
file's name, so that changed code renders again), and the error a missing or wrong input file raises
(the public files themselves: public_media.py)."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

import av


class MissingMedia(RuntimeError):
    """An input file is not in the media folder, or is not the file expected."""


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
