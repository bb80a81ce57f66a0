"""`make extension`: the zip the Chrome Web Store gets is the shipped extension as it is in the repo,
with the project's version, the least permissions, and nothing the tests change."""

from __future__ import annotations

import json
import subprocess
import tomllib
import zipfile
from pathlib import Path

from django.conf import settings

from tests.extension.conftest import EXTENSION

ROOT = Path(settings.BASE_DIR)
BUILD = [str(ROOT / ".venv/bin/python"), "devtools/build_extension.py"]


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_make_extension_zips_the_shipped_extension_with_the_project_version(tmp_path: Path) -> None:
    # `make extension` runs this script; the Makefile's target is checked to call it.
    assert "devtools/build_extension.py" in (ROOT / "Makefile").read_text()
    first = subprocess.run([*BUILD, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=True)
    archive = Path(first.stdout.strip())
    assert archive == tmp_path / f"sage-extension-{project_version()}.zip"
    built_once = archive.read_bytes()

    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        manifest = json.loads(zipped.read("manifest.json"))  # at the root, as the store wants it
        shipped = {path.relative_to(EXTENSION).as_posix() for path in EXTENSION.rglob("*") if path.is_file()}
        assert set(names) == shipped
        for name in names:
            assert zipped.read(name) == (EXTENSION / name).read_bytes(), f"{name} differs from extension/"

    assert manifest["manifest_version"] == 3
    assert len(manifest["name"]) <= 75 and len(manifest["description"]) <= 132  # the store's limits
    assert manifest["version"] == project_version()
    assert sorted(manifest["permissions"]) == ["sidePanel", "storage"]
    # Only YouTube at install; the SAGE site is asked for when it is chosen (no test origin here).
    assert manifest["host_permissions"] == ["https://www.youtube.com/*"]
    assert "script-src 'self'" in manifest["content_security_policy"]["extension_pages"]
    for size in ("16", "32", "48", "128"):
        icon = manifest["icons"][size]
        assert icon in names and (EXTENSION / icon).read_bytes().startswith(b"\x89PNG")

    # The same tree gives the same bytes.
    subprocess.run([*BUILD, str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    assert archive.read_bytes() == built_once


def test_no_remote_code_or_markup_from_the_site() -> None:
    # Store rule and the panel's safety: scripts come from the package only; text from SAGE or
    # YouTube is set as text, never parsed as HTML.
    for script in EXTENSION.rglob("*.js"):
        source = script.read_text()
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", 'import("http'):
            assert forbidden not in source, f"{script.name} uses {forbidden}"
    for page in EXTENSION.glob("*.html"):
        assert "http" not in page.read_text().split("<body", 1)[0], f"{page.name} loads something remote"
