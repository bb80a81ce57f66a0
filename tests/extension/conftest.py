"""The browser extension, loaded unpacked in Debian's Chromium (headless=new runs extensions), against
the suite's SAGE server (daphne on the test database) and a fake YouTube on HTTPS.

Host permission for the test's SAGE origin: the shipped extension asks for its site's origin at
run time (`chrome.permissions.request` on the options page), and a headless browser cannot click the
prompt. The tests therefore load a copy of extension/ whose manifest also lists the test server's
origin under `host_permissions` (granted at install, so the request resolves at once); everything
else is the shipped extension unchanged (test_package.py checks the zip has no such change).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from sage.synthetic_media import make_video
from tests.conftest import CHROMIUM, serve_this_tests_media, site_for_many_tests
from tests.extension.fake_youtube import FakeYouTube, fake_youtube
from tests.servers import RecordedRequest, stub_server
from tests.youtube_stub import VIDEO_ID

EXTENSION = Path(settings.BASE_DIR) / "extension"
OTHER_VIDEO_ID = "9bZkp7q19f0"
TITLES = {VIDEO_ID: "Never gonna give you up", OTHER_VIDEO_ID: "A second lecture"}
VIDEO_SECONDS = 12


@pytest.fixture(scope="module")
def youtube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeYouTube]:
    directory = tmp_path_factory.mktemp("youtube")
    videos = {
        video_id: (title, make_video(directory / f"{video_id}.mp4", seconds=VIDEO_SECONDS))
        for video_id, title in TITLES.items()
    }
    with fake_youtube(videos, directory) as server:
        yield server


@pytest.fixture(scope="session")
def _sage_site(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The site under daphne for every extension test of this process (a start costs seconds under
    the suite's load), with YouTube's oEmbed (a video's title) answered by a local stub."""

    def oembed(request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        video_id = next((each for each in TITLES if each in request.path), VIDEO_ID)
        return stub.reply_json(200, {"title": TITLES[video_id], "thumbnail_url": ""})

    with (
        stub_server({("GET", "/oembed"): oembed}) as stub,
        site_for_many_tests(tmp_path_factory, YOUTUBE_OEMBED_URL=f"{stub.url}/oembed") as site,
    ):
        yield site


@pytest.fixture
def sage_url(transactional_db, _sage_site: tuple[str, Path], settings) -> str:
    """The site under daphne on the test database, serving this test's media."""
    url, media_link = _sage_site
    serve_this_tests_media(media_link, settings)
    return url


@dataclass
class LoadedExtension:
    context: Any  # playwright BrowserContext (persistent, with the extension)
    id: str
    directory: Path

    def page(self, name: str) -> Any:
        page = self.context.new_page()
        page.goto(f"chrome-extension://{self.id}/{name}")
        return page


def extension_copy(directory: Path, site_origin: str) -> Path:
    """extension/, with the test site's origin granted at install (see the module's docstring)."""
    copy = directory / "extension"
    shutil.copytree(EXTENSION, copy)
    manifest_path = copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["host_permissions"].append(f"{site_origin}/*")
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return copy


@pytest.fixture
def extension(browser: Any, sage_url: str, youtube: FakeYouTube, tmp_path: Path) -> Iterator[LoadedExtension]:
    """Chromium with the extension loaded; www.youtube.com is the fake YouTube. Launched through the
    session browser's Playwright, as one process may hold only one sync Playwright."""
    directory = extension_copy(tmp_path, sage_url)
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=False,  # `--headless=new` below: the old headless mode has no extensions
        args=[
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--autoplay-policy=no-user-gesture-required",
            f"--disable-extensions-except={directory}",
            f"--load-extension={directory}",
            f"--host-resolver-rules=MAP www.youtube.com 127.0.0.1:{youtube.port}",
            f"--ignore-certificate-errors-spki-list={youtube.spki_sha256}",
        ],
    )
    context.set_default_timeout(15_000)
    try:
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        extension_id = worker.url.split("/")[2]
        yield LoadedExtension(context=context, id=extension_id, directory=directory)
    finally:
        context.close()
