"""The admin shows money as money and sizes as sizes: "€9.99" from 999 cents, "1 TB" from
1,099,511,627,776 bytes, in the plan list and on a plan's page, and in the other lists that hold
cents or bytes (pack purchases, plan invoices, videos, uploads)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from billing.models import PackPurchase, Plan, SubscriptionInvoice, Wallet
from tests.factories import TokenPackFactory, UploadFactory, UserFactory, VideoFactory
from videos.models import UploadPart

pytestmark = pytest.mark.django_db

TERABYTE = 1024**4


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def cells(html: str) -> str:
    """The text of the page's table cells and read-only fields, tags removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_plan_list_and_page_show_prices_and_sizes_as_people_read_them(operator):
    plan = Plan.objects.get(slug="pro")
    Plan.objects.filter(pk=plan.pk).update(
        price_cents=999, currency="eur", max_upload_bytes=2 * 1024**3, storage_quota_bytes=TERABYTE
    )

    listing = cells(operator.get("/admin/billing/plan/").content.decode())
    page = cells(operator.get(f"/admin/billing/plan/{plan.pk}/change/").content.decode())

    for text in (listing, page):
        assert "€9.99" in text
        assert "2 GB" in text and "1 TB" in text
    assert str(TERABYTE) not in listing and "1,099,511,627,776" not in listing


def test_purchases_invoices_videos_and_uploads_list_money_and_sizes(operator):
    owner = UserFactory()
    wallet = Wallet.objects.get(user=owner)
    PackPurchase.objects.create(
        wallet=wallet, pack=TokenPackFactory(), stripe_payment_intent_id="pi_1", tokens=3600, amount=499,
        currency="usd", amount_refunded=250,
    )  # fmt: skip
    SubscriptionInvoice.objects.create(
        wallet=wallet, plan=Plan.objects.get(slug="pro"), stripe_invoice_id="in_1", amount_paid=1900, currency="eur",
        tokens_granted=36000,
    )  # fmt: skip
    VideoFactory(owner=owner, size=5 * 1024**2)

    purchases = cells(operator.get("/admin/billing/packpurchase/").content.decode())
    invoices = cells(operator.get("/admin/billing/subscriptioninvoice/").content.decode())
    videos = cells(operator.get("/admin/videos/video/").content.decode())

    assert "$4.99" in purchases and "$2.50" in purchases
    assert "€19" in invoices and "1900" not in invoices
    assert "5 MB" in videos and str(5 * 1024**2) not in videos


def test_an_uploads_page_gives_its_sizes_and_its_parts_sizes_as_sizes(operator):
    upload = UploadFactory(size=12 * 1024**2)
    UploadPart.objects.create(upload=upload, number=1, size=8 * 1024**2, etag="x")

    listing = cells(operator.get("/admin/videos/upload/").content.decode())
    page = cells(operator.get(f"/admin/videos/upload/{upload.pk}/change/").content.decode())

    assert "12 MB" in listing and str(12 * 1024**2) not in listing
    assert "12 MB" in page and "8 MB" in page
    assert str(8 * 1024**2) not in page and str(12 * 1024**2) not in page
