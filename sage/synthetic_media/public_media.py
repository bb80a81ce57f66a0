"""Files of public repositories the benches and the real-footage tests read: where each comes from,
under which licence, and its SHA-256, in `public_media.toml` beside this module.

None of them goes into git. They are read from one folder the user chooses, `SAGE_BENCH_MEDIA`
(default `.sage/bench-media/public` in the repository, git-ignored), each under its `name`, and checked
by SHA-256 before use. `python -m sage.synthetic_media.public_media [NAME ...]` downloads the missing
ones from their public addresses into that folder.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import re
import shutil
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .caching import MissingMedia

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).with_name("public_media.toml")
DIRECTORY_VARIABLE = "SAGE_BENCH_MEDIA"
DEFAULT_DIRECTORY = REPOSITORY_ROOT / ".sage" / "bench-media" / "public"
# owner/name@40-hex-commit:path, the form every entry's `source` takes.
_SOURCE = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40}):(?P<path>[^\s:]+)$")


@dataclass(frozen=True)
class PublicFile:
    """One file of the manifest: its `name` in the media folder, `source` (repository@commit:path),
    `licence`, and the SHA-256 the copy must have."""

    name: str
    source: str
    licence: str
    sha256: str

    @property
    def url(self) -> str:
        """Where the file can be downloaded: the source's raw file on GitHub, at its commit."""
        match = _SOURCE.match(self.source)
        if match is None:
            raise ValueError(f"{self.name}: source {self.source!r} is not repository@commit:path")
        return f"https://raw.githubusercontent.com/{match['repo']}/{match['commit']}/{match['path']}"


@functools.cache
def manifest() -> dict[str, PublicFile]:
    """Every file of `public_media.toml`, by name."""
    entries = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["file"]
    return {entry["name"]: PublicFile(**entry) for entry in entries}


def media_directory() -> Path:
    """The folder the files are read from: `SAGE_BENCH_MEDIA`, or the default inside the repository."""
    configured = os.environ.get(DIRECTORY_VARIABLE)
    return Path(configured) if configured else DEFAULT_DIRECTORY


def public_file(name: str) -> Path:
    """The file `name` of the manifest in the media folder, checked by SHA-256; MissingMedia saying
    where to get it when it is not there or not the file expected."""
    entry = manifest()[name]
    path = media_directory() / name
    if not path.exists():
        raise MissingMedia(
            f"{name} is not in {media_directory()} (set {DIRECTORY_VARIABLE} to the folder that has it, or "
            f"download it: python -m sage.synthetic_media.public_media {name}; source {entry.source}, "
            f"licence {entry.licence})"
        )
    _check(path, entry.sha256, path.stat().st_mtime_ns)
    return path


@functools.cache
def _check(path: Path, sha256: str, modified: int) -> None:
    # Cached by modification time: the benches ask for the same file many times, and hashing a
    # video each time would cost more than reading it.
    with path.open("rb") as opened:
        digest = hashlib.file_digest(opened, "sha256").hexdigest()
    if digest != sha256:
        raise MissingMedia(f"{path}: SHA-256 {digest}, expected {sha256} (another file under that name)")


def download(entry: PublicFile, directory: Path, url: str | None = None) -> Path:
    """`entry` downloaded into `directory` (under another name, then renamed once its SHA-256 is
    right, so that a file under the final name is always whole and the right one)."""
    address = url or entry.url
    if not address.startswith(("https://", "http://")):
        raise ValueError(f"{address}: only HTTP(S) addresses are downloaded")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / entry.name
    partial = path.with_name(f"{entry.name}.{os.getpid()}.partial")
    # S310: the scheme is checked just above.
    with urllib.request.urlopen(address, timeout=60) as response, partial.open("wb") as written:  # noqa: S310
        shutil.copyfileobj(response, written)
    with partial.open("rb") as opened:
        digest = hashlib.file_digest(opened, "sha256").hexdigest()
    if digest != entry.sha256:
        partial.unlink()
        raise MissingMedia(f"{address}: SHA-256 {digest}, expected {entry.sha256}")
    partial.replace(path)
    return path


def missing(names: list[str] | None = None) -> list[str]:
    """What cannot be used here, as messages (empty when every file asked for is there and right)."""
    problems = []
    for name in names or list(manifest()):
        try:
            public_file(name)
        except MissingMedia as error:
            problems.append(str(error))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="Download the missing public media files into SAGE_BENCH_MEDIA.")
    parser.add_argument("names", nargs="*", help="files of the manifest (default: all)")
    arguments = parser.parse_args()
    directory = media_directory()
    for name in arguments.names or list(manifest()):
        entry = manifest()[name]
        if (directory / name).exists():
            continue
        print(f"{name}: {entry.url} ({entry.licence})")  # noqa: T201  (a command-line tool)
        download(entry, directory)
    problems = missing(arguments.names)
    print("\n".join(problems) or f"all files present and checked in {directory}")  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
