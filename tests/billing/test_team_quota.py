"""Issue 65: a member acting in a team workspace has the team plan's daily chat questions (its
owner's plan, counted per member and team), not their own plan's; their own workspace keeps their own."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.guests import Viewer
from billing.models import Plan
from billing.quota import QuotaExceeded, chat_answer_pay, quota_status
from tests.factories import TeamWorkspaceFactory, team_member
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def ask(user, key: str, *, workspace_id: int | None = None) -> None:
    """One chat answer paid for (its quota counted, its tokens held) where the user asks it."""
    with transaction.atomic():
        chat_answer_pay(
            user=user,
            quota_key=f"q:{key}",
            hold_key=f"h:{key}",
            amount=1,
            ref=user,
            memo="answer",
            workspace_id=workspace_id,
        )


def test_a_member_acting_in_the_team_is_shown_the_team_plans_quota_on_the_api_and_the_chat_page() -> None:
    team = TeamWorkspaceFactory()
    editor = team_member(team, Role.EDITOR)  # on the free plan: 20 a day of their own
    team_plan = Plan.objects.get(slug="team")
    client = Client()
    client.force_login(editor)
    assert client.post(reverse("workspace-switch"), {"workspace": team.pk}).status_code == 302

    billing = client.get("/api/v1/billing").json()
    prices = client.get("/api/v1/prices").json()
    page = client.get(reverse("chat:list")).content.decode()

    assert billing["quota"]["limit"] == team_plan.daily_chat_messages == 1_000
    assert prices["chat_quota"]["limit"] == 1_000
    assert "of 1,000 questions left today" in page


def test_questions_in_the_team_count_on_the_team_quota_and_leave_the_members_own_day_untouched() -> None:
    Plan.objects.filter(slug="free").update(daily_chat_messages=2)
    Plan.objects.filter(slug="team").update(daily_chat_messages=3)
    team = TeamWorkspaceFactory()
    editor = team_member(team, Role.EDITOR)

    for n in range(3):  # more than their own plan's 2
        ask(editor, f"team-{n}", workspace_id=team.pk)
    with pytest.raises(QuotaExceeded) as refused:
        ask(editor, "team-3", workspace_id=team.pk)
    ask(editor, "own-0")  # their own day is still whole
    ask(editor, "own-1")

    assert refused.value.limit == 3
    in_team = quota_status(viewer=Viewer(user=editor, guest_id=None, workspace_id=team.pk))
    own = quota_status(viewer=Viewer(user=editor, guest_id=None, workspace_id=editor.personal_workspace_id))
    assert (in_team.limit, in_team.used) == (3, 3)
    assert (own.limit, own.used) == (2, 2)


def test_each_member_has_the_team_plans_quota_of_their_own() -> None:
    Plan.objects.filter(slug="team").update(daily_chat_messages=2)
    team = TeamWorkspaceFactory()
    editor, commenter = team_member(team, Role.EDITOR), team_member(team, Role.COMMENTER)

    ask(editor, "e0", workspace_id=team.pk)
    ask(editor, "e1", workspace_id=team.pk)
    ask(commenter, "c0", workspace_id=team.pk)  # the editor's two used none of the commenter's

    assert quota_status(viewer=Viewer(user=commenter, guest_id=None, workspace_id=team.pk)).remaining == 1
