"""The recut page follows a running job by itself: its percent moves in place, and once the job is
done the page shows the result without anyone reloading it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signing_in import log_in
from tests.factories import RecutJobFactory
from videos.models import RecutJob

pytestmark = pytest.mark.browser


def test_a_running_recut_shows_its_progress_then_its_result_without_a_reload(site_url: str, page: Page) -> None:
    job = RecutJobFactory(status=RecutJob.Status.RUNNING, percent=10)
    log_in(page, site_url, job.owner.email)
    page.goto(f"{site_url}/compare/{job.comparison_id}/recut/")
    progress = page.locator(f'[data-recut-job="{job.pk}"] [data-recut-progress]')
    expect(progress).to_have_text("Recutting… 10 %")

    RecutJob.objects.filter(pk=job.pk).update(percent=60)
    expect(progress).to_have_text("Recutting… 60 %", timeout=10_000)

    RecutJob.objects.filter(pk=job.pk).update(
        status=RecutJob.Status.READY,
        percent=100,
        result_key="recuts/x/DX_conformed_v2.wav",
        start_timecode="01:00:00:00",
    )
    expect(page.locator("[data-recut-download]")).to_have_text("Download DX_conformed_v2.wav", timeout=10_000)
