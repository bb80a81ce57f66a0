"""Every response says what its page may load (Content-Security-Policy, nonce-based, no inline
scripts) and which powerful features it may use (Permissions-Policy), in every mode."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sage.security import storage_origins

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/api/v1/me", "/favicon.ico"])
def test_pages_api_and_admin_carry_both_policies_in_every_mode(settings, path, debug):
    settings.DEBUG = debug
    settings.SECURE_SSL_REDIRECT = False

    response = Client().get(path)

    policy = directives(response)
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    features = response["Permissions-Policy"]
    assert "camera=()" in features and "microphone=()" in features and "geolocation=()" in features
    assert 'fullscreen=(self "https://www.youtube-nocookie.com")' in features


def test_the_api_docs_inline_script_runs_by_the_requests_nonce(settings):
    response = Client().get("/api/docs/")

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert response.status_code == 200 and nonce
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts and all(f'nonce="{nonce.group(1)}"' in attributes for attributes in inline_scripts)
    assert Client().get("/api/docs/")["Content-Security-Policy"] != response["Content-Security-Policy"]


def test_presigned_storage_urls_are_allowed_where_uploads_and_players_use_them():
    assert storage_origins(bucket="media", endpoint_url="http://127.0.0.1:9000/", region=None) == [
        "http://127.0.0.1:9000",
        "http://media.127.0.0.1:9000",
    ]
    assert storage_origins(bucket="media", endpoint_url=None, region="eu-west-1") == [
        "https://media.s3.amazonaws.com",
        "https://media.s3.eu-west-1.amazonaws.com",
    ]
    assert storage_origins(bucket=None, endpoint_url=None, region=None) == []
