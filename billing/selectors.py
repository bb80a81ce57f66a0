"""Reads for billing: a user's wallet, holds, ledger and usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from billing.ledger import wallet_create, wallet_create_for_workspace
from billing.models import Hold, LedgerEntry, PackPurchase, Plan, SubscriptionInvoice, Wallet
from billing.wallets import current_period_start
from workspaces.models import Membership, Workspace
from workspaces.policy import Member, may

# Kinds that spend tokens (negative) or give spent tokens back (positive).
SPENDING_KINDS = (LedgerEntry.Kind.HOLD, LedgerEntry.Kind.SETTLE, LedgerEntry.Kind.RELEASE, LedgerEntry.Kind.DEBIT)


def wallet_for_user(user: User) -> Wallet:
    """The user's personal wallet: their own plan, subscription and Stripe customer (created on first
    use for accounts that predate billing). Work is paid by its workspace's: `wallet_of_workspace`."""
    wallet = Wallet.objects.select_related("plan").filter(user=user).first()
    if wallet is None:
        wallet = wallet_create(user=user)
    return wallet


def wallet_of_workspace(workspace_id: int) -> Wallet:
    """Workspace `workspace_id`'s wallet, with its plan and workspace (a team workspace made before
    team wallets gets its own on first use)."""
    wallet = Wallet.objects.select_related("plan", "workspace").filter(workspace_id=workspace_id).first()
    if wallet is None:
        wallet_create_for_workspace(workspace=Workspace.objects.get(pk=workspace_id))
        wallet = Wallet.objects.select_related("plan", "workspace").get(workspace_id=workspace_id)
    return wallet


def held_tokens(wallet: Wallet) -> int:
    total = Hold.objects.filter(wallet=wallet, status=Hold.Status.OPEN).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def open_holds_of_workspace(workspace_id: int) -> QuerySet[Hold]:
    """The open holds of workspace `workspace_id`'s wallet."""
    return Hold.objects.filter(wallet__workspace_id=workspace_id, status=Hold.Status.OPEN).order_by("-created_at")


def ledger_of_workspace(workspace_id: int) -> QuerySet[LedgerEntry]:
    """Every entry of the append-only ledger of workspace `workspace_id`'s wallet, newest first
    (holds and their settlements apart)."""
    return LedgerEntry.objects.filter(wallet__workspace_id=workspace_id).order_by("-created_at", "-pk")


def may_pay_for(actor: Member) -> bool:
    """Whether `actor` answers for its workspace's money: buys tokens for it (the policy's
    `billing.pay`). In a team workspace its owner and admins; always in one's own (its one member is
    its owner)."""
    return may(actor, "billing.pay", workspace_id=actor.workspace_id)


def may_see_payments(actor: Member) -> bool:
    """Whether `actor` sees its workspace's usage, ledger, payments and receipts (the policy's
    `workspace.billing_detail`): whoever pays for it, and an API token of theirs with `billing:read`.
    The other members see its balance, as a producer's crew sees whether the studio can afford the
    next upload."""
    return may(actor, "workspace.billing_detail", workspace_id=actor.workspace_id)


# --- a team's usage this month ------------------------------------------------------------------


@dataclass(frozen=True)
class MemberUsage:
    user_id: int
    name: str
    email: str
    role: str
    tokens: int


@dataclass(frozen=True)
class VideoUsage:
    video_id: int
    label: str  # what its processing was recorded as ("Processing “Cut 3”"), if it was processed
    tokens: int


@dataclass(frozen=True)
class UsageByVideo:
    """A wallet's spending by the video it was about (processing, chat answers and AI notes about
    it), and what was about no video (chat over the whole library, work recorded before holds named
    their video): `other`."""

    videos: list[VideoUsage]
    other: int


def _spent_since(wallet: Wallet, since: dt.datetime) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet=wallet, kind__in=SPENDING_KINDS, created_at__gte=since).order_by()


def month_start() -> dt.datetime:
    """The start of the current calendar month (UTC): the period plans grant for."""
    return dt.datetime.combine(current_period_start(), dt.time(), tzinfo=dt.UTC)


