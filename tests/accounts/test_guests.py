"""The viewer of a request: a user, or a guest known by a signed cookie or `X-Guest-Session-ID`."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.guests import (
    GUEST_COOKIE,
    InvalidGuestSession,
    guest_cookie_set,
    viewer_from_request,
    viewer_remember,
)
from tests.factories import ApiTokenFactory
from workspaces.token_scopes import TokenScopePermission


class ViewerEcho(APIView):
    """Test-only: says who the viewer is, as a guest-friendly endpoint would."""

    permission_classes = [AllowAny, TokenScopePermission]

    def get(self, request: Request) -> Response:
        viewer = viewer_from_request(request, create_guest=True)
        response = Response(
            {
                "user": viewer.user.email if viewer.user else None,
                "guest_id": str(viewer.guest_id) if viewer.guest_id else None,
                "is_new_guest": viewer.is_new_guest,
            }
        )
        viewer_remember(request, response, viewer)
        return response


urlpatterns = [path("viewer", ViewerEcho.as_view())]

rf = RequestFactory()


def anonymous(request):
    request.user = AnonymousUser()
    return request


def with_cookie_from(response: HttpResponse, request):
    request.COOKIES[GUEST_COOKIE] = response.cookies[GUEST_COOKIE].value
    return request


# --- the helper ----------------------------------------------------------------------------------


def test_a_new_guest_gets_an_id_and_a_signed_cookie_that_brings_it_back():
    first = viewer_from_request(anonymous(rf.get("/")), create_guest=True)
    assert first.is_guest and first.is_new_guest
    assert first.guest_id is not None
    response = HttpResponse()

    viewer_remember(rf.get("/"), response, first)

    cookie = response.cookies[GUEST_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert str(first.guest_id) in cookie.value  # signed, not encrypted: the id is not a secret to its holder
    again = viewer_from_request(with_cookie_from(response, anonymous(rf.get("/"))), create_guest=True)
    assert again.guest_id == first.guest_id
    assert again.is_new_guest is False


def test_a_known_guest_is_not_given_a_new_cookie():
    response = HttpResponse()
    guest_cookie_set(response, uuid.uuid4(), secure=False)
    known = viewer_from_request(with_cookie_from(response, anonymous(rf.get("/"))))
    replied = HttpResponse()

    viewer_remember(rf.get("/"), replied, known)

    assert GUEST_COOKIE not in replied.cookies


def test_without_create_guest_an_unknown_guest_has_no_id():
    viewer = viewer_from_request(anonymous(rf.get("/")))

    assert viewer.is_guest
    assert viewer.guest_id is None
    assert viewer.is_new_guest is False


def test_a_tampered_cookie_makes_a_new_guest():
    response = HttpResponse()
    original = uuid.uuid4()
    guest_cookie_set(response, original, secure=False)
    forged_id = uuid.uuid4()
    tampered = response.cookies[GUEST_COOKIE].value.replace(str(original), str(forged_id))
    request = anonymous(rf.get("/"))
    request.COOKIES[GUEST_COOKIE] = tampered

    viewer = viewer_from_request(request, create_guest=True)

    assert viewer.guest_id not in (original, forged_id)
    assert viewer.is_new_guest


def test_an_unsigned_cookie_makes_a_new_guest():
    claimed = uuid.uuid4()
    request = anonymous(rf.get("/"))
    request.COOKIES[GUEST_COOKIE] = str(claimed)

    assert viewer_from_request(request).guest_id is None


def test_a_header_uuid_names_the_guest_and_wins_over_the_cookie():
    response = HttpResponse()
    guest_cookie_set(response, uuid.uuid4(), secure=False)
    from_header = uuid.uuid4()
    request = with_cookie_from(response, anonymous(rf.get("/", HTTP_X_GUEST_SESSION_ID=f" {from_header} ")))

    viewer = viewer_from_request(request, create_guest=True)

    assert viewer.guest_id == from_header
    assert viewer.is_new_guest is False


@pytest.mark.parametrize("value", ["", "not-a-uuid", "1234", "g" * 32, "'; DROP TABLE x; --"])
def test_a_malformed_header_is_refused(value):
    request = anonymous(rf.get("/", HTTP_X_GUEST_SESSION_ID=value))

    with pytest.raises(InvalidGuestSession, match="X-Guest-Session-ID must be a UUID"):
        viewer_from_request(request, create_guest=True)


@pytest.mark.django_db
def test_a_signed_in_user_is_the_viewer_whatever_the_guest_header(user):
    request = rf.get("/", HTTP_X_GUEST_SESSION_ID="not-a-uuid")
    request.user = user

    viewer = viewer_from_request(request, create_guest=True)

    assert viewer.user == user
    assert not viewer.is_guest
    assert viewer.guest_id is None


# --- through DRF ---------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_through_the_api_a_malformed_header_is_a_400_naming_it():
    response = APIClient().get("/viewer", HTTP_X_GUEST_SESSION_ID="nope")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["X-Guest-Session-ID"]
    assert error["message"] == "X-Guest-Session-ID must be a UUID."
    assert error["fields"]["X-Guest-Session-ID"] == ["X-Guest-Session-ID must be a UUID."]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_through_the_api_a_header_guest_is_recognised():
    guest_id = uuid.uuid4()

    body = APIClient().get("/viewer", HTTP_X_GUEST_SESSION_ID=str(guest_id)).json()

    assert body == {"user": None, "guest_id": str(guest_id), "is_new_guest": False}


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_through_the_api_a_browser_guest_keeps_its_id_across_requests():
    client = APIClient()

    first = client.get("/viewer")
    second = client.get("/viewer")

    assert first.json()["is_new_guest"] is True
    assert GUEST_COOKIE in first.cookies
    assert second.json() == {**first.json(), "is_new_guest": False}


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_through_the_api_a_token_user_is_the_viewer(user):
    token = ApiTokenFactory(user=user, scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")

    body = client.get("/viewer", HTTP_X_GUEST_SESSION_ID=str(uuid.uuid4())).json()

    assert body == {"user": user.email, "guest_id": None, "is_new_guest": False}
