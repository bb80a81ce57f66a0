"""A refused page form (a viewer pressing what they may not use, from an old page or a crafted
request) answers 403 with the policy's sentence and a way back to the page it came from, never a
bare page that sends them to the start (and never back to another site)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import client_in
from tests.factories import MembershipFactory, TeamWorkspaceFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def a_viewer() -> Client:
    studio = TeamWorkspaceFactory(name="Studio")
    viewer = MembershipFactory(workspace=studio, role=Role.VIEWER).user
    return client_in(viewer, studio)


def test_a_refused_form_says_why_and_leads_back_to_its_page() -> None:
    viewer = a_viewer()
    library = "http://testserver" + reverse("videos:library")

    refused = viewer.post(reverse("videos:project_create"), {"name": "Mine"}, headers={"referer": library})

    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Not allowed" in page and "You may not do this." not in page  # the policy's own sentence
    assert f'href="{library}">Back to the page you were on</a>' in page


def test_a_referer_from_elsewhere_is_not_offered_as_the_way_back() -> None:
    refused = a_viewer().post(
        reverse("videos:project_create"), {"name": "Mine"}, headers={"referer": "https://evil.example/phish"}
    )

    assert refused.status_code == 403 and "evil.example" not in refused.content.decode()