def usage_by_member(wallet: Wallet, *, since: dt.datetime) -> list[MemberUsage]:
    """Tokens each member of the wallet's workspace spent from it since `since`, net of refunds, most
    first; members who spent nothing are listed with 0 (a former member's spending stays in the ledger
    but not here: this is about the team as it is)."""
    net_by_actor = dict(
        _spent_since(wallet, since).values("actor").annotate(net=Sum("amount")).values_list("actor", "net")
    )
    members = Membership.objects.filter(workspace_id=wallet.workspace_id).select_related("user")
    rows = [
        MemberUsage(
            user_id=member.user_id,
            name=member.user.display_name or member.user.email,
            email=member.user.email,
            role=member.get_role_display(),
            # Spending entries are negative, refunds positive: a member refunded more than they spent
            # in the period (a hold of last month released in this one) shows 0, not a credit.
            tokens=max(-int(net_by_actor.get(member.user_id) or 0), 0),
        )
        for member in members
    ]
    return sorted(rows, key=lambda row: (-row.tokens, row.name.lower()))


def usage_by_video(wallet: Wallet, *, since: dt.datetime) -> UsageByVideo:
    """Tokens spent from the wallet since `since` on each video (Hold.about_video), net of refunds,
    most first, and the rest. Per project: these rows grouped by each video's project, which the
    videos app joins (videos.projects.usage): billing names a video only by its id."""
    rows = (
        _spent_since(wallet, since)
        .values("hold__about_video")
        .annotate(
            net=Sum("amount"),
            label=Max("hold__memo", filter=Q(hold__ref_type="video")),
        )
    )
    videos, other = [], 0
    for row in rows:
        spent = -int(row["net"])
        if row["hold__about_video"] is None:
            other += spent
        elif spent > 0:  # refunded in full (or more, a hold of last month released in this one): none
            videos.append(VideoUsage(video_id=row["hold__about_video"], label=row["label"] or "", tokens=spent))
    return UsageByVideo(videos=sorted(videos, key=lambda row: (-row.tokens, row.video_id)), other=max(other, 0))


# --- the ledger as actions: one row per thing paid for -------------------------------------------


@dataclass(frozen=True)
class LedgerAction:
    """One action as people read it: a grant, a charge, an adjustment, or work paid through a hold
    (an upload, an AI note, a chat answer) with its hold and its settlement or refund folded in.

    `amount` is what the action did to the balance in all (a settled hold: what was charged; a
    released one: 0; an open one: what is held so far). Actions are listed by their latest entry,
    newest first, and `id` is that entry's. `balance_after` is the balance as the list tells it:
    the one of the row before plus this row's amount, ending at the wallet's balance. It is the
    latest entry's balance plus what other holds, taken before it and closed after it, had taken
    out: those are counted in their own (later) rows. Taking the entry's balance as it was made
    two rows of overlapping work the same figure (both settled after both holds were taken)."""

    id: int
    kind: str  # LedgerEntry.Kind of a plain entry, or "hold" for work paid through a hold
    status: str  # "" for a plain entry; for a hold: Hold.Status ("open", "settled", "released")
    amount: int
    held: int | None
    balance_after: int
    memo: str
    ref_type: str
    ref_id: str
    created_at: dt.datetime  # when the action started (its hold was taken)
    closed_at: dt.datetime | None  # when its hold was settled or released

    @property
    def refunded(self) -> int:
        """Tokens held and given back (all of a released hold, the rest of a settled one)."""
        if self.held is None or self.status == Hold.Status.OPEN:
            return 0
        return self.held + self.amount


def ledger_action_entries(workspace_id: int) -> QuerySet[LedgerEntry]:
    """The latest entry of each action in workspace `workspace_id`'s wallet, newest first, with its
    hold: a plain entry, the HOLD entry of a hold still open, or the SETTLE / RELEASE entry of a
    closed one. Paginate this,
    then turn each entry into a LedgerAction with `ledger_action` (no further query)."""
    last_of_each = (
        Q(hold__isnull=True)
        | Q(kind=LedgerEntry.Kind.HOLD, hold__status=Hold.Status.OPEN)
        | Q(kind__in=(LedgerEntry.Kind.SETTLE, LedgerEntry.Kind.RELEASE))
    )
    # Holds whose HOLD entry is at or before this entry and whose closing entry is after it: in the
    # balance this entry left, not yet in the rows listed up to it. Entries of one wallet are made
    # under its lock, so their pks are in the order the balance moved.
    closing = (LedgerEntry.Kind.SETTLE, LedgerEntry.Kind.RELEASE)
    closed_later = LedgerEntry.objects.filter(hold=OuterRef("hold"), kind__in=closing, pk__gt=OuterRef(OuterRef("pk")))
    in_flight = (
        LedgerEntry.objects.filter(wallet=OuterRef("wallet"), kind=LedgerEntry.Kind.HOLD, pk__lte=OuterRef("pk"))
        .filter(Exists(closed_later))
        .order_by()
        .values("wallet")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        ledger_of_workspace(workspace_id)
        .filter(last_of_each)
        .select_related("hold")
        .annotate(in_flight=Coalesce(Subquery(in_flight, output_field=IntegerField()), 0))
    )


