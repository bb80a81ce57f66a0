"""Share links: their tokens, their scope, and resolving one (revoked, expired, password)."""

from __future__ import annotations

import base64
import math
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from reviews.models import ShareLink
from reviews.presenters import share_link_url
from reviews.selectors import (
    PASSWORD_ATTEMPTS,
    PasswordAttemptsExceeded,
    PasswordRequired,
    share_link_get_for_user,
    share_link_resolve,
    share_links_for_object,
)
from reviews.services import share_link_create, share_link_opened, share_link_revoke, share_links_revoke
from reviews.tokens import token_digest, unseal
from sage.errors import FieldInvalid, NotFound
from tests.factories import ComparisonFactory, ShareLinkFactory, UserFactory, member_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_tokens_are_256_random_bits_and_never_repeat():
    tokens = {ShareLinkFactory().token for _ in range(20)}

    assert len(tokens) == 20
    for token in tokens:
        # URL-safe base64: 6 bits a character.
        assert len(token) == 43
        assert len(token) * 6 >= 256 > 128
        assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits, not a shorter value padded
    # Not a counter or a timestamp: the characters spread over the alphabet.
    characters = "".join(tokens)
    assert len(set(characters)) > 50
    assert math.log2(len(set(characters))) > 5.6


def test_the_row_holds_only_a_digest_and_a_sealed_copy_of_the_token():
    link = ShareLinkFactory()

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ShareLink._meta.db_table} WHERE id = %s", [link.pk])
        row = cursor.fetchone()
    assert not any(link.token in str(value) for value in row)
    assert link.token_digest == token_digest(link.token) != link.token
    assert len(link.token_digest) == 64
    assert unseal(link.token_sealed) == link.token


def test_the_owner_reads_the_same_link_back_after_a_key_rotation(rf):
    comparison = ComparisonFactory()
    old_key = "old-" + "k" * 60

    with override_settings(SECRET_KEY=old_key):
        link, token = share_link_create(member=member_in(comparison.owner), shared=comparison, name="Before rotation")
    with override_settings(SECRET_KEY="new-" + "k" * 60, SECRET_KEY_FALLBACKS=[old_key]):
        assert share_link_url(rf.get("/"), link) == f"http://testserver/s/{token}/"
    with override_settings(SECRET_KEY="new-" + "k" * 60, SECRET_KEY_FALLBACKS=[]):
        # Unreadable for the owner, yet the link itself still opens: lookups use the digest.
        assert share_link_url(rf.get("/"), link) is None
        assert share_link_resolve(token) == link


def test_a_link_is_scoped_to_exactly_one_object():
    link = ShareLinkFactory()
    comparison = link.comparison

    with pytest.raises(IntegrityError), transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(video=comparison.video_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(comparison=None)


def test_a_video_link_shares_that_video_only():
    comparison = ComparisonFactory()
    link = ShareLinkFactory(video=comparison.video_a)

    assert (link.video, link.comparison) == (comparison.video_a, None)
    assert link.shared_object == comparison.video_a
    assert list(share_links_for_object(member_in(comparison.owner), comparison.video_a)) == [link]
    assert list(share_links_for_object(member_in(comparison.owner), comparison)) == []


def test_nobody_shares_another_persons_object():
    comparison = ComparisonFactory()

    with pytest.raises(NotFound):
        share_link_create(member=member_in(UserFactory()), shared=comparison, name="Mine now")
    assert not ShareLink.objects.exists()


def test_a_link_needs_a_name_and_a_future_expiry():
    comparison = ComparisonFactory()

    with pytest.raises(FieldInvalid) as refused:
        share_link_create(member=member_in(comparison.owner), shared=comparison, name="  ")
    assert refused.value.field == "name"
    with pytest.raises(FieldInvalid) as refused:
        share_link_create(
            member=member_in(comparison.owner),
            shared=comparison,
            name="Late",
            expires_at=timezone.now() - timedelta(seconds=1),
        )
    assert refused.value.field == "expires_at"


def test_a_live_link_resolves_and_a_wrong_token_is_not_found():
    link = ShareLinkFactory()

    assert share_link_resolve(link.token) == link
    for wrong in ("", "x", link.token[:-1], link.token + "a", link.token_digest):
        with pytest.raises(NotFound):
            share_link_resolve(wrong)


def test_revoking_closes_the_link_at_once_and_keeps_the_first_time():
    link = ShareLinkFactory()

    revoked = share_link_revoke(link=link)
    first = revoked.revoked_at
    assert first is not None
    with pytest.raises(NotFound):
        share_link_resolve(link.token)
    assert share_link_revoke(link=link).revoked_at == first


def test_operators_revoke_in_bulk():
    links = [ShareLinkFactory() for _ in range(3)]
    share_link_revoke(link=links[0])

    assert share_links_revoke(links=ShareLink.objects.all()) == 2
    for link in links:
        with pytest.raises(NotFound):
            share_link_resolve(link.token)


def test_an_expired_link_is_not_found_like_a_wrong_one():
    link = ShareLinkFactory(expires_at=timezone.now() + timedelta(hours=1))
    assert share_link_resolve(link.token) == link

    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(NotFound) as expired:
        share_link_resolve(link.token)
    with pytest.raises(NotFound) as wrong:
        share_link_resolve("no-such-token")
    assert (expired.value.status, expired.value.message) == (wrong.value.status, wrong.value.message)


def test_a_password_is_stored_hashed_and_asked_for():
    link = ShareLinkFactory(password="open sesame")

    assert link.has_password and "open sesame" not in link.password_hash
    # With the site's password hasher (the suite's is MD5, for speed; production's PBKDF2).
    assert identify_hasher(link.password_hash).algorithm == get_hasher().algorithm
    with pytest.raises(PasswordRequired):
        share_link_resolve(link.token)
    with pytest.raises(PasswordRequired):
        share_link_resolve(link.token, "open sesame!")
    assert share_link_resolve(link.token, "open sesame") == link


def test_wrong_passwords_are_limited_per_link_and_client():
    link = ShareLinkFactory(password="open sesame")

    for _ in range(PASSWORD_ATTEMPTS):
        with pytest.raises(PasswordRequired):
            share_link_resolve(link.token, "guess", client="203.0.113.7")
    with pytest.raises(PasswordAttemptsExceeded) as limited:
        share_link_resolve(link.token, "open sesame", client="203.0.113.7")
    assert limited.value.status == 429 and "Retry-After" in limited.value.headers()
    # Another address is not held back by this one's guesses.
    assert share_link_resolve(link.token, "open sesame", client="198.51.100.1") == link


def test_opening_is_noted_at_most_once_a_minute(django_assert_num_queries):
    link = ShareLinkFactory()

    share_link_opened(link=link)
    first = link.last_opened_at
    assert first is not None
    with django_assert_num_queries(0):
        share_link_opened(link=link)
    # Another worker's copy of the row, read before the first opening, writes nothing either.
    stale = ShareLink.objects.get(pk=link.pk)
    stale.last_opened_at = None
    share_link_opened(link=stale)
    link.refresh_from_db()
    assert link.last_opened_at == first

    ShareLink.objects.filter(pk=link.pk).update(last_opened_at=first - timedelta(minutes=2))
    link.refresh_from_db()
    share_link_opened(link=link)
    assert link.last_opened_at > first - timedelta(seconds=1)


def test_another_user_cannot_get_a_link():
    link = ShareLinkFactory()

    assert share_link_get_for_user(member_in(link.owner), link.pk) == link
    with pytest.raises(Http404):
        share_link_get_for_user(member_in(UserFactory()), link.pk)
