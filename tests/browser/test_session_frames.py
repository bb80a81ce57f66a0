"""A live session's follower shows the presenter's frame (issue 62, part 4), judged by the pictures:
the video shows each frame's number in its pixels, and both pages record which frame they present
and when (devtools/session_picture.py), so the follower is compared with what the presenter's screen
shows at the same instants, not with what the presenter announced.

The test asks that the follower locks onto the presenter's picture after a seek and stays there
(most instants within a frame, as a busy machine drops a frame now and then), by a bound that only a
follower that never locks misses. How fast it locks is a timing goal: bench/session.py measures it."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from accounts.models import User
from devtools.session_picture import READ_RECORD, Shown, recorder_script, shown_frames
from review_sessions.models import Participant
from sage.synthetic_media.numbered_videos import make_numbered_video
from tests.clients import client_in
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory
from videos.models import Video
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.browser

RATE = Fraction(30000, 1001)
FRAMES = 750  # 25 s
SIZE = (320, 180)
LOCKED_BY_S = 4.5  # after the presenter's seek, the follower is on the presenter's frames by then…
WATCHED_S = 1.5  # …and stays there (watched this long)
WITHIN_SHARE = 0.9  # of instants within one frame: a busy machine drops a frame now and then
STEP_MS = 10.0


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("session-frames") / "numbered.mp4"
    make_numbered_video(path, rate=RATE, frame_count=FRAMES, width=SIZE[0], height=SIZE[1])
    return path


def stored(owner: User, workspace: Workspace, source: Path) -> Video:
    """A ready upload whose H.264/AAC file the page plays as it is."""
    video = Video.objects.create(
        owner=owner, workspace=workspace, title="Numbered", status=Video.Status.READY, duration=float(FRAMES / RATE),
        fps=float(RATE), width=SIZE[0], height=SIZE[1], backends={"clips": "local"}, original_plays=True,
    )  # fmt: skip
    key = f"videos/{video.pk}/original.mp4"
    target = Path(django_settings.MEDIA_ROOT) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=target.stat().st_size)
    video.refresh_from_db()
    return video


@pytest.fixture
def contexts(browser: Any, transactional_db: Any) -> Iterator[Callable[[], Any]]:
    opened: list[Any] = []

    def new() -> Any:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        context.add_init_script(recorder_script(*SIZE))
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()
    # The site counts each closed page out in the database; the tables are emptied only once it has.
    deadline = time.monotonic() + 15
    while Participant.objects.filter(open_sockets__gt=0).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def member_page(new_context: Callable[[], Any], site_url: str, user: User, workspace: Workspace) -> Page:
    client = client_in(user, workspace)
    page = new_context().new_page()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": site_url}])
    return page


def join(page: Page) -> None:
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 3")
    page.get_by_role("button", name="Join the live session").click()
    expect(page.locator("[data-session-participants] li").first).to_be_visible()


def shown(page: Page) -> Shown:
    return shown_frames(page.evaluate(READ_RECORD), RATE)


def now_ms(page: Page) -> float:
    return float(page.evaluate("() => performance.timeOrigin + performance.now()"))


def a_session_on(numbered: Path, site_url: str, contexts: Callable[[], Any]) -> tuple[Page, Page]:
    """A studio's director presenting a session on the numbered video, and an editor following it."""
    director = UserFactory(display_name="Dana")
    studio = TeamWorkspaceFactory(created_by=director)
    editor = UserFactory(display_name="Eli")
    MembershipFactory(workspace=studio, user=editor, role=Role.EDITOR)
    video = stored(director, studio, numbered)

    presenter = member_page(contexts, site_url, director, studio)
    presenter.goto(f"{site_url}/videos/{video.pk}/")
    presenter.get_by_role("button", name="Start a live session").click()
    presenter.wait_for_url(f"{site_url}/sessions/*/")
    join(presenter)
    follower = member_page(contexts, site_url, editor, studio)
    follower.goto(presenter.url)
    join(follower)
    return presenter, follower


