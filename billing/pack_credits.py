"""A token pack's payment: credited once, from Stripe's own copy, and found again for a refund or dispute.

What is credited is read from Stripe's copy of the PaymentIntent, fetched with the secret key: its
status, the amount it received, and the pack and person its metadata names (metadata only SAGE's
server could have written). A webhook event's body only says which payment to look at. The pack row
says what the payment should have been; the person's wallet, which Stripe customer may pay for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from activity.services import Action, audit_record
from billing.ledger import ledger_grant, wallet_create, wallet_create_for_workspace
from billing.models import PackPurchase, TokenPack, Wallet
from billing.stripe_client import (
    PACK_METADATA_KEY,
    USER_METADATA_KEY,
    WORKSPACE_METADATA_KEY,
    stripe_client,
    stripe_object,
    stripe_ref_id,
)
from workspaces.models import Membership, Role, Workspace


class PaymentMismatch(Exception):
    """A Stripe object SAGE cannot credit as it stands (Stripe has no such payment, or was not paid it;
    an unknown pack or person, a different amount): the event is refused and kept for an operator,
    who can fix the row and re-process it."""


@dataclass(frozen=True)
class PackPayment:
    """A payment for a pack, as Stripe reported it."""

    payment_intent_id: str
    amount: int  # received, in the currency's smallest unit
    currency: str
    metadata: Mapping[str, str]
    customer_id: str


def pack_purchase_credited(payment_intent_id: str) -> bool:
    """Already credited: a replay, or the other event of the same payment (no need to ask Stripe)."""
    return PackPurchase.objects.filter(stripe_payment_intent_id=payment_intent_id).exists()


def paid_intent_on_stripe(payment_intent_id: str) -> dict[str, Any]:
    """Stripe's own copy of the PaymentIntent; PaymentMismatch unless it exists and succeeded."""
    intent = _intent_on_stripe(payment_intent_id)
    if intent.get("status") != "succeeded":
        raise PaymentMismatch(f"Stripe says {payment_intent_id} is {intent.get('status')!r}, not paid.")
    return intent


def _intent_on_stripe(payment_intent_id: str) -> dict[str, Any]:
    return stripe_object(
        stripe_client().v1.payment_intents, payment_intent_id, named="PaymentIntent", refuse=PaymentMismatch
    )


def pack_payment_of(intent: Mapping[str, Any]) -> PackPayment:
    """A succeeded PaymentIntent (Stripe's copy) whose metadata names a pack, as a pack payment."""
    # amount_received is what Stripe took; older API versions (and localstripe) only give `amount`.
    received = intent.get("amount_received")
    return PackPayment(
        payment_intent_id=str(intent["id"]),
        amount=int(received if received is not None else intent.get("amount") or 0),
        currency=str(intent.get("currency") or ""),
        metadata=dict(intent.get("metadata") or {}),
        customer_id=stripe_ref_id(intent.get("customer")),
    )


@transaction.atomic
def pack_purchase_credit(*, payment: PackPayment) -> PackPurchase:
    """Credit a paid pack once per PaymentIntent, however many events report it, in any order."""
    if (
        purchase := PackPurchase.objects.filter(stripe_payment_intent_id=payment.payment_intent_id).first()
    ) is not None:
        return purchase
    pack = _pack_for(payment)
    payer = _wallet_for(payment)
    wallet = _credited_wallet(payment, payer=payer)
    # Two deliveries at once: the second INSERT waits on the unique index for the first to commit,
    # then finds its row (with its grant, committed with it) and credits nothing.
    purchase, created = PackPurchase.objects.get_or_create(
        stripe_payment_intent_id=payment.payment_intent_id,
        defaults={
            "wallet": wallet,
            "pack": pack,
            "tokens": pack.tokens,
            "amount": payment.amount,
            "currency": payment.currency.lower(),
        },
    )
    if created:
        ledger_grant(
            wallet_id=wallet.pk,
            amount=purchase.tokens,
            key=f"stripe:payment_intent:{payment.payment_intent_id}",
            memo=f"Bought {pack.name}",
            ref=purchase,
            actor=payer.user,
        )
        # Credited from a webhook, with no request: recorded in the workspace whose wallet got them.
        audit_record(
            workspace_id=wallet.workspace_id,
            actor=payer.user,
            action=Action.TOKENS_BOUGHT,
            target_label=f"{pack.name} ({purchase.tokens} tokens)",
            details={
                "tokens": purchase.tokens,
                "amount": purchase.amount,
                "currency": purchase.currency,
                "payment_intent": purchase.stripe_payment_intent_id,
            },
        )
    return purchase


