"""Token packs: which pack to offer when tokens run out, and buying one on the site.

Which pack to offer for a shortfall is decided once, by `pack_covering`: every refusal for tokens
(a page's message through `buy_offer_for`, the socket's error frame and the API's 402 through
`refusal_details`, the upload rows before any byte is sent and the billing page opened with
`?short=` through `buy_details`/`pack_covering`) names the same pack, so a person is always sent to
the smallest pack that lets the refused work go ahead, and no page script picks one itself.

Buying: the card is saved with a SetupIntent, then charged server-side. The browser never sends an
amount or card data to SAGE. Stripe.js confirms the SetupIntent made here (card data goes straight
to Stripe) and gives back a PaymentMethod id; `pack_purchase_start` charges that payment method the
pack row's amount, tagged with the pack and the person, and the webhook (billing.stripe_events)
credits the tokens once Stripe says the payment succeeded (billing.pack_credits).

Each person's calls here run one at a time under their wallet's row lock: two tabs make one Stripe
Customer, and a double-submitted purchase (same pack, same payment method) makes one charge. The
Stripe idempotency key says the same to Stripe itself (a retried request after a dropped connection
returns the first PaymentIntent); the cache remembers the PaymentIntent for fakes that ignore keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import stripe
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from billing.ledger import (
    InsufficientTokens,
    TokensOwed,
    tokens_lacking_refusal,
    tokens_owed_refusal,
    wallet_create,
)
from billing.models import PackPurchase, TokenPack, Wallet
from billing.money import money
from billing.selectors import may_pay_for, may_see_payments, pack_purchases_for
from billing.shortfalls import ask_for_refusal, refusal_sentence
from billing.stripe_client import (
    PACK_METADATA_KEY,
    USER_METADATA_KEY,
    WORKSPACE_METADATA_KEY,
    PaymentMethodInvalid,
    PaymentRefused,
    card_message,
    payment_failure_reason,
    payment_method_attach_checked,
    payments_configured,
    stripe_client,
    stripe_customer_for,
    stripe_object,
)
from billing.wallets import wallet_locked
from sage.errors import ApplicationError, NotFound
from sage.formatting import video_duration
from workspaces.models import Membership, Workspace

# How long a purchase request is remembered by its idempotency key (Stripe keeps keys 24 hours).
PURCHASE_MEMORY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    publishable_key: str


@dataclass(frozen=True)
class PurchaseStarted:
    payment_intent_id: str
    status: str  # Stripe's PaymentIntent status: succeeded, processing, requires_action, …
    client_secret: str | None  # only when the browser must act (3-D Secure)


@dataclass(frozen=True)
class PaymentResult:
    """What the result page says about one PaymentIntent."""

    payment_intent_id: str
    state: str  # "paid" (credited), "waiting" (Stripe has not confirmed, or the webhook not come), "failed"
    tokens: int
    pack_name: str
    message: str


def card_setup_start(*, user: User) -> CardSetup:
    """A SetupIntent for the person's customer; Stripe.js confirms it with the card entered."""
    customer_id = stripe_customer_for(user)
    setup = stripe_client().v1.setup_intents.create(params={"customer": customer_id})
    return CardSetup(client_secret=str(setup.client_secret), publishable_key=str(settings.STRIPE_PUBLISHABLE_KEY))


def pack_for_sale(pack_id: int) -> TokenPack:
    pack = TokenPack.objects.filter(pk=pack_id, is_active=True).first()
    if pack is None:
        raise NotFound("No such token pack.")
    return pack


class TeamPurchaseRefused(ApplicationError):
    code = "permission_denied"
    status = 403
    default_message = "Only the owner and admins of this team workspace can buy tokens for it."


def pack_buyer_team(membership: Membership) -> int | None:
    """The team workspace a pack bought through `membership` (the request's) is for: its workspace,
    when it is a team's (those who `may_pay_for` it only: TeamPurchaseRefused for other members);
    None: the buyer's own wallet."""
    if membership.workspace.kind != Workspace.Kind.TEAM:
        return None
    if not may_pay_for(membership.actor()):
        raise TeamPurchaseRefused()
    return membership.workspace_id


