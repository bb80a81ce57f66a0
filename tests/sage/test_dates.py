"""One way a moment reads on every page: "28 Nov 2026 18:54" in a `<time data-when>` that the
page's script writes again in the viewer's time zone (tests/browser/test_dates.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import Client

from reviews.models import ShareLink
from tests.factories import ComparisonFactory, ShareLinkFactory

MOMENT = dt.datetime(2026, 11, 28, 18, 54, 30, tzinfo=dt.UTC)
# What the site writes, and the formats it wrote before (US-style, with a comma, spelled out, relative).
SITE_FORMAT = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}$")


def test_the_filter_writes_a_time_element_in_the_site_format():
    html = Template("{% load dates %}{{ moment|when }} / {{ moment|when_text }} / {{ nothing|when }}").render(
        Context({"moment": MOMENT, "nothing": None})
    )

    element = '<time datetime="2026-11-28T18:54:30+00:00" data-when>28 Nov 2026 18:54</time>'
    assert html == f"{element} / 28 Nov 2026 18:54 / "


@pytest.mark.django_db
def test_share_links_say_when_they_were_opened_and_expire_in_the_site_format():
    comparison = ComparisonFactory()
    link = ShareLinkFactory(comparison=comparison, name="Client")
    ShareLink.objects.filter(pk=link.pk).update(last_opened_at=MOMENT, expires_at=MOMENT + dt.timedelta(days=3))
    client = Client()
    client.force_login(comparison.owner)

    html = client.get(f"/compare/{comparison.pk}/").content.decode()

    opened = re.search(r'data-field="opened">(.*?)</p>', html, re.S)
    assert opened is not None
    meta = " ".join(opened.group(1).split())
    times = re.findall(r"<time [^>]*data-when>([^<]+)</time>", meta)
    assert times == ["28 Nov 2026 18:54", "1 Dec 2026 18:54"]
    assert all(SITE_FORMAT.match(each) for each in times)
    assert "ago" not in meta


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Tokyo", "29 Nov 2026 03:54"),
        ("America/New_York", "28 Nov 2026 13:54"),
        ("Mars/Olympus", "28 Nov 2026 18:54"),
    ],
)
def test_the_server_writes_moments_in_the_zone_the_browser_named(zone: str, shown: str):
    comparison = ComparisonFactory()
    link = ShareLinkFactory(comparison=comparison, name="Client")
    ShareLink.objects.filter(pk=link.pk).update(last_opened_at=MOMENT)
    client = Client()
    client.force_login(comparison.owner)
    client.cookies["tz"] = zone

    html = client.get(f"/compare/{comparison.pk}/").content.decode()

    assert f'Last opened <time datetime="2026-11-28T18:54:30+00:00" data-when>{shown}</time>' in html
