"""The settings page's profile form: who may see it, what it saves, what it refuses."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_settings_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_profile_update_by_an_anonymous_visitor_changes_nothing(client, user):
    response = client.post("/settings/profile/", {"display_name": "Intruder", "ai_notes_enabled": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    user.refresh_from_db()
    assert user.display_name != "Intruder"


def test_settings_page_shows_the_current_profile(client):
    user = UserFactory(display_name="Ada Lovelace")
    client.force_login(user)

    response = client.get("/settings/")

    assert response.status_code == 200
    form = response.context["profile_form"]
    assert form.initial["display_name"] == "Ada Lovelace"
    assert b"Ada Lovelace" in response.content


def test_profile_update_saves_display_name_and_ai_notes_preference(client):
    user = UserFactory(display_name="Old Name", ai_notes_enabled=False)
    client.force_login(user)

    response = client.post("/settings/profile/", {"display_name": "  Ada Lovelace  ", "ai_notes_enabled": "on"})

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    user.refresh_from_db()
    assert user.display_name == "Ada Lovelace"
    assert user.ai_notes_enabled is True
    page = client.get("/settings/")
    assert "Profile saved." in [str(message) for message in page.context["messages"]]


def test_unticking_ai_notes_turns_them_off(client):
    user = UserFactory(ai_notes_enabled=True)
    client.force_login(user)

    # An unticked checkbox is simply absent from the POST.
    client.post("/settings/profile/", {"display_name": user.display_name})

    user.refresh_from_db()
    assert user.ai_notes_enabled is False


def test_clearing_the_display_name_falls_back_to_the_email(client):
    user = UserFactory(email="grace@example.com", display_name="Grace")
    client.force_login(user)

    client.post("/settings/profile/", {"display_name": "   ", "ai_notes_enabled": "on"})

    user.refresh_from_db()
    assert user.display_name == ""
    assert user.name == "grace"


def test_an_over_long_display_name_is_refused_with_the_error_shown(client):
    user = UserFactory(display_name="Ada")
    client.force_login(user)

    response = client.post("/settings/profile/", {"display_name": "x" * 81, "ai_notes_enabled": "on"})

    assert response.status_code == 400
    errors = response.context["profile_form"].errors["display_name"]
    assert errors == ["Ensure this value has at most 80 characters (it has 81)."]
    assert b"at most 80 characters" in response.content
    user.refresh_from_db()
    assert user.display_name == "Ada"
    # The page around the form still shows who is logged in, not the refused name.
    assert response.wsgi_request.user.display_name == "Ada"


def test_profile_update_only_changes_the_logged_in_user(client):
    user, other = UserFactory(display_name="Me"), UserFactory(display_name="Someone else")
    client.force_login(user)

    client.post("/settings/profile/", {"display_name": "Changed", "ai_notes_enabled": "on", "pk": other.pk})

    other.refresh_from_db()
    assert other.display_name == "Someone else"
    assert User.objects.get(pk=user.pk).display_name == "Changed"


def test_profile_update_requires_post(client, user):
    client.force_login(user)

    assert client.get("/settings/profile/").status_code == 405


def test_profile_update_requires_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = user.display_name

    forged = client.post("/settings/profile/", {"display_name": "Forged", "ai_notes_enabled": "on"})

    assert forged.status_code == 403
    user.refresh_from_db()
    assert user.display_name == before

    client.get("/settings/")  # sets the CSRF cookie, as the browser would have it
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/settings/profile/", {"display_name": "Genuine", "ai_notes_enabled": "on", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Genuine"
