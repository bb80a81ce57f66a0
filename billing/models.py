"""Plans, wallets, holds and the append-only token ledger.

1 token = 1 second of processed video. A wallet's balance always equals the sum of its ledger
entries; tokens move only through `billing.ledger`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Plan(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=50)
    monthly_tokens = models.PositiveIntegerField(help_text="Tokens granted at the start of each calendar month (UTC).")
    price_cents = models.PositiveIntegerField(
        default=0, help_text="Monthly price in the smallest currency unit, as the Stripe price charges it."
    )
    currency = models.CharField(max_length=3, default="usd", help_text="ISO code, lower case (usd, eur…).")
    # The recurring Stripe Price (price_…) or Plan (plan_…) a subscription to this plan is billed at;
    # blank: not sold through Stripe (the free plan, or payments not set up).
    stripe_price_id = models.CharField(max_length=255, blank=True)
    daily_chat_messages = models.PositiveIntegerField(help_text="Chat questions per UTC day.")
    max_video_seconds = models.PositiveIntegerField(help_text="Longest video that may be processed.")
    max_upload_bytes = models.BigIntegerField(help_text="Largest file that may be uploaded.")
    storage_quota_bytes = models.BigIntegerField(help_text="Total size of all stored videos.")
    # Members plus pending invitations a team workspace owned on this plan may have; a plan with one
    # seat cannot have team workspaces (workspaces.services).
    seats = models.PositiveSmallIntegerField(default=1, help_text="People a team workspace on this plan may hold.")
    is_default = models.BooleanField(default=False, help_text="The plan new accounts start on.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_plan"),
        ]

    def __str__(self) -> str:
        return self.name


class Wallet(models.Model):
    """The tokens of one workspace (issue 52): work done in a workspace is paid from its wallet,
    whoever of its members did it.

    `user` is the account whose personal wallet this is, and null for a team workspace's: a team
    workspace's owner changes by a transfer and their own wallet stays theirs, so the owner is read
    from the workspace's memberships rather than kept here a second time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="wallet"
    )
    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="wallet")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="wallets")
    # Tokens free to spend. Tokens on hold have already left the balance (see Hold).
    balance = models.BigIntegerField(default=0)
    # First day of the calendar month whose grant was last given.
    period_start = models.DateField(null=True, blank=True)
    # The Stripe customer this person pays as (set when they first pay); webhooks find them by it.
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    # Tokens taken back by refunds and disputes that had already been spent: the balance never goes
    # below zero, so they are owed instead, paid off first by the next tokens credited, and while any
    # are owed no new paid work starts.
    tokens_owed = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_not_negative"),
            models.CheckConstraint(condition=Q(tokens_owed__gte=0), name="wallet_tokens_owed_not_negative"),
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~Q(stripe_customer_id=""),
                name="one_wallet_per_stripe_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"Wallet of {self.holder}"

    @property
    def holder(self) -> str:
        """Whose tokens these are, as operators and receipts name them: the account's e-mail, or the
        team workspace's name."""
        return self.user.email if self.user is not None else f"{self.workspace.name} (team)"


class Hold(models.Model):
    """Tokens reserved for work in progress: settled at the actual cost, or released in full."""

    class Status(models.TextChoices):
        OPEN = "open", "On hold"
        SETTLED = "settled", "Settled"
        RELEASED = "released", "Released"

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="holds")
    # Who started the work (its settle or release is theirs too); null once their account is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.PositiveBigIntegerField()
    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    settled_amount = models.PositiveBigIntegerField(null=True, blank=True)
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    # The video the work was about: the one processed, or the one a chat answer or an AI note is about
    # (their `ref` is the message or the note). A team's usage is summed per video and per project by
    # it. An id, not a foreign key: billing sits below videos, and the ledger outlives the video.
    about_video = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["wallet", "status"])]

    def __str__(self) -> str:
        return f"Hold {self.key} ({self.amount} tokens, {self.status})"


class LedgerQuerySet(models.QuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The ledger is append-only: entries cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The ledger is append-only: entries cannot be deleted.")


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        HOLD = "hold", "Hold"
        SETTLE = "settle", "Settle"
        RELEASE = "release", "Release"
        DEBIT = "debit", "Debit"
        ADJUSTMENT = "adjustment", "Adjustment"

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="entries")
    # Who spent (or was given) the tokens: a team wallet's usage is summed per member by it. Null for
    # what nobody in particular did (monthly grants, webhooks), and once the account is deleted: the
    # one change an entry ever sees, so that deleting a member forgets them and not the team's usage.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Signed: what this entry did to the balance.
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Deleting an account deletes its wallet, holds and ledger together; nothing else deletes them.
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    ref_type = models.CharField(max_length=30, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[LedgerQuerySet] = LedgerQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["wallet", "-created_at"])]
        constraints = [models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d} ({self.idempotency_key})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("The ledger is append-only: entries cannot be changed.")
        # Always an INSERT: a new instance given an existing row's pk would otherwise UPDATE that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The ledger is append-only: entries cannot be deleted.")


class QuotaCounter(models.Model):
    """Chat messages used by one user or guest on one UTC day."""

    # "user:<id>" (a person in their own workspace), "member:<workspace id>:<id>" (in a team's),
    # "guest:<uuid>" or "address:<address>"
    owner_key = models.CharField(max_length=60)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner_key", "day"], name="one_quota_counter_per_day")]

    def __str__(self) -> str:
        return f"{self.owner_key} on {self.day}: {self.used}"


