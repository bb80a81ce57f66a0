"""Team workspaces in the browser (issue 52): the owner invites from the workspace page, and the
invited person follows the mailed link, creates their account on the sign-up form (their address
filled in) and accepts, landing in the workspace as a member."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.factories import TeamWorkspaceFactory
from workspaces.invitations import invitation_create
from workspaces.models import Membership, Role

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-unusual-passphrase-71"


def test_the_owner_invites_and_a_new_person_joins_through_the_link(site_url: str, page: Page, browser) -> None:
    workspace = TeamWorkspaceFactory(name="Post House")
    owner = workspace.created_by

    log_in(page, site_url, owner.email)
    page.goto(f"{site_url}/workspaces/")
    page.get_by_role("link", name="Post House").click()
    invitations = page.locator("#invitations")
    invitations.get_by_label("E-mail address").fill("ana@example.com")
    invitations.get_by_label("Role").select_option("commenter")
    invitations.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to ana@example.com.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("ana@example.com.*Commenter.*Pending"))).to_be_visible()
    expect(page.get_by_text("2 of 10 seats taken")).to_be_visible()

    # Another invitation, mailed from here, so the test reads its link as the invited person would.
    invitation_create(
        membership=Membership.objects.get(workspace=workspace, user=owner), email="ben@example.com", role=Role.EDITOR
    )
    link = re.findall(r"https?://[^/\s]+(/workspaces/invitations/\S+)", str(mail.outbox[-1].body))[0]
    newcomer = browser.new_context().new_page()
    newcomer.goto(f"{site_url}{link}")
    expect(newcomer.get_by_role("heading", name="Join “Post House”")).to_be_visible()
    newcomer.get_by_role("link", name="Create an account").click()
    expect(newcomer.get_by_label("Email")).to_have_value("ben@example.com")
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
    newcomer.get_by_label("Password (again)").fill(PASSWORD)
    newcomer.get_by_role("button", name="Create account").click()
    newcomer.get_by_role("button", name="Accept and join").click()

    expect(newcomer.get_by_text("You joined “Post House” as editor.")).to_be_visible()
    expect(newcomer.get_by_role("row", name=re.compile("ben@example.com.*Editor"))).to_be_visible()
    assert Membership.objects.get(workspace=workspace, user__email="ben@example.com").role == Role.EDITOR
    newcomer.context.close()
