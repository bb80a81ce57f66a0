"""One plan, one grant (issue 52): a Team-plan owner's monthly tokens go to their first team workspace
only; a second team they make gets none, and its billing page says where they go. When the first is
deleted or given away, the next one is granted from the next month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from billing.ledger import grant_monthly_tokens
from billing.models import LedgerEntry, Plan, Wallet
from billing.selectors import month_start
from tests.clients import client_in as browser_of
from tests.factories import MembershipFactory, UserFactory, on_plan
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def created_team(browser: Client, name: str) -> Workspace:
    made = browser.post(reverse("workspaces:create"), {"name": name})
    assert made.status_code == 302, made.content
    return Workspace.objects.get(name=name)


def grants_of(team: Workspace) -> int:
    return LedgerEntry.objects.filter(wallet__workspace=team, kind=LedgerEntry.Kind.GRANT).count()


def test_a_second_team_of_one_owner_gets_no_grant_and_its_page_says_where_it_goes() -> None:
    owner = on_plan(UserFactory(), "team")
    monthly = Plan.objects.get(slug="team").monthly_tokens
    browser = browser_of(owner)

    first = created_team(browser, "Northlight")
    second = created_team(browser, "Side project")

    assert Wallet.objects.get(workspace=first).balance == monthly
    assert Wallet.objects.get(workspace=second).balance == 0
    page = browser_of(owner, second).get(reverse("billing:billing")).content.decode()
    assert "gives its monthly tokens once, to their first team workspace, “Northlight”" in page
    assert "team-grant-elsewhere" not in browser_of(owner, first).get(reverse("billing:billing")).content.decode()
    editor = MembershipFactory(workspace=second, role=Role.EDITOR).user
    assert "“Northlight”" in browser_of(editor, second).get(reverse("billing:billing")).content.decode()

    # Next month: the first team alone is granted again.
    grant_monthly_tokens(now=month_start() + dt.timedelta(days=40))
    assert (grants_of(first), grants_of(second)) == (2, 0)


def test_when_the_first_team_is_given_away_the_owners_next_team_is_granted() -> None:
    owner = on_plan(UserFactory(), "team")
    browser = browser_of(owner)
    first, second = created_team(browser, "Northlight"), created_team(browser, "Side project")
    heir = on_plan(MembershipFactory(workspace=first, role=Role.ADMIN).user, "team")

    given = browser.post(reverse("workspaces:transfer", args=[first.pk]), {"user_id": heir.pk})
    assert given.status_code == 302 and Membership.objects.get(workspace=first, role=Role.OWNER).user_id == heir.pk
    grant_monthly_tokens(now=month_start() + dt.timedelta(days=40))

    # Both are now first teams: Northlight its new owner's, Side project the old owner's.
    assert (grants_of(first), grants_of(second)) == (2, 1)
