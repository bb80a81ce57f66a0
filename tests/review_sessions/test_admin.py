"""Operators read sessions (never a guest's key digest) and end them from the admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from review_sessions.models import ReviewSession
from tests.factories import ReviewSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_operator_reads_a_session_and_ends_it() -> None:
    session = ReviewSessionFactory()
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))

    listed = operator.get(reverse("admin:review_sessions_reviewsession_changelist"))
    shown = operator.get(reverse("admin:review_sessions_reviewsession_change", args=[session.pk]))
    ended = operator.post(
        reverse("admin:review_sessions_reviewsession_changelist"),
        {"action": "end", "_selected_action": [session.pk]},
    )

    assert session.code in listed.content.decode()
    assert shown.status_code == 200 and "started_by_key_digest" not in shown.content.decode()
    assert ended.status_code == 302
    assert ReviewSession.objects.get(pk=session.pk).end_reason == "ended"
