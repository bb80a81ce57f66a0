"""Operators in the Django admin: edit plans, move people between plans, grant or take tokens.

Balances are never edited here: tokens move only through `billing.ledger`, so every change an
operator makes is a ledger entry with a reason. The ledger, holds and quota counters are read-only.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import IntegerField, Model, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from billing.ledger import InsufficientTokens, ledger_adjust, ledger_grant
from billing.models import (
    Hold,
    LedgerEntry,
    PackPurchase,
    Plan,
    PlanSubscription,
    QuotaCounter,
    StripeEvent,
    SubscriptionInvoice,
    TeamShortfall,
    TokenPack,
    Wallet,
)
from billing.money import ZERO_DECIMAL_CURRENCIES, money
from billing.selectors import plans_without_stripe_price
from billing.stripe_events import stripe_event_process
from billing.wallets import wallet_change_plan
from sage.formatting import data_size

_M = TypeVar("_M", bound=Model)


class TokenPackForm(forms.ModelForm[TokenPack]):
    """A pack with its price as people write it; `amount` (smallest unit) is worked out from it."""

    price = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="In the currency below, as people pay it: 4.99 (or 1200 for a currency without cents, e.g. JPY).",
    )

    class Meta:
        model = TokenPack
        fields = ["name", "tokens", "currency", "stripe_price_id", "stripe_product_id", "is_active", "sort_order"]

    field_order = ["name", "tokens", "price", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pack = self.instance
        if pack.pk is not None and pack.amount:
            whole_units = pack.currency.lower() in ZERO_DECIMAL_CURRENCIES
            self.initial["price"] = Decimal(pack.amount) if whole_units else Decimal(pack.amount) / 100

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        price, currency = cleaned.get("price"), str(cleaned.get("currency") or "usd").lower()
        if price is not None:
            if currency in ZERO_DECIMAL_CURRENCIES:
                if price != price.to_integral_value():
                    self.add_error("price", f"{currency.upper()} has no cents: enter a whole number.")
                    return cleaned
                self.instance.amount = int(price)
            else:
                self.instance.amount = int((price * 100).to_integral_value())
        return cleaned


# Far above any real grant: a typo of a few extra digits is refused rather than applied.
MAX_ADJUSTMENT = 100_000_000


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = [
        "name",
        "slug",
        "monthly_tokens",
        "price",
        "daily_chat_messages",
        "max_video_seconds",
        "max_upload",
        "storage_quota",
        "seats",
        "is_default",
        "sort_order",
        "subscribable",
    ]
    ordering = ["sort_order", "pk"]
    prepopulated_fields = {"slug": ["name"]}
    # The fields are kept in Stripe's and the database's units (cents, bytes); the page also shows
    # what they come to, read the way people read them.
    readonly_fields = ["price", "max_upload", "storage_quota"]

    @admin.display(description="Price a month", ordering="price_cents")
    def price(self, plan: Plan) -> str:
        return money(plan.price_cents, plan.currency) if plan.price_cents is not None else "—"

    @admin.display(description="Largest upload", ordering="max_upload_bytes")
    def max_upload(self, plan: Plan) -> str:
        return data_size(plan.max_upload_bytes) if plan.max_upload_bytes is not None else "—"

    @admin.display(description="Storage", ordering="storage_quota_bytes")
    def storage_quota(self, plan: Plan) -> str:
        return data_size(plan.storage_quota_bytes) if plan.storage_quota_bytes is not None else "—"

    @admin.display(description="Subscribable")
    def subscribable(self, plan: Plan) -> str:
        if plan.price_cents == 0:
            return "Free: no subscription"
        return "Yes" if plan.stripe_price_id else "No: no Stripe price id"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        unsellable = [plan.name for plan in plans_without_stripe_price()]
        if unsellable and request.method == "GET":
            names = ", ".join(unsellable)
            messages.warning(
                request,
                f"Nobody can subscribe to {names} yet: a paid plan needs its Stripe price id (price_…). "
                "Until one is set, the billing page says the plan cannot be subscribed to.",
            )
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        plan = self.get_object(request, object_id)
        if request.method == "GET" and plan is not None and plan.price_cents > 0 and not plan.stripe_price_id:
            messages.warning(
                request,
                f"{plan.name} has a price but no Stripe price id: nobody can subscribe to it until one is set.",
            )
        return super().change_view(request, object_id, form_url, extra_context)


class GrantOrAdjustForm(forms.Form):
    amount = forms.IntegerField(
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text="Tokens per wallet: positive grants, negative takes away.",
    )
    reason = forms.CharField(max_length=120, help_text="Shown in the ledger with your e-mail address.")
    # Made when the form is first shown: submitting the same form twice applies it once.
    nonce = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a non-zero number of tokens.")
        return amount


def _held_tokens() -> Coalesce:
    open_holds = (
        Hold.objects.filter(wallet=OuterRef("pk"), status=Hold.Status.OPEN)
        .values("wallet")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(open_holds, output_field=IntegerField()), 0)


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin[Wallet]):
    list_display = ["user_email", "plan", "balance", "held", "tokens_owed", "period_start", "updated_at"]
    list_select_related = ["user", "workspace", "plan"]
    list_filter = ["plan"]
    search_fields = ["user__email"]
    ordering = ["user__email"]
    fields = ["user", "workspace", "plan", "balance", "held", "tokens_owed", "period_start", "updated_at", "ledger"]
    # Balances move only through the ledger (the grant/adjust action), never by editing a number; so do
    # tokens owed (a refund or dispute adds them, the next tokens credited pay them off).
    readonly_fields = ["user", "workspace", "balance", "held", "tokens_owed", "period_start", "updated_at", "ledger"]
    actions = ["grant_or_adjust_tokens"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wallet]:
        return super().get_queryset(request).annotate(held_total=_held_tokens())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every account gets its wallet when it is created

    def has_delete_permission(self, request: HttpRequest, obj: Wallet | None = None) -> bool:
        return False  # deleting a wallet would delete its ledger

    @admin.display(description="User", ordering="user__email")
    def user_email(self, wallet: Wallet) -> str:
        return wallet.holder

    @admin.display(description="Held", ordering="held_total")
    def held(self, wallet: Wallet) -> int:
        return int(getattr(wallet, "held_total", 0))

    @admin.display(description="Ledger")
    def ledger(self, wallet: Wallet) -> str:
        url = reverse("admin:billing_ledgerentry_changelist")
        count = LedgerEntry.objects.filter(wallet=wallet).count()
        return format_html('<a href="{}?wallet__id__exact={}">{} ledger entries</a>', url, wallet.pk, count)

    def save_model(self, request: HttpRequest, obj: Wallet, form: forms.ModelForm[Wallet], change: bool) -> None:
        # Only the plan is editable. Saving the whole row would write back the balance read when
        # the page loaded, undoing any ledger movement since.
        if change and "plan" in form.changed_data:
            wallet_change_plan(wallet=obj, plan=obj.plan)

    @admin.action(description="Grant or adjust tokens", permissions=["change"])
    def grant_or_adjust_tokens(self, request: HttpRequest, queryset: QuerySet[Wallet]) -> TemplateResponse | None:
        wallets = list(queryset.select_related("user", "workspace").order_by("pk"))
        if "apply" in request.POST:
            form = GrantOrAdjustForm(request.POST)
            if form.is_valid():
                self._apply(request, wallets, **form.cleaned_data)
                return None  # back to the list, with the messages
        else:
            form = GrantOrAdjustForm(initial={"nonce": uuid.uuid4()})
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant or adjust tokens",
            "opts": self.model._meta,
            "form": form,
            "wallets": wallets,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "grant_or_adjust_tokens",
            "media": self.media,
        }
        return TemplateResponse(request, "admin/billing/wallet/grant_or_adjust_tokens.html", context)

    def _apply(
        self, request: HttpRequest, wallets: list[Wallet], *, amount: int, reason: str, nonce: uuid.UUID
    ) -> None:
        assert isinstance(request.user, User)  # the admin site lets only staff in
        memo = f"{reason} (by {request.user.email})"
        applied: list[str] = []
        already: list[str] = []
        for wallet in wallets:
            key = f"admin:{nonce}:{wallet.pk}"
            # Only for the message: the key itself makes a second submission a no-op in the service.
            if LedgerEntry.objects.filter(idempotency_key=key).exists():
                already.append(wallet.holder)
                continue
            try:
                if amount > 0:
                    ledger_grant(wallet_id=wallet.pk, amount=amount, key=key, memo=memo)
                else:
                    ledger_adjust(wallet_id=wallet.pk, amount=amount, key=key, memo=memo)
            except InsufficientTokens as exc:
                self.message_user(
                    request,
                    f"{wallet.holder}: not changed, the balance would go below zero "
                    f"(it has {exc.available} tokens, {exc.needed} would be taken).",
                    messages.ERROR,
                )
                continue
            applied.append(wallet.holder)
        if applied:
            done = f"Granted {amount} tokens to" if amount > 0 else f"Took {-amount} tokens from"
            self.message_user(request, f"{done} {len(applied)} wallet(s): {', '.join(applied)}.", messages.SUCCESS)
        if already:
            self.message_user(
                request,
                f"Already applied to {len(already)} wallet(s), not applied again: {', '.join(already)}.",
                messages.WARNING,
            )


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Rows written only by the services: operators may look, never add, change or delete."""

    actions = None  # no bulk delete either

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = ["created_at", "user_email", "kind", "amount", "balance_after", "memo", "ref", "idempotency_key"]
    list_select_related = ["wallet__user", "wallet__workspace"]
    list_filter = ["kind", "created_at"]
    search_fields = ["wallet__user__email", "idempotency_key", "memo"]
    ordering = ["-created_at", "-pk"]

    @admin.display(description="User", ordering="wallet__user__email")
    def user_email(self, entry: LedgerEntry) -> str:
        return entry.wallet.holder

    @admin.display(description="About")
    def ref(self, entry: LedgerEntry) -> str:
        return f"{entry.ref_type} {entry.ref_id}" if entry.ref_type else ""


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin[Hold]):
    list_display = ["created_at", "user_email", "key", "amount", "status", "settled_amount", "closed_at", "memo"]
    list_select_related = ["wallet__user", "wallet__workspace"]
    list_filter = ["status", "created_at"]
    search_fields = ["wallet__user__email", "key", "memo"]

    @admin.display(description="User", ordering="wallet__user__email")
    def user_email(self, hold: Hold) -> str:
        return hold.wallet.holder


