"""A team's pack purchases are the team's, as its ledger is: their receipts, payment pages and the
payments list are for the team's owner and admins (whichever of them paid), not for its other members
nor for anyone acting in another workspace; and a payment page answers from what the webhook stored,
not by asking Stripe on every poll."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from django.urls import reverse

from accounts.models import User
from billing.models import PackPurchase, TokenPack
from billing.stripe_client import PACK_METADATA_KEY, USER_METADATA_KEY, WORKSPACE_METADATA_KEY
from tests.billing.stripe_fake import deliver, event_from_fake, paid_pack_intent
from tests.clients import client_in
from tests.factories import MembershipFactory, TeamWorkspaceFactory, TokenPackFactory, empty_wallet_user
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: asking Stripe would answer 503


def team_pack_intent(client: stripe.StripeClient, *, payer: User, team: Workspace, pack: TokenPack) -> dict[str, Any]:
    """A pack for `team` paid by card on the fake, as billing.packs charges it for an admin acting in the team."""
    card = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    metadata = {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(payer.pk), WORKSPACE_METADATA_KEY: str(team.pk)}
    params: dict[str, Any] = {
        "amount": pack.amount,
        "currency": pack.currency,
        "payment_method": card.id,
        "confirm": True,
        "metadata": metadata,
    }
    intent = client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]  # as billing.packs does
    assert intent.status == "succeeded", intent.status
    return intent.to_dict()


def credited(client: stripe.StripeClient, intent: dict[str, Any]) -> PackPurchase:
    assert deliver(event_from_fake(client, type="payment_intent.succeeded", object_id=intent["id"])).status_code == 200
    return PackPurchase.objects.get(stripe_payment_intent_id=intent["id"])


def test_a_teams_pack_has_a_receipt_for_its_owner_and_admins_and_for_nobody_else(stripe_fake) -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    owner = team.created_by
    admin, editor, viewer = (
        MembershipFactory(workspace=team, role=role).user for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER)
    )
    other_team = TeamWorkspaceFactory()
    pack = TokenPackFactory(name="Evening pack", tokens=1200, amount=499)
    purchase = credited(stripe_fake, team_pack_intent(stripe_fake, payer=admin, team=team, pack=pack))
    assert purchase.wallet.workspace_id == team.pk and purchase.wallet.user is None
    receipt = reverse("billing:receipt", kwargs={"kind": "pack", "pk": purchase.pk})
    by_payment = reverse("billing:receipt-for-payment", args=[purchase.stripe_payment_intent_id])

    for person in (owner, admin):  # the admin who paid, and the owner who did not
        browser = client_in(person, team)
        page = browser.get(receipt)
        assert page.status_code == 200, person
        html = page.content.decode()
        assert "Evening pack: 1,200 tokens" in html and "Northlight (team)" in html
        assert browser.get(by_payment)["Location"] == receipt
        for listing in (reverse("billing:invoices"), reverse("billing:billing")):
            assert f'href="{receipt}"' in browser.get(listing).content.decode(), (person, listing)

    for person in (editor, viewer):
        browser = client_in(person, team)
        assert browser.get(receipt).status_code == 404, person
        assert browser.get(by_payment).status_code == 404, person
        assert browser.get(reverse("billing:invoices")).status_code == 403, person
    # Acting in another workspace, the team's payments are not theirs to see there.
    assert client_in(admin).get(receipt).status_code == 404
    assert receipt not in client_in(admin).get(reverse("billing:invoices")).content.decode()
    assert client_in(other_team.created_by, other_team).get(receipt).status_code == 404


def test_a_teams_paid_pack_page_answers_from_the_stored_purchase_not_from_stripe(stripe_fake, settings) -> None:
    team = TeamWorkspaceFactory()
    editor = MembershipFactory(workspace=team, role=Role.EDITOR).user
    pack = TokenPackFactory(name="Evening pack", tokens=700, amount=499)
    purchase = credited(stripe_fake, team_pack_intent(stripe_fake, payer=team.created_by, team=team, pack=pack))
    result_url = reverse("billing:payment-result", args=[purchase.stripe_payment_intent_id])
    settings.STRIPE_API_BASE = UNREACHABLE

    polls = [client_in(team.created_by, team).get(result_url, headers={"Accept": "application/json"}) for _ in range(3)]

    assert [poll.status_code for poll in polls] == [200, 200, 200]
    assert {poll.json()["state"] for poll in polls} == {"paid"}
    assert "Paid: 700 tokens added." in client_in(team.created_by, team).get(result_url).content.decode()
    assert client_in(editor, team).get(result_url).status_code == 404
    assert client_in(team.created_by).get(result_url).status_code == 404  # acting in their own workspace


def test_a_payment_page_waiting_for_the_webhook_asks_stripe_once_not_on_every_poll(stripe_fake, settings) -> None:
    user = empty_wallet_user()
    intent = paid_pack_intent(stripe_fake, user=user, pack=TokenPackFactory(name="Starter pack", tokens=3_600))
    browser = client_in(user)
    result_url = reverse("billing:payment-result", args=[intent["id"]])
    first = browser.get(result_url, headers={"Accept": "application/json"})
    settings.STRIPE_API_BASE = UNREACHABLE  # a poll that asked Stripe now would get 503

    polls = [browser.get(result_url, headers={"Accept": "application/json"}) for _ in range(5)]

    assert first.json()["state"] == "waiting"
    assert [poll.status_code for poll in polls] == [200] * 5
    assert {poll.json()["state"] for poll in polls} == {"waiting"}
    assert client_in(empty_wallet_user()).get(result_url).status_code == 404  # someone else's, from what is known
