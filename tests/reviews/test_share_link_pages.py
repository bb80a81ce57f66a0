"""The Share panel on the comparison page: shown to the owner, working as plain forms."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reviews.models import ShareLink
from reviews.selectors import share_link_resolve
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_sees_the_share_panel_with_each_link_to_copy():
    link = ShareLinkFactory(name="Client, round 2")
    ShareLinkFactory(comparison=link.comparison, name="Gone")
    gone = ShareLink.objects.get(name="Gone")
    gone.revoked_at = gone.created_at
    gone.save()

    page = client_for(link.owner).get(f"/compare/{link.comparison_id}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="share-links"' in html and "js/reviews/share_links.js" in html
    assert "Client, round 2" in html and f"http://testserver/s/{link.token}/" in html
    assert "Not opened yet" in html
    # A revoked link is listed without its address or a revoke button.
    assert html.count("data-share-link-revoke") == 1


def test_the_panel_reads_a_fixed_number_of_queries_whatever_the_number_of_links(django_assert_max_num_queries):
    comparison = ComparisonFactory()
    client = client_for(comparison.owner)
    ShareLinkFactory(comparison=comparison)
    client.get(f"/compare/{comparison.pk}/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/compare/{comparison.pk}/")
    for _ in range(5):
        ShareLinkFactory(comparison=comparison)
    with django_assert_max_num_queries(len(one)):
        client.get(f"/compare/{comparison.pk}/")


def test_a_link_is_made_and_revoked_by_plain_form_posts():
    comparison = ComparisonFactory()
    client = client_for(comparison.owner)

    made = client.post(
        f"/sharing/comparisons/{comparison.pk}/links/",
        {"name": "No script", "permission": "view", "expires_at": "", "password": ""},
    )

    assert made.status_code == 302 and made["Location"] == f"/compare/{comparison.pk}/#share-links"
    link = ShareLink.objects.get()
    assert (link.name, link.comparison, link.has_password) == ("No script", comparison, False)
    revoked = client.post(f"/sharing/links/{link.pk}/revoke/")
    assert revoked.status_code == 302 and revoked["Location"] == f"/compare/{comparison.pk}/#share-links"
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_a_refused_form_says_why_on_the_page():
    comparison = ComparisonFactory()
    client = client_for(comparison.owner)

    page = client.post(
        f"/sharing/comparisons/{comparison.pk}/links/",
        {"name": "Late", "permission": "view", "expires_at": "2001-01-01T10:00"},
        follow=True,
    )

    assert "The expiry must be in the future." in page.content.decode()
    assert not ShareLink.objects.exists()


def test_the_shared_sample_shows_no_share_panel():
    sample = ComparisonFactory(owner=UserFactory(is_sample_owner=True))

    page = client_for(UserFactory()).get(f"/compare/{sample.pk}/")

    assert page.status_code == 200
    assert 'id="share-links"' not in page.content.decode()
    # Nor can anyone but its owner share it.
    assert client_for(UserFactory()).post(f"/sharing/comparisons/{sample.pk}/links/", {"name": "x"}).status_code == 404


def test_get_is_not_allowed_on_the_form_actions():
    link = ShareLinkFactory()
    client = client_for(link.owner)

    assert client.get(f"/sharing/links/{link.pk}/revoke/").status_code == 405
    assert share_link_resolve(link.token) == link


def test_operators_list_links_without_tokens_and_revoke_them():
    link = ShareLinkFactory(password="pw")
    operator = client_for(UserFactory(is_staff=True, is_superuser=True))

    listed = operator.get("/admin/reviews/sharelink/")
    opened = operator.get(f"/admin/reviews/sharelink/{link.pk}/change/")

    assert listed.status_code == opened.status_code == 200
    for html in (listed.content.decode(), opened.content.decode()):
        assert link.token not in html and link.token_sealed not in html and link.password_hash not in html
    assert operator.get("/admin/reviews/sharelink/add/").status_code == 403
    operator.post("/admin/reviews/sharelink/", {"action": "revoke", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert link.revoked_at is not None
