"""Answers the whole-API schemathesis run once found at odds with the schema, through the real site
(daphne) and a browser's real signed-in session: a method an operation lacks is a 405 whatever the
body, and a new version of a video that is not there is the 404 the schema documents."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, UploadFactory, UserFactory, VideoFactory
from tests.sage.schemathesis_runner import SCHEMA, browser_session_headers


@pytest.mark.parametrize(
    "content_type",
    ["application/octet-stream", "application/json", "application/x-www-form-urlencoded", "text/plain"],
)
def test_posting_to_an_upload_part_is_a_405_through_a_signed_in_browser(site_url: str, content_type: str) -> None:
    user = UserFactory()
    upload = UploadFactory(owner=user)
    headers = browser_session_headers(site_url, user.email, DEFAULT_PASSWORD)

    response = httpx.post(
        f"{site_url}/api/v1/uploads/{upload.pk}/parts/1",
        headers={**headers, "Content-Type": content_type},
        content=b"a=1",
        timeout=30,
    )

    assert response.status_code == 405, response.text
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "PUT" in response.headers["Allow"]


def test_posting_to_an_upload_part_is_a_405_with_an_api_token_too(site_url: str) -> None:
    user = UserFactory()
    upload = UploadFactory(owner=user)
    token = ApiTokenFactory(user=user)

    response = httpx.post(
        f"{site_url}/api/v1/uploads/{upload.pk}/parts/1",
        headers={"Authorization": f"Bearer {token.secret}", "Content-Type": "application/octet-stream"},
        content=b"bytes",
        timeout=30,
    )

    assert response.status_code == 405, response.text


@pytest.mark.django_db
def test_a_new_version_of_a_missing_video_is_the_documented_404():
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.post(
        "/api/v1/uploads", {"filename": "cut.mp4", "size": 1000, "version_of": 999_999}, "application/json"
    )
    another_persons = client.post(
        "/api/v1/uploads",
        {"filename": "cut.mp4", "size": 1000, "version_of": VideoFactory(ready=True).pk},
        "application/json",
    )

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert another_persons.status_code == 404
    schema = client.get(SCHEMA, {"format": "json"}).json()
    documented = schema["paths"]["/api/v1/uploads"]["post"]["responses"]
    assert "404" in documented
    assert "Another's video is a 404" in str(schema["components"]["schemas"]["UploadCreateInputRequest"])
