from __future__ import annotations

import gc
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]  # private, no public setter (see _celery_join_allowed)
from django.db import connection
from django.test import TransactionTestCase
from playwright.sync_api import Browser
from rest_framework.test import APIClient

from billing.models import Plan
from billing.plans import create_default_plans
from devtools import processes
from sage.memory import freeze_long_lived_objects
from tests import emptying
from tests.browser_session import BrowserSession
from tests.factories import TeamWorkspaceFactory, UserFactory
from workspaces.models import Workspace

CHROMIUM = Path("/usr/bin/chromium")
_BROWSER_SESSION = pytest.StashKey[BrowserSession]()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests run last, together, so that one Chromium launch serves them all (under
    # pytest-xdist too: `make test` hands out files in this order, see the Makefile). Order is not
    # needed for correctness: the browser stops whenever a test without it comes next.
    # Among them the extension's files go first: each is one or two tests of half a minute (a
    # Chromium of its own, with the extension loaded), and a process is handed a next file as soon
    # as two tests or fewer are left in its own, so at the end of the queue they piled onto one
    # process while the other had finished. Handed out last, the short files even the two out.
    def order(item: pytest.Item) -> tuple[bool, bool]:
        browser = item.get_closest_marker("browser") is not None
        return browser, browser and item.path.parent.name != "extension"

    items.sort(key=order)


@pytest.fixture(autouse=True)
def _clear_cache(settings) -> Iterator[None]:
    # Rate-limit counters live in the cache; each test starts with none. Only this run's keys are
    # deleted (cache.clear() would flush the whole Redis database, under other runs' feet).
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
    yield


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Threads that served async code (consumers, sync_to_async) can keep a connection to the test
    database open; end them so pytest-django can drop the database when the run finishes."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_empty_only_tables_with_rows() -> Iterator[None]:
    """After a transactional test, only the tables it wrote to are emptied (tests/emptying.py):
    Django's flush of every table cost 0.7 s a test, and a few hundred tests use it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", emptying._fixture_teardown)
        yield


@pytest.fixture(autouse=True)
def _celery_join_allowed() -> Iterator[None]:
    """Celery runs an eager task under a process-wide "inside a task" flag that it saves and puts
    back unlocked (`celery.result.denied_join_result`): tests that run eager tasks from several
    threads at once (webhook deliveries racing) can leave it set, and the next test's
    `result.get()` on a real worker is then refused as "called within a task". Workers never run
    eagerly, so only the test process needs it put back."""
    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    # Uploaded and generated files go to a directory of the test's own, never to .sage/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_plans(request: pytest.FixtureRequest) -> None:
    """Transactional tests end by emptying the tables they wrote to, the plans the data migrations
    created among them, so every database test gets them back before it starts."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))
    if not transactional and marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    create_default_plans(Plan)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def team(db) -> Workspace:
    """A team workspace (its owner made with it): what the team tests of each app share."""
    return TeamWorkspaceFactory(name="North Studio")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@contextmanager
def site_for_many_tests(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[tuple[str, Path]]:
    """daphne serving several tests in turn (`env` added to its environment): its URL, and its
    MEDIA_ROOT, a symbolic link that `serve_this_tests_media` points at each test's own media."""
    media_link = tmp_path_factory.mktemp("shared-site") / "media"
    with processes.daphne_server(MEDIA_ROOT=str(media_link), **env) as url:
        yield url, media_link


def serve_this_tests_media(media_link: Path, settings) -> None:
    """Point a shared server's MEDIA_ROOT (`media_link`, a symbolic link) at this test's media
    directory, so the files the test stores are the ones the server sends."""
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    pointer = media_link.with_name("media.next")
    pointer.unlink(missing_ok=True)
    pointer.symlink_to(media, target_is_directory=True)
    pointer.replace(media_link)  # atomic: the server never sees no link


@pytest.fixture(scope="session")
def _shared_site(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One daphne for every test of this process that asks for `site_url`: starting one costs 2.5 s
    on a quiet machine and twice that under the suite's load, which over a hundred browser tests
    was a fifth of the suite's time. A test that needs a server of its own (other settings, or one
    it stops) starts one with `processes.daphne_server`; a module of tests sharing other settings,
    with `site_for_many_tests`."""
    with site_for_many_tests(tmp_path_factory) as site:
        yield site


@pytest.fixture
def site_url(transactional_db, _shared_site: tuple[str, Path], settings) -> str:
    """The real ASGI app under daphne, on the test database (data must be committed:
    transactional_db), serving files from this test's MEDIA_ROOT."""
    url, media_link = _shared_site
    serve_this_tests_media(media_link, settings)
    return url


@pytest.fixture(scope="session")
def _unthrottled_site(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One daphne for every schemathesis run of this process (tests/sage/schemathesis_runner.py): a
    run makes many more requests a minute than the production rate allows."""
    with site_for_many_tests(tmp_path_factory, API_RATE_LIMIT="100000/min") as site:
        yield site


@pytest.fixture
def live_url(transactional_db, _unthrottled_site: tuple[str, Path], settings) -> str:
    """`site_url` without the API's rate limit, for schemathesis runs."""
    url, media_link = _unthrottled_site
    serve_this_tests_media(media_link, settings)
    return url


@pytest.fixture(scope="session")
def _browser_session(request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    session = request.config.stash[_BROWSER_SESSION] = BrowserSession(CHROMIUM, CHROMIUM_ARGS)
    yield session
    session.stop()


@pytest.fixture
def browser(_browser_session: BrowserSession) -> Browser:
    """The process's Chromium: one launch serves a run of browser tests, and it stops after the last
    test in a row that uses it (`pytest_runtest_teardown`)."""
    if not CHROMIUM.exists():
        pytest.fail("Browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium).")
    return _browser_session.browser()


# A test process collects its garbage between tests only, never in the middle of one. CPython 3.11's
# collector can crash the process when it runs inside a context variable's update and a weakref
# callback it fires sets another (python/cpython#148891, open): asgiref's thread hand-offs, which the
# sockets' tests run in this process (`database_sync_to_async`), are such updates, and a test process
# died of a segmentation fault there about once in ten runs of the suite. Between tests no update is
# under way in any thread (a thread holds the interpreter lock through one), so a collection there is
# safe. What the session keeps (modules, the text model) is frozen once collected (sage.memory). Between
# the tests of one file, a pass over the young generations collects what the last test made and
# dropped; a full pass also walks everything older and not frozen (what the first tests built and kept:
# 20–100 ms a test), so it runs when a file is done and its module fixtures are gone. The site's own
# processes (daphne, Celery) collect as usual.
def pytest_collection_finish(session: pytest.Session) -> None:
    gc.disable()
    freeze_long_lived_objects()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    # After the test's own fixtures are torn down (its pages closed): a next test that uses no
    # browser must not find Playwright's loop running in this thread (tests/browser_session.py).
    torn_down = yield
    session = item.config.stash.get(_BROWSER_SESSION, None)
    if session is not None and session.running and "browser" not in getattr(nextitem, "fixturenames", ()):
        session.stop()
    same_file = nextitem is not None and nextitem.path == item.path
    gc.collect(1 if same_file else 2)
    return torn_down


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