def pack_purchase_start(
    *, user: User, pack: TokenPack, payment_method_id: str, return_url: str, team_id: int | None = None
) -> PurchaseStarted:
    """Charge `payment_method_id` (a card of this person's customer) the pack's price, once, for
    their own wallet or team workspace `team_id`'s (see `pack_buyer_team`). `return_url`: where
    Stripe sends the browser back after a redirect-based authentication."""
    if not payment_method_id.startswith("pm_"):
        raise PaymentMethodInvalid()
    customer_id = stripe_customer_for(user)
    client = stripe_client()
    key = f"sage-pack-{user.pk}-{pack.pk}-{payment_method_id}-{team_id or 'own'}"
    with transaction.atomic():
        wallet_create(user=user)  # an old account may have none yet
        wallet_locked(user_id=user.pk)  # one purchase request of this person at a time (see the module doc)
        if remembered := cache.get(key):
            intent = client.v1.payment_intents.retrieve(str(remembered))
        else:
            payment_method_attach_checked(client, customer_id=customer_id, payment_method_id=payment_method_id)
            intent = _charge(
                client,
                user=user,
                pack=pack,
                customer_id=customer_id,
                pm=payment_method_id,
                key=key,
                back=return_url,
                team_id=team_id,
            )
            cache.set(key, intent.id, PURCHASE_MEMORY_SECONDS)
    return _started(intent)


def _charge(
    client: stripe.StripeClient,
    *,
    user: User,
    pack: TokenPack,
    customer_id: str,
    pm: str,
    key: str,
    back: str,
    team_id: int | None,
) -> stripe.PaymentIntent:
    metadata = {PACK_METADATA_KEY: str(pack.pk), USER_METADATA_KEY: str(user.pk)}
    if team_id is not None:
        metadata[WORKSPACE_METADATA_KEY] = str(team_id)  # credited to the team's wallet (billing.pack_credits)
    params: dict[str, Any] = {
        "amount": pack.amount,
        "currency": pack.currency,
        "customer": customer_id,
        "payment_method": pm,
        "confirm": True,
        "metadata": metadata,
    }
    if not settings.STRIPE_API_BASE:
        # Stripe asks for a return_url when it confirms a payment whose methods may redirect; the
        # local fake (STRIPE_API_BASE, localstripe) refuses any parameter it does not know.
        params["return_url"] = back
    try:
        return client.v1.payment_intents.create(params=params, options={"idempotency_key": key})  # type: ignore[arg-type]
    except stripe.CardError as exc:
        raise PaymentRefused(card_message(exc)) from None


def _started(stripe_intent: stripe.PaymentIntent) -> PurchaseStarted:
    intent = stripe_intent.to_dict()
    status = str(intent.get("status"))
    if status == "requires_payment_method":  # declined while confirming, without a CardError
        reason = payment_failure_reason(intent, "Your card was declined.")
        raise PaymentRefused(f"{reason} Nothing was charged; try another card.")
    return PurchaseStarted(
        payment_intent_id=str(intent["id"]),
        status=status,
        client_secret=str(intent.get("client_secret")) if status == "requires_action" else None,
    )


# How long what Stripe said of a payment not yet credited is trusted before it is asked again: the
# result page asks on load, when the page's script starts and on every balance event of the
# workspace (a busy team's come often); once the webhook has credited the pack, its row answers.
STRIPE_PAYMENT_RECHECK_SECONDS = 10
# A payment Stripe said failed stays failed (a new attempt is a new PaymentIntent).
STRIPE_PAYMENT_FAILED_SECONDS = PURCHASE_MEMORY_SECONDS
_FAILED_STATUSES = ("requires_payment_method", "canceled")


@dataclass(frozen=True)
class _PaymentOnStripe:
    """What SAGE needs of a PaymentIntent not yet credited: whose it is, for what, how it stands."""

    payer_id: str  # the account that paid (metadata)
    workspace_id: str  # the team workspace it is for (metadata), "" for the payer's own
    pack_id: int
    failed: str  # why it failed, "" while it has not
    amount: int
    currency: str


def _payment_on_stripe(payment_intent_id: str) -> _PaymentOnStripe:
    """Stripe's copy of an uncredited payment, asked at most once per STRIPE_PAYMENT_RECHECK_SECONDS
    (kept longer once failed); NotFound for one Stripe does not have."""
    key = f"stripe-payment:{payment_intent_id}"
    if (known := cache.get(key)) is not None:
        return _PaymentOnStripe(**known)
    intent = stripe_object(
        stripe_client().v1.payment_intents, payment_intent_id, named="PaymentIntent", refuse=lambda _: NotFound()
    )
    metadata = intent.get("metadata") or {}
    pack_id = str(metadata.get(PACK_METADATA_KEY, ""))
    failed = intent.get("status") in _FAILED_STATUSES
    payment = _PaymentOnStripe(
        payer_id=str(metadata.get(USER_METADATA_KEY, "")),
        workspace_id=str(metadata.get(WORKSPACE_METADATA_KEY, "")),
        pack_id=int(pack_id) if pack_id.isdigit() else 0,
        failed=payment_failure_reason(intent, "The payment did not go through.") if failed else "",
        amount=int(intent.get("amount") or 0),
        currency=str(intent.get("currency") or "usd"),
    )
    cache.set(key, asdict(payment), STRIPE_PAYMENT_FAILED_SECONDS if failed else STRIPE_PAYMENT_RECHECK_SECONDS)
    return payment


