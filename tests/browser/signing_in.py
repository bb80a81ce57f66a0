"""Signing a person in for a browser test."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

from accounts.models import User
from workspaces.current import SESSION_KEY
from workspaces.models import Workspace


def log_in(page: Page, site_url: str, email: str) -> None:
    """Sign the account in and open its library, where the login form lands. The session is made
    here (the test client's `force_login`) and handed to the browser as its cookie: the form costs a
    quarter of a second a test, and it has tests of its own (`test_the_login_form_signs_in_…`)."""
    client = Client()
    client.force_login(User.objects.get(email=email))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site_url}])
    page.goto(f"{site_url}/")


def signed_in_to(page: Page, site_url: str, user: User, workspace: Workspace) -> None:
    """`user` signed in and acting in `workspace` (as the header's switcher leaves a session)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = workspace.pk
    session.save()
    assert session.session_key is not None
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": site_url}])