def first_locked_window(off: np.ndarray) -> int | None:
    """The first instant (an index into `off`, frames apart at each STEP_MS) from which the follower
    stays within a frame of the presenter for WATCHED_S: WITHIN_SHARE of the instants, never > 3 off."""
    span = int(WATCHED_S * 1000 / STEP_MS)
    for first in range(0, len(off) - span + 1):
        window = off[first : first + span]
        if float((window <= 1).mean()) >= WITHIN_SHARE and window.max() <= 3:
            return first
    return None


def test_a_follower_locks_onto_the_presenters_frame_after_a_seek(
    site_url: str, numbered: Path, contexts: Callable[[], Any]
) -> None:
    presenter, follower = a_session_on(numbered, site_url, contexts)

    presenter.keyboard.press("k")  # Play
    presenter.wait_for_function("() => !document.querySelector('video.player').paused")
    follower.wait_for_function("() => !document.querySelector('video.player').paused", timeout=15_000)
    presenter.wait_for_timeout(1_000)
    sought_at = now_ms(presenter)
    presenter.keyboard.press("l")  # 10 s on: a seek while playing
    presenter.wait_for_timeout((LOCKED_BY_S + WATCHED_S) * 1000 + 200)

    lead, other = shown(presenter), shown(follower)
    instants = np.arange(sought_at, sought_at + (LOCKED_BY_S + WATCHED_S) * 1000, STEP_MS)
    theirs, ours = lead.at_instants(instants), other.at_instants(instants)
    went_on = np.flatnonzero(theirs >= 10 * float(RATE))
    assert went_on.size, "the presenter's picture went 10 s on"
    landed = int(went_on[0])  # from the presenter's first frame after the seek
    off = np.abs(ours[landed:] - theirs[landed:])
    locked = first_locked_window(off)
    assert locked is not None, (
        f"never within one frame for {WATCHED_S} s: {float((off <= 1).mean()):.0%} of instants, at most "
        f"{off.max()} frames off (presenter {theirs[::50].tolist()}, follower {ours[::50].tolist()})"
    )
    assert lead.unread == 0 and other.unread == 0  # every frame's number was read off the pictures


def test_a_paused_follower_starts_with_the_presenter_from_the_frame_it_shows(
    site_url: str, numbered: Path, contexts: Callable[[], Any]
) -> None:
    """Play: the follower already shows the presenter's frame, so it starts from there. A seek would
    freeze its picture while the presenter's moves on (it sought on every Play until issue 62); what
    it starts late is caught up by the rate. (A busy machine may still make it jump later, to put a
    large error right: only what it does first is asked.)"""
    presenter, follower = a_session_on(numbered, site_url, contexts)
    presenter.wait_for_timeout(2_500)  # the follower's clock estimate made, its first jump landed
    follower.evaluate(
        """() => {
          window.__mediaEvents = [];
          const video = document.querySelector("video.player");
          for (const type of ["seeking", "play"]) {
            video.addEventListener(type, () => window.__mediaEvents.push(type));
          }
        }"""
    )

    played_at = now_ms(presenter)
    presenter.keyboard.press("k")  # Play
    presenter.wait_for_timeout((LOCKED_BY_S + WATCHED_S) * 1000 + 200)

    events = follower.evaluate("() => window.__mediaEvents")
    assert events[:1] == ["play"], f"the follower sought before it started: {events}"
    lead, other = shown(presenter), shown(follower)
    instants = np.arange(played_at, played_at + (LOCKED_BY_S + WATCHED_S) * 1000, STEP_MS)
    theirs, ours = lead.at_instants(instants), other.at_instants(instants)
    assert theirs[-1] > 0, "the presenter's picture played"
    # Playing on with the presenter (how soon, on a busy machine whose pictures stall, is the bench's).
    off = np.abs(ours - theirs)
    assert first_locked_window(off) is not None, (
        f"never within one frame for {WATCHED_S} s: {float((off <= 1).mean()):.0%} of instants "
        f"(presenter {theirs[::50].tolist()}, follower {ours[::50].tolist()})"
    )
