"""Ownership transfers sent at once (two tabs, a double click, two heirs chosen in two windows): the
workspace row is locked before the sender's role is read, so one transfer wins and the others are
refused as what they now are (the sender is no longer the owner), never a 500 from the database's
one-owner constraint. Real Postgres, one connection per request."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from tests.at_once import at_once
from tests.factories import MembershipFactory, TeamWorkspaceFactory, UserFactory, on_plan
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 4


def test_transfers_at_once_through_the_api_give_one_owner_and_refusals_not_errors() -> None:
    workspace = TeamWorkspaceFactory()
    owner = workspace.created_by
    heirs = [
        MembershipFactory(workspace=workspace, role=Role.EDITOR, user=on_plan(UserFactory(), "team"))
        for _ in range(RACERS)
    ]
    tabs = [Client(raise_request_exception=False) for _ in heirs]  # a crash is a 500 the test sees
    for tab in tabs:
        tab.force_login(owner)

    path = f"/api/v1/workspaces/{workspace.pk}/transfer"
    answers = at_once(
        RACERS, lambda n: tabs[n].post(path, {"user_id": heirs[n].user_id}, content_type="application/json")
    )

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 1, 403: RACERS - 1}
    refused = [answer.json()["error"]["message"] for answer in answers if answer.status_code == 403]
    assert set(refused) == {"Only the owner of this workspace can transfer it."}
    [winner] = [heirs[n].user_id for n, answer in enumerate(answers) if answer.status_code == 200]
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("user_id", "role"))
    assert roles[winner] == Role.OWNER and roles[owner.pk] == Role.ADMIN
    assert list(roles.values()).count(Role.OWNER) == 1


def test_transfers_at_once_from_the_page_say_who_won_and_none_fails() -> None:
    workspace = TeamWorkspaceFactory()
    owner = workspace.created_by
    heirs = [
        MembershipFactory(workspace=workspace, role=Role.EDITOR, user=on_plan(UserFactory(), "team")) for _ in range(2)
    ]
    tabs = [Client(raise_request_exception=False) for _ in heirs]  # a crash is a 500 the test sees
    for tab in tabs:
        tab.force_login(owner)
    page = reverse("workspaces:transfer", args=[workspace.pk])

    answers = at_once(2, lambda n: tabs[n].post(page, {"user_id": heirs[n].user_id}))

    assert [answer.status_code for answer in answers] == [302, 302]
    assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1
    assert Membership.objects.get(workspace=workspace, user=owner).role == Role.ADMIN