class QuotaUse(models.Model):
    """One counted use, by key (e.g. the message id), so a replay is counted once."""

    counter = models.ForeignKey(QuotaCounter, on_delete=models.CASCADE, related_name="uses")
    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class TeamShortfall(models.Model):
    """A team workspace's wallet found short for a member who may not buy tokens (issue 65): its
    owner and admins are told once per shortfall, not per refusal. A shortfall lasts from the first
    such refusal until tokens are next credited to the wallet (a pack, a grant, an operator's
    adjustment): `since_entry` is the last credit before it, so a refusal after the next credit
    is a new shortfall."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="shortfalls")
    # The id of the wallet's last credit (a positive grant or adjustment) when it began; 0: none yet.
    since_entry = models.BigIntegerField()
    # Who was refused first (null once their account is gone), what the work needed and what was there.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=10, blank=True)
    needed = models.PositiveBigIntegerField()
    available = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # When its owner and admins were e-mailed (null: the mail could not be sent).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "since_entry"], name="one_team_shortfall_per_credit"),
        ]

    def __str__(self) -> str:
        return f"{self.wallet} short of {self.needed} tokens since entry {self.since_entry}"


# --- payments (Stripe) ---------------------------------------------------------------------------


class TokenPack(models.Model):
    """Tokens sold once, for a price set up in Stripe; operators manage these in the admin."""

    name = models.CharField(max_length=80)
    tokens = models.PositiveIntegerField()
    stripe_price_id = models.CharField(max_length=255, blank=True, help_text="Stripe Price (price_…) charged.")
    stripe_product_id = models.CharField(max_length=255, blank=True, help_text="Stripe Product (prod_…).")
    # What Stripe charges for it, in the currency's smallest unit (cents); shown on pages and checked
    # against what a payment actually received.
    amount = models.PositiveIntegerField(help_text="Price in the smallest currency unit (e.g. cents).")
    currency = models.CharField(max_length=3, default="usd", help_text="ISO code, lower case (usd, eur…).")
    is_active = models.BooleanField(default=True, help_text="Offered for sale.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(tokens__gt=0) & Q(amount__gt=0), name="token_pack_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.tokens} tokens)"


class StripeEvent(models.Model):
    """A webhook delivery, stored as received (signature checked) before anything is done with it, so
    a slow or failing handler never loses one; processed by a task, re-processable from the admin."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The last processing failure (cleared when it succeeds).
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When SAGE refused the event, the reason in `error`: a signed body that is no event SAGE can read,
    # or a payment Stripe's own copy does not bear out. Answered 2xx all the same (Stripe would retry
    # anything else for days) and never queued again by itself; an operator may process it again.
    refused_at = models.DateTimeField(null=True, blank=True)
    # The body as received when it could not be kept as JSON (`payload` is then {}): its start, with
    # NUL shown as \x00 (Postgres text cannot hold one).
    raw_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"


class PackPurchase(models.Model):
    """One paid Stripe PaymentIntent for a pack, credited once, and what its refunds took back.

    A refund takes back tokens not yet spent; what was already spent cannot leave the balance (it
    never goes below zero), so it is recorded here as owed."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="pack_purchases")
    pack = models.ForeignKey(TokenPack, null=True, on_delete=models.SET_NULL, related_name="purchases")
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True)
    tokens = models.PositiveIntegerField(help_text="Tokens credited for it.")
    amount = models.PositiveIntegerField(help_text="What Stripe received, smallest currency unit.")
    currency = models.CharField(max_length=3)
    amount_refunded = models.PositiveIntegerField(default=0)
    tokens_taken_back = models.PositiveIntegerField(default=0)
    tokens_owed = models.PositiveIntegerField(default=0, help_text="Refunded tokens already spent.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tokens_taken_back__lte=models.F("tokens") - models.F("tokens_owed")),
                name="pack_purchase_reclaims_at_most_its_tokens",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_payment_intent_id}: {self.tokens} tokens"


# --- plan subscriptions (Stripe) -----------------------------------------------------------------


class PlanSubscription(models.Model):
    """A person's Stripe subscription to a paid plan, as Stripe last reported it (re-fetched on every
    event, so a stale event body never undoes a newer state)."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Waiting for the first payment"
        INCOMPLETE_EXPIRED = "incomplete_expired", "First payment failed"
        TRIALING = "trialing", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment overdue"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Ended"
        PAUSED = "paused", "Paused"

    # The statuses in which the person has the plan (past_due: Stripe is still retrying the payment).
    LIVE_STATUSES: ClassVar[tuple[str, ...]] = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)
    # The statuses in which a second subscription must not be started.
    OPEN_STATUSES: ClassVar[tuple[str, ...]] = (Status.INCOMPLETE, *LIVE_STATUSES)

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="subscriptions")
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    plan = models.ForeignKey(Plan, null=True, on_delete=models.SET_NULL, related_name="subscriptions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INCOMPLETE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["wallet", "status"])]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class SubscriptionInvoice(models.Model):
    """A paid Stripe invoice of a plan subscription and the tokens it granted (once, keyed by its id)."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="subscription_invoices")
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    plan = models.ForeignKey(Plan, null=True, on_delete=models.SET_NULL, related_name="invoices")
    amount_paid = models.PositiveIntegerField(help_text="What Stripe took, smallest currency unit.")
    currency = models.CharField(max_length=3)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    tokens_granted = models.PositiveIntegerField(default=0)
    hosted_invoice_url = models.URLField(max_length=1000, blank=True)
    invoice_pdf = models.URLField(max_length=1000, blank=True)
    paid_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.stripe_invoice_id}: {self.tokens_granted} tokens"