def _pays_into(membership: Membership, payment: _PaymentOnStripe) -> bool:
    """Whether `payment` is for `membership`'s workspace and the member may see its payments: a
    team's names the team; one's own names no workspace, and its payer must be the member."""
    if not may_see_payments(membership.actor()):
        return False
    if payment.workspace_id:
        return payment.workspace_id == str(membership.workspace_id)
    user = membership.user
    return payment.payer_id == str(user.pk) and membership.workspace_id == user.personal_workspace_id


def _credited(membership: Membership, payment_intent_id: str) -> PackPurchase | None:
    """The purchase the webhook credited for that PaymentIntent, when it is `membership`'s workspace's
    to see; NotFound when it was credited to another wallet."""
    purchase = (
        PackPurchase.objects.select_related("pack", "wallet").filter(stripe_payment_intent_id=payment_intent_id).first()
    )
    if purchase is None:
        return None
    if purchase.wallet.workspace_id != membership.workspace_id or not may_see_payments(membership.actor()):
        raise NotFound()
    return purchase


def payment_result_for_member(*, membership: Membership, payment_intent_id: str) -> PaymentResult:
    """How a payment into `membership`'s workspace's wallet stands; NotFound for another workspace's,
    a member who may not pay for this one, or no such payment. Read from the row the webhook writes
    once credited; before, from Stripe (`_payment_on_stripe`: not on every poll)."""
    if (purchase := _credited(membership, payment_intent_id)) is not None:
        return _paid(purchase)
    if not payment_intent_id.startswith("pi_"):
        raise NotFound()
    payment = _payment_on_stripe(payment_intent_id)
    if not _pays_into(membership, payment):
        raise NotFound()
    pack = TokenPack.objects.filter(pk=payment.pack_id).first()
    tokens, name = (pack.tokens, pack.name) if pack is not None else (0, "token pack")
    if payment.failed:
        return PaymentResult(payment_intent_id, "failed", tokens, name, f"{payment.failed} Nothing was charged.")
    # The webhook may have credited it between the two reads above.
    if (purchase := _credited(membership, payment_intent_id)) is not None:
        return _paid(purchase)
    return PaymentResult(payment_intent_id, "waiting", tokens, name, "Waiting for Stripe to confirm the payment…")


def _paid(purchase: PackPurchase) -> PaymentResult:
    name = purchase.pack.name if purchase.pack is not None else "token pack"
    return PaymentResult(
        purchase.stripe_payment_intent_id, "paid", purchase.tokens, name, f"Paid: {purchase.tokens:,} tokens added."
    )


@dataclass(frozen=True)
class PackOffer:
    """A pack on sale as the billing page shows it: its price, the video time it buys, where to buy it."""

    pack: TokenPack

    @property
    def price(self) -> str:
        return money(self.pack.amount, self.pack.currency)

    @property
    def video_time(self) -> str:
        return video_duration(self.pack.tokens)

    @property
    def buy_url(self) -> str:
        return reverse("billing:pack-buy", args=[self.pack.pk])


def pack_offers() -> list[PackOffer]:
    """The packs on sale as the billing page lists them, in the operators' order (sort_order): a
    list to choose from; which one to offer for a shortfall is pack_covering's."""
    return [PackOffer(pack=pack) for pack in TokenPack.objects.filter(is_active=True)]


# --- the pack to offer when tokens run out ------------------------------------------------------


def tokens_short(exc: InsufficientTokens) -> int:
    """Tokens to buy before the refused work can go ahead. What is owed is paid off first by any
    credit, so it is short as well as what the balance lacks."""
    lacking = max(exc.needed - exc.available, 0)
    if isinstance(exc, TokensOwed):
        return exc.owed + lacking
    return lacking


def packs_on_sale() -> list[TokenPack]:
    """The packs on sale, smallest first (cheapest among equals): the order `pack_covering` picks in."""
    return sorted(TokenPack.objects.filter(is_active=True), key=lambda pack: (pack.tokens, pack.amount, pack.pk))