def pack_purchase_ensure(payment_intent_id: str) -> bool:
    """Make sure the pack bought by this PaymentIntent is credited before anything is taken back from
    it: a refund or dispute can arrive before the purchase's own event (Stripe promises no order), so
    it is credited here from Stripe's copy of the payment. False if the payment is not a pack's."""
    if pack_purchase_credited(payment_intent_id):
        return True
    intent = _intent_on_stripe(payment_intent_id)
    if PACK_METADATA_KEY not in (intent.get("metadata") or {}) or intent.get("status") != "succeeded":
        return False  # not a pack (an invoice's payment, say), or never paid
    pack_purchase_credit(payment=pack_payment_of(intent))
    return True


def pack_purchase_locked(payment_intent_id: str) -> PackPurchase:
    """The purchase paid by this PaymentIntent, locked for a take-back."""
    # Locked first (then the wallet, in the ledger): take-backs of one payment go one at a time.
    return (
        PackPurchase.objects.select_for_update(of=("self",))
        .select_related("wallet__user")
        .get(stripe_payment_intent_id=payment_intent_id)
    )


def _pack_for(payment: PackPayment) -> TokenPack:
    pack_id = str(payment.metadata.get(PACK_METADATA_KEY, ""))
    pack = TokenPack.objects.filter(pk=int(pack_id)).first() if pack_id.isdigit() else None
    if pack is None:
        raise PaymentMismatch(f"No token pack {pack_id!r} for {payment.payment_intent_id}.")
    if payment.amount != pack.amount or payment.currency.lower() != pack.currency.lower():
        raise PaymentMismatch(
            f"{payment.payment_intent_id} received {payment.amount} {payment.currency}; "
            f"{pack.name} costs {pack.amount} {pack.currency}."
        )
    return pack


def _credited_wallet(payment: PackPayment, *, payer: Wallet) -> Wallet:
    """The wallet a pack's tokens go to: the team workspace's its metadata names, which the payer
    must still be an admin or the owner of; else the payer's own."""
    workspace_id = str(payment.metadata.get(WORKSPACE_METADATA_KEY, ""))
    if not workspace_id or payer.user_id is None:  # a payer's wallet is personal: it has its account
        return payer
    admin = (
        Membership.objects.select_related("workspace")
        .filter(
            workspace_id=int(workspace_id) if workspace_id.isdigit() else 0,
            workspace__kind=Workspace.Kind.TEAM,
            user_id=payer.user_id,
            role__in=(Role.ADMIN, Role.OWNER),
        )
        .first()
    )
    if admin is None:
        raise PaymentMismatch(
            f"{payment.payment_intent_id} is for workspace {workspace_id!r}, where its payer is no admin."
        )
    return wallet_create_for_workspace(workspace=admin.workspace)


def _wallet_for(payment: PackPayment) -> Wallet:
    """The payer's own wallet (whose Stripe customer paid)."""
    user_id = str(payment.metadata.get(USER_METADATA_KEY, ""))
    user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if user is not None:
        wallet = wallet_create(user=user)  # the existing wallet, or a new one for an old account
        if not payment.customer_id:
            return wallet
        # The payment's customer must be this person's: another's customer (or theirs another one)
        # means the metadata and the payer disagree, and no one is credited until an operator looks.
        owner = Wallet.objects.filter(stripe_customer_id=payment.customer_id).values_list("pk", flat=True).first()
        if owner not in (None, wallet.pk) or wallet.stripe_customer_id not in ("", payment.customer_id):
            raise PaymentMismatch(
                f"{payment.payment_intent_id} was paid by customer {payment.customer_id!r}, not by user {user_id}'s."
            )
        if not wallet.stripe_customer_id:
            Wallet.objects.filter(pk=wallet.pk, stripe_customer_id="").update(stripe_customer_id=payment.customer_id)
        return wallet
    if payment.customer_id:
        found = Wallet.objects.select_related("user").filter(stripe_customer_id=payment.customer_id).first()
        if found is not None:
            return found
    raise PaymentMismatch(
        f"No account for {payment.payment_intent_id} (user {user_id!r}, customer {payment.customer_id!r})."
    )
