"""Rate limits hold when the requests come at once, on a real web process: comments per share link and
per address, an API throttle, and failed sign-ins never let more than their limit through; and a
web process whose Redis cannot answer lets reads pass and refuses limited writes with a 503.

Each burst is sent by as many threads, released together, to a daphne of its own settings.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest

from devtools import processes
from reviews.models import Comment, ShareLink
from tests.factories import ApiTokenFactory, ShareLinkFactory, UserFactory

T = TypeVar("T")

COMMENTS_PER_LINK = 12
COMMENTS_PER_ADDRESS = 4
API_REQUESTS_PER_MINUTE = 10
# The per-account part of the site's default LOGIN_FAILED_RATE_LIMIT ("30/m/ip,5/5m/key").
FAILED_LOGINS_PER_ACCOUNT = 5
PASSWORD = "a right password 123"


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "REVIEW_COMMENT_RATE_PER_LINK": f"{COMMENTS_PER_LINK}/min",
        "REVIEW_COMMENT_RATE_PER_ADDRESS": f"{COMMENTS_PER_ADDRESS}/min",
        "API_RATE_LIMIT": f"{API_REQUESTS_PER_MINUTE}/min",
        # The tests play many clients from one machine: each names its address as a proxy would.
        "TRUSTED_PROXY_COUNT": "1",
    }
    with processes.daphne_server(**env) as url:
        yield url


def at_once(times: int, send: Callable[[int], T]) -> list[T]:
    """`send(0)` … `send(times - 1)`, each on a thread of its own, all released together."""
    start = threading.Barrier(times)

    def one(index: int) -> T:
        start.wait()
        return send(index)

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(one, range(times)))


def comment_poster(site: str, link: ShareLink) -> Callable[[str], httpx.Response]:
    def post(address: str) -> httpx.Response:
        return httpx.post(
            f"{site}/api/v1/shared/{link.token}/comments",  # type: ignore[attr-defined]  # the factory's
            json={"side": "b", "start": 1.0, "body": "Too loud here", "author_name": "Ana"},
            headers={"X-Reviewer-Key": "k" * 40, "X-Forwarded-For": address},
            timeout=60,
        )

    return post


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def test_comments_from_one_address_at_once_stop_at_its_limit(site: str, transactional_db) -> None:
    link = ShareLinkFactory(permission="comment")
    post = comment_poster(site, link)

    answers = at_once(20, lambda _: post("198.51.100.7"))

    assert statuses(answers) == {201: COMMENTS_PER_ADDRESS, 429: 20 - COMMENTS_PER_ADDRESS}
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["code"] == "throttled" and int(refused.headers["Retry-After"]) >= 1
    assert Comment.objects.filter(link=link).count() == COMMENTS_PER_ADDRESS


def test_comments_from_many_addresses_at_once_stop_at_the_links_limit(site: str, transactional_db) -> None:
    link = ShareLinkFactory(permission="comment")
    post = comment_poster(site, link)

    answers = at_once(30, lambda n: post(f"198.51.100.{n + 1}"))

    assert statuses(answers) == {201: COMMENTS_PER_LINK, 429: 30 - COMMENTS_PER_LINK}
    assert Comment.objects.filter(link=link).count() == COMMENTS_PER_LINK


def test_api_requests_of_one_token_at_once_stop_at_its_throttle(site: str, transactional_db) -> None:
    token = ApiTokenFactory(user=UserFactory())
    headers = {"Authorization": f"Bearer {token.secret}"}

    answers = at_once(30, lambda _: httpx.get(f"{site}/api/v1/videos", headers=headers, timeout=60))

    assert statuses(answers) == {200: API_REQUESTS_PER_MINUTE, 429: 30 - API_REQUESTS_PER_MINUTE}
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["code"] == "throttled" and int(refused.headers["Retry-After"]) >= 1


def login_form(site: str, address: str) -> httpx.Client:
    """A browser on the sign-in page, holding its CSRF cookie (and the form's token in `csrf`)."""
    browser = httpx.Client(base_url=site, headers={"X-Forwarded-For": address}, timeout=60)
    page = browser.get("/accounts/login/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status_code == 200 and match
    browser.headers["X-CSRFToken"] = match.group(1)
    return browser


def test_wrong_passwords_for_one_account_at_once_stop_at_its_limit(site: str, transactional_db) -> None:
    user = UserFactory(password=PASSWORD)
    browsers = [login_form(site, f"203.0.113.{n + 1}") for n in range(20)]

    answers = at_once(20, lambda n: browsers[n].post("/accounts/login/", data={"login": user.email, "password": "no"}))
    for browser in browsers:
        browser.close()

    assert {answer.status_code for answer in answers} == {200}  # the form again, with its error
    checked = sum("password you specified are not correct" in answer.text for answer in answers)
    paused = sum("Too many failed login attempts" in answer.text for answer in answers)
    assert 1 <= checked <= FAILED_LOGINS_PER_ACCOUNT and checked + paused == 20


def test_people_signing_in_at_once_from_one_address_all_get_in(site: str, transactional_db) -> None:
    """An office or a classroom behind one address: 25 right sign-ins at once, under the limit of
    30 a minute, are all let in (allauth's lock around its count once refused those it could not take
    within a second, as if they were over the limit)."""
    people = [UserFactory(password=PASSWORD) for _ in range(25)]
    browsers = [login_form(site, "203.0.113.50") for _ in people]

    answers = at_once(
        len(people),
        lambda n: browsers[n].post("/accounts/login/", data={"login": people[n].email, "password": PASSWORD}),
    )
    signed_in = sum("sessionid" in browser.cookies for browser in browsers)
    for browser in browsers:
        browser.close()

    assert {answer.status_code for answer in answers} == {302}
    assert signed_in == len(people)


# --- Redis that cannot answer ----------------------------------------------------------------------


def test_without_redis_reads_pass_and_limited_writes_get_503_with_retry_after(transactional_db) -> None:
    token = ApiTokenFactory(user=UserFactory())
    link = ShareLinkFactory(permission="comment")
    user = UserFactory(password=PASSWORD)
    closed = f"redis://127.0.0.1:{processes.free_port()}/0"  # nothing listens there

    with processes.daphne_server(REDIS_URL=closed) as site:
        read = httpx.get(f"{site}/api/v1/videos", headers={"Authorization": f"Bearer {token.secret}"}, timeout=60)
        comment = comment_poster(site, link)("198.51.100.7")
        browser = login_form(site, "203.0.113.9")
        sign_in = browser.post("/accounts/login/", data={"login": user.email, "password": PASSWORD})
        browser.close()

    assert read.status_code == 200 and read.json()["results"] == []
    assert comment.status_code == 503 and int(comment.headers["Retry-After"]) >= 1
    assert comment.json()["error"]["code"] == "unavailable"
    assert not Comment.objects.filter(link=link).exists()
    assert sign_in.status_code == 503 and int(sign_in.headers["Retry-After"]) >= 1
    assert "try again" in sign_in.text.lower()