@admin.register(QuotaCounter)
class QuotaCounterAdmin(ReadOnlyAdmin[QuotaCounter]):
    list_display = ["owner_key", "day", "used"]
    list_filter = ["day"]
    search_fields = ["owner_key"]
    ordering = ["-day", "owner_key"]


@admin.register(TeamShortfall)
class TeamShortfallAdmin(ReadOnlyAdmin[TeamShortfall]):
    """Team wallets found short for a member who may not buy (billing.shortfalls), and when their
    owner and admins were e-mailed."""

    list_display = ["wallet", "actor", "actor_role", "needed", "available", "created_at", "notified_at"]
    list_select_related = ["wallet__workspace", "wallet__user", "actor"]
    ordering = ["-created_at"]


# --- payments (Stripe) ---------------------------------------------------------------------------


@admin.register(TokenPack)
class TokenPackAdmin(admin.ModelAdmin[TokenPack]):
    """Prices are entered and listed as money ("4.99" in the pack's currency) and stored in the
    currency's smallest unit (499), as Stripe charges them."""

    form = TokenPackForm
    list_display = ["name", "tokens", "price", "stripe_price_id", "is_active", "sort_order"]
    list_filter = ["is_active"]
    ordering = ["sort_order", "pk"]

    @admin.display(description="Price", ordering="amount")
    def price(self, pack: TokenPack) -> str:
        return money(pack.amount, pack.currency)


