"""Issue 65: with a team's wallet low, a member who may not buy tokens (editor, commenter, viewer) is
never offered a pack: they are told to ask the team's owner and admins, by name, and those are told
(an e-mail, and a notice on the team's billing page), once per shortfall. Owners and admins keep the
offer to buy."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from billing.ledger import InsufficientTokens, ledger_debit, ledger_grant
from billing.models import TeamShortfall, Wallet
from billing.views import insufficient_tokens_message
from tests.factories import TeamWorkspaceFactory, TokenPackFactory, UserFactory
from workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db

UPLOAD = {"filename": "cut.mp4", "size": 1000, "duration_seconds": 60}  # 60 tokens


@pytest.fixture
def payments_on(settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_sage"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_sage"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_sage"
    TokenPackFactory(name="Starter", tokens=100, amount=499)


@pytest.fixture
def studio(payments_on):
    """“Northlight”, its wallet down to 10 tokens: Olivia owns it, Adam is an admin, Eve an editor."""
    olivia = UserFactory(email="olivia@example.com", display_name="Olivia")
    team = TeamWorkspaceFactory(name="Northlight", created_by=olivia)
    adam = UserFactory(email="adam@example.com", display_name="Adam")
    eve = UserFactory(email="eve@example.com", display_name="Eve")
    Membership.objects.create(workspace=team, user=adam, role=Role.ADMIN)
    Membership.objects.create(workspace=team, user=eve, role=Role.EDITOR)
    balance = Wallet.objects.get(workspace=team).balance
    ledger_debit(user=olivia, amount=balance - 10, key="drain", memo="spent", workspace_id=team.pk)
    return team, olivia, adam, eve


def acting_in(user, team) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post(reverse("workspace-switch"), {"workspace": team.pk}).status_code == 302
    return client


def test_an_editor_refused_for_tokens_is_told_whom_to_ask_and_offered_no_pack(studio) -> None:
    team, _olivia, _adam, eve = studio

    refused = acting_in(eve, team).post("/api/v1/uploads", UPLOAD, content_type="application/json")

    assert refused.status_code == 402, refused.content
    error = refused.json()["error"]
    assert error["code"] == "insufficient_tokens"
    assert "buy_url" not in error and "buy_pack" not in error
    assert error["ask"] == [{"name": "Olivia", "role": "owner"}, {"name": "Adam", "role": "admin"}]
    assert error["message"] == (
        "This needs 60 tokens but the team workspace “Northlight” has 10. Only the owner and admins of "
        "“Northlight” can buy tokens for it: ask Olivia (owner) or Adam (admin); they have been told."
    )
    assert error["tokens"]["short"] == 50


def test_the_owner_and_admins_are_told_once_per_shortfall_and_again_after_tokens_are_added(studio) -> None:
    team, olivia, _adam, eve = studio
    as_eve = acting_in(eve, team)

    for _ in range(3):  # three refusals, one shortfall
        assert as_eve.post("/api/v1/uploads", UPLOAD, content_type="application/json").status_code == 402

    assert len(mail.outbox) == 1
    told = mail.outbox[0]
    assert sorted(told.to) == ["adam@example.com", "olivia@example.com"]
    assert "Northlight" in told.subject
    assert "Eve (editor)" in told.body and "needs 60 tokens" in told.body and "has 10" in told.body
    notice = acting_in(olivia, team).get(reverse("billing:billing")).content.decode()
    assert 'id="team-shortfall"' in notice and "Eve (editor)" in notice

    wallet_id = Wallet.objects.get(workspace=team).pk
    ledger_grant(amount=20, key="topped-up", memo="pack", wallet_id=wallet_id)  # 30: still short
    assert as_eve.post("/api/v1/uploads", UPLOAD, content_type="application/json").status_code == 402

    assert len(mail.outbox) == 2  # a new shortfall after the credit
    assert TeamShortfall.objects.filter(wallet__workspace=team).count() == 2


def test_owners_and_admins_still_get_the_buy_link(studio) -> None:
    team, olivia, adam, _eve = studio

    for buyer in (olivia, adam):
        refused = acting_in(buyer, team).post("/api/v1/uploads", UPLOAD, content_type="application/json")
        error = refused.json()["error"]
        assert refused.status_code == 402
        assert error["buy_url"].endswith("#buy-tokens") and error["buy_pack"]["name"] == "Starter"
        assert "ask" not in error

    assert mail.outbox == []  # a buyer refused is not a shortfall to report
    assert not TeamShortfall.objects.exists()


def test_the_pages_sentence_and_the_upload_rows_offer_name_whom_to_ask(studio) -> None:
    team, olivia, _adam, eve = studio
    commenter = UserFactory(display_name="Cleo")
    Membership.objects.create(workspace=team, user=commenter, role=Role.COMMENTER)
    refusal = InsufficientTokens(needed=60, available=10, team_id=team.pk, actor_id=commenter.pk)

    shown = str(insufficient_tokens_message(refusal))
    offer = acting_in(eve, team).get(reverse("billing:buy-offer"), {"short": 50}).json()
    own = str(
        insufficient_tokens_message(InsufficientTokens(needed=60, available=10, team_id=team.pk, actor_id=olivia.pk))
    )

    assert "Buy" not in shown and "href" not in shown
    assert "ask Olivia (owner) or Adam (admin)" in shown
    assert "buy_url" not in offer and offer["ask"][0] == {"name": "Olivia", "role": "owner"}
    assert "ask Olivia (owner) or Adam (admin)" in offer["message"]
    assert "Buy Starter" in own
