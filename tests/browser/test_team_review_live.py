"""A team's review round, live, with two browsers and two accounts (issue 52): the editor uploads v2 of
a film through the upload page; the producer's open library shows it arrive without a reload; once
processed, the producer opens the comparison of v1 and v2 made for them and requests changes there,
and the editor's open comparison shows it without a reload. Both act in the studio's workspace,
chosen with the header's switcher.

The processing of v2 runs in this process, as in test_versions (the real pipeline, the comparison as
an eager task): the daphne shared by the browser tests only queues it, and a worker process would add
its start-up and model loading to every run without testing anything more here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from sage.synthetic_media import Scene, make_video
from tests.browser.signing_in import log_in
from tests.browser.test_upload_flow import PROCESSED_TIMEOUT_MS, UPLOADED, script_errors
from tests.browser.test_versions import ENDING, MIDDLE, OPENING, processed_upload
from tests.browser.threads import in_worker_thread
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory
from videos.models import Comparison, ReviewStatus, Video
from videos.tasks import process_video
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.browser

# Marks each page's /ws/events/ socket once the server has accepted it. The consumer joins the user's
# and the workspace's groups before it accepts, so from then on no push to them can pass the page by.
NOTE_EVENTS_SOCKET_OPEN = """
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    if (String(args[0]).endsWith("/ws/events/")) {
      this.addEventListener("open", () => { window.__eventsSocketOpen = true; });
    }
  }
};
"""


def signed_in_page(browser: Any, site_url: str, email: str) -> Page:
    """A browser of the account's own (its own cookies, so its own session and workspace)."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    context.add_init_script(NOTE_EVENTS_SOCKET_OPEN)
    page = context.new_page()
    log_in(page, site_url, email)
    return page


def switch_to(page: Page, workspace: Workspace) -> None:
    """Choose `workspace` in the header's switcher, as a person does: it lands on its library."""
    page.get_by_label("Workspace").select_option(label=workspace.name)
    expect(page.get_by_text(f"You are now in “{workspace.name}”.")).to_be_visible()
    expect(page.get_by_label("Workspace").locator("option:checked")).to_have_text(workspace.name)


def listening(page: Page) -> None:
    """Wait until the page's live socket is open, then mark the page to tell a reload."""
    page.wait_for_function("() => window.__eventsSocketOpen === true")
    page.evaluate("() => { window.__notReloaded = true; }")


def not_reloaded(page: Page) -> bool:
    return page.evaluate("() => window.__notReloaded === true") is True


def open_comparison_from_version_page(page: Page, site_url: str, version: Video, comparison: Comparison) -> None:
    """From a version's page, its Versions card's link to what changed since the version before."""
    versions = page.locator("[data-versions]")
    expect(versions).to_contain_text(f"v{version.version} (this one)")
    versions.get_by_role("link", name="Open the comparison").click()
    expect(page).to_have_url(f"{site_url}/compare/{comparison.pk}/")


def test_the_editors_v2_reaches_the_producer_live_and_her_request_for_changes_reaches_him_live(
    site_url: str, browser: Any, tmp_path: Path
) -> None:
    producer = UserFactory(display_name="Pia")
    studio = TeamWorkspaceFactory(created_by=producer, name="Northwind Studio")
    editor = UserFactory(display_name="Eli")
    MembershipFactory(workspace=studio, user=editor, role=Role.EDITOR)
    first = processed_upload(
        editor, "Brand film", make_video(tmp_path / "cut1.mp4", scenes=[OPENING, MIDDLE, ENDING]), workspace=studio
    )
    second_file = make_video(tmp_path / "cut2.mp4", scenes=[OPENING, Scene(2, "noise", seed=9), ENDING])

    # The producer opens the studio's library (her own browser) and leaves it open.
    producers = signed_in_page(browser, site_url, producer.email)
    producer_errors = script_errors(producers)
    switch_to(producers, studio)
    expect(producers.locator(f'[data-video-card][data-video-id="{first.pk}"]')).to_contain_text("Brand film")
    listening(producers)

    # The editor, in his browser, uploads v2 from v1's page in the studio.
    editors = signed_in_page(browser, site_url, editor.email)
    editor_errors = script_errors(editors)
    switch_to(editors, studio)
    editors.locator(".video-card", has_text="Brand film").get_by_role("link", name="Brand film").click()
    editors.get_by_role("link", name="Upload a new version").click()
    expect(editors.get_by_role("heading", name="New version of “Brand film”")).to_be_visible()
    expect(editors.get_by_text("Drag the new version here")).to_be_visible()  # upload.js has run
    editors.get_by_label("Choose the file").set_input_files(second_file)
    row = editors.locator(".upload-row", has_text="cut2.mp4")
    row.get_by_role("button", name="Start upload").click()
    expect(row.get_by_role("status")).to_have_text(UPLOADED, timeout=20_000)
    second = Video.objects.get(stack=Video.objects.get(pk=first.pk).stack, version=2)
    assert (second.workspace_id, second.owner_id) == (studio.pk, editor.pk)

    # The producer's library shows v2 without a reload.
    card = producers.locator(f'[data-video-card][data-video-id="{second.pk}"]')
    expect(card.locator("[data-version-badge]")).to_have_text("v2")
    expect(card.locator('[data-field="status"]')).to_have_text("Queued")
    assert not_reloaded(producers)

    # Processed (as a worker would): v2 becomes ready and v1 and v2 are compared.
    in_worker_thread(lambda: process_video(second.pk))
    comparison = Comparison.objects.get(video_a=first, video_b=second)
    expect(card.locator('[data-field="status"]')).to_have_text("Ready", timeout=PROCESSED_TIMEOUT_MS)
    assert not_reloaded(producers)

    # The editor follows his upload to what changed since v1, and leaves that page open.
    row.get_by_role("link", name="Open").click()
    open_comparison_from_version_page(editors, site_url, second, comparison)
    badge = editors.locator(f'[data-review-status-of="comparison:{comparison.pk}"]').first
    expect(badge).to_have_text("Review status: In progress")
    listening(editors)

    # The producer opens v2 from her library, then the comparison, and requests changes there.
    card.get_by_role("link", name="Brand film").click()
    open_comparison_from_version_page(producers, site_url, second, comparison)
    status_card = producers.locator("#review-status")
    status_card.get_by_role("combobox").select_option("changes_requested")
    status_card.get_by_role("button", name="Set status").click()
    expect(producers.get_by_text("Review status set to “Changes requested”.")).to_be_visible()

    # The editor's comparison shows it at once, with who asked.
    expect(badge).to_have_text("Review status: Changes requested")
    expect(editors.locator("#review-status [data-review-status-who]")).to_have_text(
        "Changes requested by Pia, just now"
    )
    assert not_reloaded(editors)
    comparison.refresh_from_db()
    assert comparison.review_status == ReviewStatus.CHANGES_REQUESTED
    assert list(comparison.status_changes.values_list("by_user", "to_status")) == [(producer.pk, "changes_requested")]
    assert producer_errors == [] and editor_errors == []
    for each in (producers, editors):
        each.context.close()
