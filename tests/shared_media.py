"""Media files made once a run and shared by every test module and test process that asks for the
same ones: several modules (and both of `make test`'s processes) used to render the same videos for
themselves, seconds of encoding each time.

A file is named by a hash of what it is made from (`parameters`, whose repr must say everything the
maker depends on), in a folder of this run's temporary directory that its test processes share, so
a later run, or changed parameters, make it again. The first process to ask makes it under a lock
that the other waits on; the maker writes to the path it is given, which is renamed into place once
whole. Tests read the files and never change them (a test that edits one works on a copy).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's folder for shared media: under pytest-xdist each process's temporary directory sits
    in the run's, which the processes share."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-media"
    folder.mkdir(exist_ok=True)
    return folder


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, parameters: object, make: Callable[[Path], object]
) -> Path:
    """The file `make(path)` writes for `parameters`, made by the first test of the run to ask for it."""
    digest = hashlib.sha256(repr(parameters).encode()).hexdigest()[:16]
    stem, suffix = Path(name).stem, Path(name).suffix
    folder = run_folder(tmp_path_factory)
    path = folder / f"{stem}-{digest}{suffix}"
    with (folder / f"{stem}-{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        if not path.exists():
            partial = path.with_name(f"{path.stem}.partial{suffix}")
            make(partial)
            partial.replace(path)
    return path
