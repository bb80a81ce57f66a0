"""The activity page in Chromium: "Load more" adds the older events under those shown, in order,
none twice, until the oldest, and the link goes away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import script_errors
from tests.factories import ActivityEventFactory, UserFactory
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.browser


def test_load_more_appends_the_older_events_until_the_oldest(site_url: str, page: Page) -> None:
    user = UserFactory(display_name="Ana")
    workspace = personal_workspace_of(user)
    instant = timezone.now() - timedelta(hours=1)
    # 120 events, the last 30 at one instant: the pages' cursor must still neither repeat nor skip.
    for n in range(120):
        at = instant if n < 30 else instant + timedelta(seconds=n)
        ActivityEventFactory(
            workspace=workspace,
            actor=user,
            actor_name="Ana",
            target_kind="video",
            target_label=f"Cut {n}",
            created_at=at,
        )
    errors = script_errors(page)
    log_in(page, site_url, user.email)

    page.goto(f"{site_url}/activity/")
    events = page.locator("[data-activity-event]")
    expect(events).to_have_count(50)
    page.get_by_role("link", name="Load more").click()
    expect(events).to_have_count(100)
    expect(page).to_have_url(f"{site_url}/activity/")  # appended in place, not a new page
    page.get_by_role("link", name="Load more").click()
    expect(events).to_have_count(120)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)

    labels = [text.split("“")[1].split("”")[0] for text in events.all_inner_texts()]
    assert len(set(labels)) == 120
    assert labels[:90] == [f"Cut {n}" for n in range(119, 29, -1)]
    assert errors == []
