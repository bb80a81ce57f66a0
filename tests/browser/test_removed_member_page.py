"""A member's open page when they are removed from the team (issue 65): it says so at once, over the
page they had open, rather than going on as if nothing had happened until a click fails; and a role
changed under an open page says what to do."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_team_review_live import listening, signed_in_page, switch_to
from tests.browser.test_upload_flow import script_errors
from tests.browser.threads import in_worker_thread
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory
from workspaces.models import Role
from workspaces.selectors import member_in
from workspaces.services import member_change_role, membership_remove

pytestmark = pytest.mark.browser


def test_an_open_page_says_when_its_member_is_given_another_role_then_removed(site_url: str, browser: Any) -> None:
    producer = UserFactory(display_name="Pia")
    studio = TeamWorkspaceFactory(created_by=producer, name="Northwind Studio")
    editor = UserFactory(display_name="Eli")
    MembershipFactory(workspace=studio, user=editor, role=Role.EDITOR)
    page = signed_in_page(browser, site_url, editor.email)
    errors = script_errors(page)
    switch_to(page, studio)
    listening(page)
    owner = member_in(studio, producer.pk)

    in_worker_thread(
        lambda: member_change_role(membership=owner, member=member_in(studio, editor.pk), role=Role.VIEWER)
    )
    expect(page.get_by_text("Your role in this workspace is now viewer: reload the page")).to_be_visible()

    in_worker_thread(lambda: membership_remove(membership=owner, member=member_in(studio, editor.pk)))
    expect(page.get_by_text("You are no longer a member of this workspace")).to_be_visible()

    # The next page they open says where they are now.
    page.reload()
    expect(
        page.get_by_text("You are no longer a member of “Northwind Studio”: you are in your own workspace now.")
    ).to_be_visible()
    assert errors == []
