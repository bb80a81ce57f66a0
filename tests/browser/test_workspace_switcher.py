"""Issue 52: a member of a team moves between their workspaces from the header, and what the library
shows follows; the header stays one row on a laptop's screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.browser.test_compare_page import script_errors
from tests.browser.test_sample_and_header import box
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, VideoFactory
from workspaces.models import Role

pytestmark = pytest.mark.browser


def test_choosing_a_workspace_in_the_header_switches_the_library(site_url: str, page: Page) -> None:
    team = TeamWorkspaceFactory(name="North Studio Post-Production")
    editor = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(display_name="Ana")).user
    VideoFactory(owner=editor, title="My holiday", ready=True)
    VideoFactory(owner=team.created_by, workspace=team, title="Harbour cut v1", ready=True)
    page.set_viewport_size({"width": 1280, "height": 800})  # a laptop
    errors = script_errors(page)
    log_in(page, site_url, editor.email)
    page.goto(f"{site_url}/videos/")
    switcher = page.get_by_label("Workspace")
    expect(page.locator(".video-card-title")).to_have_text(["My holiday"])
    page.wait_for_load_state("load")
    assert box(page.locator(".site-header"))["height"] < 70  # one row, the switcher included

    switcher.select_option(label="North Studio Post-Production")  # no button: choosing is enough

    page.wait_for_url(f"{site_url}/videos/")
    expect(page.locator(".video-card-title")).to_have_text(["Harbour cut v1"])
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text("North Studio")
    expect(switcher).to_have_value(str(team.pk))
    expect(page.locator("#header-balance")).to_contain_text("180,000")  # the team's wallet: a wide pill
    page.wait_for_load_state("load")  # the stylesheet applied (in CI once, the header measured unstyled)
    assert box(page.locator(".site-header"))["height"] < 70  # still one row, Log out included
    assert errors == []