@admin.register(PackPurchase)
class PackPurchaseAdmin(ReadOnlyAdmin[PackPurchase]):
    list_display = [
        "created_at",
        "user_email",
        "pack",
        "tokens",
        "paid",
        "refunded",
        "tokens_taken_back",
        "tokens_owed",
        "stripe_payment_intent_id",
    ]
    list_select_related = ["wallet__user", "wallet__workspace", "pack"]
    search_fields = ["wallet__user__email", "stripe_payment_intent_id"]

    @admin.display(description="User", ordering="wallet__user__email")
    def user_email(self, purchase: PackPurchase) -> str:
        return purchase.wallet.holder

    @admin.display(description="Paid", ordering="amount")
    def paid(self, purchase: PackPurchase) -> str:
        return money(purchase.amount, purchase.currency)

    @admin.display(description="Refunded", ordering="amount_refunded")
    def refunded(self, purchase: PackPurchase) -> str:
        return money(purchase.amount_refunded, purchase.currency) if purchase.amount_refunded else "—"


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin[StripeEvent]):
    """Every webhook delivery as received; one that failed can be processed again (nothing that was
    already credited or taken back moves twice: every movement is keyed by its Stripe object)."""

    list_display = ["received_at", "type", "stripe_id", "processed_at", "attempts", "error_line"]
    # "Refused" (signed but unusable, or not confirmed by Stripe) is kept apart from "not processed yet".
    list_filter = ["type", ("processed_at", admin.EmptyFieldListFilter), ("refused_at", admin.EmptyFieldListFilter)]
    search_fields = ["stripe_id", "type"]
    ordering = ["-received_at", "-pk"]
    actions = ["reprocess"]  # type: ignore[assignment]  # ReadOnlyAdmin has none

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing stays read-only (every field is shown read-only); the permission lets the action run.
        return bool(request.user.has_perm("billing.change_stripeevent"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in StripeEvent._meta.fields]

    @admin.display(description="Error")
    def error_line(self, event: StripeEvent) -> str:
        return event.error.splitlines()[0][:120] if event.error else ""

    @admin.action(description="Process again", permissions=["change"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        failed = 0
        events = list(queryset.order_by("received_at", "pk"))
        for event in events:
            result = stripe_event_process(event_id=event.pk, force=True)
            if result is not None and result.error:
                failed += 1
                self.message_user(request, f"{event}: {result.error}", messages.ERROR)
        if len(events) - failed:
            self.message_user(request, f"Processed {len(events) - failed} event(s).", messages.SUCCESS)


@admin.register(PlanSubscription)
class PlanSubscriptionAdmin(ReadOnlyAdmin[PlanSubscription]):
    """Each person's Stripe subscription as Stripe last reported it (changed from Stripe, not here)."""

    list_display = [
        "updated_at",
        "user_email",
        "plan",
        "status",
        "cancel_at_period_end",
        "current_period_end",
        "stripe_subscription_id",
    ]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    list_select_related = ["wallet__user", "wallet__workspace", "plan"]
    search_fields = ["wallet__user__email", "stripe_subscription_id"]

    @admin.display(description="User", ordering="wallet__user__email")
    def user_email(self, subscription: PlanSubscription) -> str:
        return subscription.wallet.holder


@admin.register(SubscriptionInvoice)
class SubscriptionInvoiceAdmin(ReadOnlyAdmin[SubscriptionInvoice]):
    """Paid plan invoices and the tokens each granted (once, keyed by the invoice)."""

    list_display = ["paid_at", "user_email", "plan", "paid", "tokens_granted", "stripe_invoice_id"]
    list_filter = ["plan", "currency"]
    list_select_related = ["wallet__user", "wallet__workspace", "plan"]
    search_fields = ["wallet__user__email", "stripe_invoice_id", "stripe_subscription_id"]

    @admin.display(description="User", ordering="wallet__user__email")
    def user_email(self, invoice: SubscriptionInvoice) -> str:
        return invoice.wallet.holder

    @admin.display(description="Paid", ordering="amount_paid")
    def paid(self, invoice: SubscriptionInvoice) -> str:
        return money(invoice.amount_paid, invoice.currency)
