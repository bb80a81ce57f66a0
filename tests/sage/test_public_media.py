"""The public media the benches and the real-footage tests read: every file named in one manifest with
its source, licence and SHA-256, read from the folder the user configures and checked; and no file of
the project names the machine it was built on (its folders, mirrors or tools)."""

from __future__ import annotations

import functools
import hashlib
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import bench.language
import bench.lectures
from sage.synthetic_media import public_media
from sage.synthetic_media.caching import MissingMedia
from sage.synthetic_media.public_media import PublicFile, download, manifest, public_file
from sage.synthetic_media.real_footage.sources import FOOTAGE, SPEECH, missing_media

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_of_the_manifest_says_where_it_comes_from_its_licence_and_its_sha256() -> None:
    files = manifest()
    assert len(files) >= 28
    for entry in files.values():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+", entry.source), entry
        assert entry.url.startswith("https://raw.githubusercontent.com/"), entry
        assert len(entry.licence) > 2, entry
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry


def test_every_public_file_the_code_reads_is_in_the_manifest() -> None:
    names = {asset.name for asset in (*FOOTAGE, *SPEECH)}
    names |= {recording.name for recording in bench.language.REAL_RECORDINGS}
    names |= {recording.name for recording in (bench.lectures.HARVARD_72, bench.lectures.JFK, *bench.lectures.ARCTIC)}
    names |= {"ocrmypdf-typewriter.png", "ocrmypdf-linn.png"}  # bench/screen_text.py's pages
    assert names - set(manifest()) == set()


@pytest.fixture
def one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PublicFile, bytes, Path]:
    """A manifest of one file, and an empty media folder configured by SAGE_BENCH_MEDIA."""
    content = b"RIFF a few bytes of speech"
    entry = PublicFile(
        "speech.wav", "owner/repo@" + "a" * 40 + ":tests/speech.wav", "MIT", hashlib.sha256(content).hexdigest()
    )
    monkeypatch.setattr(public_media, "manifest", lambda: {entry.name: entry})
    folder = tmp_path / "media"
    folder.mkdir()
    monkeypatch.setenv("SAGE_BENCH_MEDIA", str(folder))
    return entry, content, folder


def test_a_missing_file_says_which_folder_it_was_looked_for_in_and_where_to_get_it(one_file) -> None:
    entry, _, folder = one_file
    with pytest.raises(MissingMedia) as raised:
        public_file(entry.name)
    message = str(raised.value)
    assert str(folder) in message and "SAGE_BENCH_MEDIA" in message
    assert entry.source in message and "MIT" in message


def test_a_file_in_the_configured_folder_is_used_only_when_its_sha256_is_right(one_file) -> None:
    entry, content, folder = one_file
    (folder / entry.name).write_bytes(b"another file under the same name")
    with pytest.raises(MissingMedia, match="SHA-256"):
        public_file(entry.name)
    (folder / entry.name).write_bytes(content)
    assert public_file(entry.name) == folder / entry.name


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (the download's stand-in for GitHub), and its address."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_download_lands_whole_under_its_name_or_not_at_all(one_file, served) -> None:
    entry, content, folder = one_file
    root, address = served
    (root / "speech.wav").write_bytes(content)
    assert download(entry, folder, f"{address}/speech.wav").read_bytes() == content
    (folder / entry.name).unlink()
    (root / "speech.wav").write_bytes(b"not the file the manifest names")
    with pytest.raises(MissingMedia, match="SHA-256"):
        download(entry, folder, f"{address}/speech.wav")
    assert list(folder.iterdir()) == []


def test_the_real_footage_tests_skip_with_a_reason_naming_each_absent_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGE_BENCH_MEDIA", str(tmp_path))
    problems = missing_media()
    assert len(problems) == len(FOOTAGE) + len(SPEECH)
    assert problems[0].startswith("sam2-dog.mp4 is not in") and "facebookresearch/sam2@" in problems[0]


# Strings that belong to the machine the project was built on, not to the project: the folder it
# sits in and the home folder (read where the test runs, so no machine's path is written here), the
# layout of git mirrors, its tools' paths and names. A clone may sit directly in the system's folder
# for temporary files, which the project names where it means that folder (a server's scratch file,
# say): that folder is nobody's machine.
def machine_names(root: Path, home: Path) -> re.Pattern[str]:
    shared = {Path("/"), Path(tempfile.gettempdir()).resolve()}
    folders = [folder for folder in (root.parent, home) if folder.resolve() not in shared]
    return re.compile(
        "".join(f"{re.escape(f'{folder}/')}|" for folder in folders)
        + r"""\.mirror|owner\+name|SAGE_BENCH_MIRRORS|fetch github:|["']/tmp/|/usr/bin/(git|espeak)"""
    )


MACHINE_NAMES = machine_names(ROOT, Path.home())
CHECKED_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".in", ".js", ".html", ".css", ".json", ".yaml", ".yml", ""}


def project_files() -> list[Path]:
    """The files the project holds: git's list, not whatever a run left in the folder (caches such
    as .hypothesis/ write the paths they ran in)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def offending_lines(names: re.Pattern[str]) -> list[str]:
    offenders = []
    for path in project_files():
        if path.suffix not in CHECKED_SUFFIXES or path == Path(__file__) or not path.is_file():
            continue
        if path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if names.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return offenders


def test_no_file_of_the_project_names_the_machine_it_was_built_on() -> None:
    assert offending_lines(MACHINE_NAMES) == []


def test_a_clone_sitting_directly_in_the_temporary_folder_passes_the_same_check() -> None:
    in_temporary_folder = Path(tempfile.gettempdir()) / "sage"
    assert offending_lines(machine_names(in_temporary_folder, Path.home())) == []
    # The check still bites there: the folder a clone sits in anywhere else is named.
    assert machine_names(Path("/srv/builds/sage"), Path.home()).search("see /srv/builds/notes.md")