def ledger_action(entry: LedgerEntry) -> LedgerAction:
    hold = entry.hold
    # HOLD entries are negative: what holds still in flight took out is given back to this row's figure.
    balance_after = entry.balance_after - int(getattr(entry, "in_flight", 0) or 0)
    if hold is None:
        return LedgerAction(
            id=entry.pk,
            kind=entry.kind,
            status="",
            amount=entry.amount,
            held=None,
            balance_after=balance_after,
            memo=entry.memo,
            ref_type=entry.ref_type,
            ref_id=entry.ref_id,
            created_at=entry.created_at,
            closed_at=None,
        )
    status: str
    closed_at: dt.datetime | None
    if entry.kind == LedgerEntry.Kind.HOLD:
        status, amount, closed_at = Hold.Status.OPEN, -hold.amount, None
    else:
        # The hold took `hold.amount`; this entry gave back the rest: together, what was charged.
        status, amount, closed_at = hold.status, -hold.amount + entry.amount, entry.created_at
    return LedgerAction(
        id=entry.pk,
        kind=LedgerEntry.Kind.HOLD,
        status=str(status),
        amount=amount,
        held=hold.amount,
        balance_after=balance_after,
        memo=hold.memo or entry.memo,
        ref_type=hold.ref_type,
        ref_id=hold.ref_id,
        created_at=hold.created_at,
        closed_at=closed_at,
    )


def plans_for_display() -> QuerySet[Plan]:
    return Plan.objects.order_by("sort_order", "pk")


def plans_without_stripe_price() -> QuerySet[Plan]:
    """Paid plans nobody can subscribe to: Stripe bills a subscription at the plan's price id."""
    return plans_for_display().filter(price_cents__gt=0, stripe_price_id="")


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date
    tokens: int


def daily_usage(workspace_id: int, *, days: int = 30) -> list[DailyUsage]:
    """Tokens spent from workspace `workspace_id`'s wallet per UTC day over the last `days` days, oldest
    first, with zero-usage days."""
    today = timezone.now().astimezone(dt.UTC).date()
    first_day = today - dt.timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.filter(
            wallet__workspace_id=workspace_id, kind__in=SPENDING_KINDS, created_at__date__gte=first_day
        )
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(net=Sum("amount"))
    )
    # Spending entries are negative and refunds positive; a day's usage is what was spent net of
    # refunds, and a day whose refunds outweigh its spending shows as zero rather than negative.
    spent = {row["day"]: max(-int(row["net"]), 0) for row in rows}
    return [
        DailyUsage(day=first_day + dt.timedelta(days=i), tokens=spent.get(first_day + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


def wallets_with_wrong_balance() -> QuerySet[Wallet]:
    """Wallets whose stored balance differs from the sum of their ledger entries."""
    return (
        Wallet.objects.annotate(ledger_sum=Sum("entries__amount", default=0))
        .exclude(balance=F("ledger_sum"))
        .select_related("user", "workspace")
        .order_by("pk")
    )


def tokens_owed_for_user(user: User) -> int:
    """Tokens the user owes: taken back by a refund or dispute after they were spent. While this is
    above zero no new paid work starts; the next tokens credited pay it off first."""
    return int(Wallet.objects.filter(user=user).values_list("tokens_owed", flat=True).first() or 0)


def pack_purchases_for(membership: Membership) -> QuerySet[PackPurchase]:
    """The pack purchases credited to `membership`'s workspace's wallet (a team's, whoever of its
    admins paid; one's own), for those who `may_see_payments` of it; none for anyone else."""
    if not may_see_payments(membership.actor()):
        return PackPurchase.objects.none()
    return PackPurchase.objects.filter(wallet__workspace_id=membership.workspace_id)


def subscription_invoices_for(membership: Membership) -> QuerySet[SubscriptionInvoice]:
    """The plan invoices paid into `membership`'s workspace's wallet (a person's plan is paid from
    their own: a team's wallet has none), for those who `may_see_payments` of it."""
    if not may_see_payments(membership.actor()):
        return SubscriptionInvoice.objects.none()
    return SubscriptionInvoice.objects.filter(wallet__workspace_id=membership.workspace_id)