def pack_covering(shortfall: int) -> TokenPack | None:
    """The smallest pack on sale that covers `shortfall` (cheapest among equals); when none does,
    the largest one. None when nothing is on sale."""
    packs = packs_on_sale()
    if not packs:
        return None
    if covering := next((pack for pack in packs if pack.tokens >= shortfall), None):
        return covering
    return max(packs, key=lambda pack: (pack.tokens, -pack.amount, -pack.pk))


@dataclass(frozen=True)
class BuyOffer:
    """What a refusal offers: the shortfall, the pack to buy (None: nothing on sale, or payments
    off) and the billing page's address that opens that pack's payment (a path)."""

    needed: int
    available: int
    owed: int
    shortfall: int
    pack: TokenPack | None
    url: str

    @property
    def covers(self) -> bool:
        return self.pack is not None and self.pack.tokens >= self.shortfall


def buy_path(pack: TokenPack | None, *, shortfall: int) -> str:
    """The billing page opened on `pack`'s payment (`?pack=`), or on its "Buy tokens" section, or
    (payments off) on the page itself, where plans and the balance are."""
    billing = reverse("billing:billing")
    if not payments_configured():
        return billing
    if pack is None:
        return f"{billing}#buy-tokens"
    return f"{billing}?pack={pack.pk}&short={shortfall}#buy-tokens"


def buy_offer_for(exc: InsufficientTokens) -> BuyOffer:
    shortfall = tokens_short(exc)
    pack = pack_covering(shortfall) if payments_configured() else None
    return BuyOffer(
        needed=exc.needed,
        available=exc.available,
        owed=exc.owed if isinstance(exc, TokensOwed) else 0,
        shortfall=shortfall,
        pack=pack,
        url=buy_path(pack, shortfall=shortfall),
    )


def buy_details(shortfall: int) -> dict[str, Any]:
    """What every offer to buy sends a page, for `shortfall` tokens: with payments on, `buy_url` (a
    path) to the pack that covers it and `buy_pack`, that pack as a person reads it (name, tokens,
    price), so a page can name it; nothing without payments. A refusal's error (the API's 402, the
    socket's frame) carries it, and so does the offer the upload rows ask for before any byte is
    sent (billing.views.buy_offer), so the page's script never picks a pack itself."""
    if not payments_configured():
        return {}
    pack = pack_covering(shortfall)
    details: dict[str, Any] = {"buy_url": buy_path(pack, shortfall=shortfall)}
    if pack is not None:
        details["buy_pack"] = {"name": pack.name, "tokens": pack.tokens, "price": money(pack.amount, pack.currency)}
    return details


def refusal_details(exc: InsufficientTokens) -> dict[str, Any]:
    """What a refusal for tokens adds to its error (the API's 402 body, the socket's error frame):
    the figures and buy_details' offer for what is short; to a team member who may not buy, no
    offer but whom to ask (`ask`, and a `message` saying so: billing.shortfalls)."""
    shortfall = tokens_short(exc)
    owed = exc.owed if isinstance(exc, TokensOwed) else 0
    figures = {"needed": exc.needed, "available": exc.available, "owed": owed, "short": shortfall}
    if (ask := ask_for_refusal(exc)) is not None:
        return {"tokens": figures, "message": refusal_sentence(exc, ask), "ask": ask.details()}
    return {"tokens": figures, **buy_details(shortfall)}


def payment_amount_for_member(*, membership: Membership, payment_intent_id: str) -> str | None:
    """What one of the workspace's payments is for, as people read it ("$4.99"): what Stripe received
    once credited, else what the PaymentIntent asks (the caller has checked the member may see it).
    None if Stripe cannot say just now."""
    purchase = pack_purchases_for(membership).filter(stripe_payment_intent_id=payment_intent_id).first()
    if purchase is not None:
        return money(purchase.amount, purchase.currency)
    try:
        payment = _payment_on_stripe(payment_intent_id)
    except (stripe.StripeError, NotFound):
        return None
    return money(payment.amount, payment.currency)


def payment_refusal(*, wallet: Wallet, amount: int, actor_id: int | None = None) -> InsufficientTokens | None:
    """Why the wallet's owner could not pay `amount` tokens now (TokensOwed, InsufficientTokens), or
    None. Only a look: nothing is held. Work that can be refused before it costs anything (an upload,
    before its bytes are sent) asks this first; its hold later still decides under the lock. The
    caller passes the wallet it already read (an upload reads it for the plan's limits too)."""
    if wallet.tokens_owed > 0:
        return tokens_owed_refusal(wallet, needed=amount, actor_id=actor_id)
    if wallet.balance < amount:
        return tokens_lacking_refusal(wallet, needed=amount, actor_id=actor_id)
    return None
