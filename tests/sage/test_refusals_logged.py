"""A refusal is the site working as meant: a page form a role does not reach is logged as one line
saying what was refused, not as a traceback (a crash keeps its traceback: test_url_convention)."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from tests.clients import client_in
from tests.factories import MembershipFactory, TeamWorkspaceFactory, VideoFactory
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_a_page_form_a_viewer_may_not_send_is_logged_as_one_line_without_a_traceback(caplog) -> None:
    team = TeamWorkspaceFactory()
    owner = Membership.objects.get(workspace=team, role=Role.OWNER).user
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    viewer = MembershipFactory(workspace=team, role=Role.VIEWER).user
    path = reverse("reviews:video-share-link-create", args=[video.pk])

    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client_in(viewer, team).post(path, {"name": "client"})

    assert response.status_code == 403
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 1
    (record,) = logged
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    assert record.getMessage() == (
        f"Forbidden (Permission denied): {path} "
        "(Only editors of this workspace can do this (upload, compare, chat, share).)"
    )
    assert "Traceback" not in caplog.text
