"""`make extension`: zips extension/ into dist/sage-extension-<version>.zip, ready for the Chrome Web
Store. The manifest's version must be the project's (pyproject.toml), so a release names one thing;
the zip is deterministic (sorted names, fixed times and modes), so the same tree gives the same bytes.
"""

from __future__ import annotations

import json
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "extension"
DIST = ROOT / "dist"
# Zip's epoch is 1980; any fixed time makes the archive reproducible.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def extension_files(directory: Path) -> list[Path]:
    # Only what the browser loads: no editor or OS leftovers.
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in path.parts)
    )


def build(directory: Path = EXTENSION, dist: Path = DIST) -> Path:
    manifest = json.loads((directory / "manifest.json").read_text())
    version = project_version()
    if manifest["version"] != version:
        raise SystemExit(f"extension/manifest.json says version {manifest['version']}; pyproject.toml says {version}.")
    dist.mkdir(exist_ok=True)
    target = dist / f"sage-extension-{version}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in extension_files(directory):
            entry = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes())
    return target


if __name__ == "__main__":
    # An optional directory to write to instead of dist/ (the tests build into a temporary one).
    target = build(dist=Path(sys.argv[1])) if len(sys.argv) > 1 else build()
    sys.stdout.write(f"{target}\n")
