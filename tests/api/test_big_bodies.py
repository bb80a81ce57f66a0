"""A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 at every door (issue 61): the API's error shape under
/api/ (and on Stripe's webhook), a page elsewhere, and nothing is stored. Chat questions and guests'
comments of 2.5 MB and more answered 500: DRF reads the body in the view, and Django's refusal there
(RequestDataTooBig) was a crash to it. The limit is lowered here so that the bodies stay small."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from accounts.models import User
from chat.models import Conversation, Message
from devtools.fault_site import FaultSite, fault_site_create
from reviews.models import Comment
from videos.models import Upload

pytestmark = pytest.mark.django_db

LIMIT = 1000
TOO_LARGE = json.dumps({"text": "x" * 2 * LIMIT, "body": "x" * 2 * LIMIT, "author_name": "Guest"})


@pytest.fixture
def site(settings) -> FaultSite:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    return fault_site_create()


@pytest.fixture
def http() -> Client:
    return Client(raise_request_exception=False)


def assert_too_large_in_the_error_shape(response) -> None:
    assert response.status_code == 413, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert f"{LIMIT:,} bytes" in error["message"]


def test_a_question_too_large_is_a_413_and_nothing_is_asked(site, http) -> None:
    owner = User.objects.get(pk=site.user_id)
    conversation = Conversation.objects.create(owner=owner, workspace_id=owner.personal_workspace_id)
    response = http.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        TOO_LARGE,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site.api_token}",
    )
    assert_too_large_in_the_error_shape(response)
    assert not Message.objects.exists()


def test_a_guests_comment_too_large_is_a_413_and_nothing_is_stored(site, http) -> None:
    response = http.post(
        f"/api/v1/shared/{site.share_token}/comments",
        TOO_LARGE,
        content_type="application/json",
        HTTP_X_REVIEWER_KEY=site.reviewer_key,
    )
    assert_too_large_in_the_error_shape(response)
    assert not Comment.objects.exists()


def test_an_upload_announced_with_a_body_too_large_is_a_413(site, http) -> None:
    response = http.post(
        "/api/v1/uploads", TOO_LARGE, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {site.api_token}"
    )
    assert_too_large_in_the_error_shape(response)
    assert not Upload.objects.exists()


def test_a_page_form_too_large_is_a_413_page_logged_as_one_warning(site, http, caplog) -> None:
    with caplog.at_level(logging.INFO):
        response = http.post("/accounts/login/", {"login": "x" * 2 * LIMIT, "password": "secret"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert f"{LIMIT:,} bytes" in response.content.decode()
    refusals = [record for record in caplog.records if record.name == "django.security.RequestDataTooBig"]
    assert [(record.levelno, record.exc_info) for record in refusals] == [(logging.WARNING, None)]
