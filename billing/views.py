"""The billing page (plan, balance, holds, usage history and chart, plans side by side), and the
message pages show when an action needs more tokens than the user has.

The view only calls selectors; the small dataclasses and formatters below turn what they return
into what the template shows (human-readable units, links, chart geometry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from billing.ledger import InsufficientTokens, TokensOwed, tokens_lacking_refusal
from billing.models import Hold, LedgerEntry, Plan, Wallet
from billing.money import money
from billing.packs import buy_details, buy_offer_for, pack_covering, pack_offers
from billing.selectors import (
    DailyUsage,
    LedgerAction,
    daily_usage,
    held_tokens,
    ledger_action,
    ledger_action_entries,
    may_see_payments,
    month_start,
    open_holds_of_workspace,
    plans_for_display,
    usage_by_member,
    wallet_of_workspace,
)
from billing.shortfalls import ask_for_refusal, open_shortfall, refusal_sentence
from billing.stripe_client import payments_configured
from billing.wallets import granted_team_of
from sage.api.errors import error_response
from sage.errors import Invalid
from sage.formatting import data_size, video_duration
from videos.projects.usage import usage_by_project
from workspaces.current import request_actor
from workspaces.models import Workspace

LEDGER_PAGE_SIZE = 25
CHART_DAYS = 30

# What a ledger entry or hold is about → the page that shows it. Only types that have a page are
# listed; any other ref_type is shown as plain text.
REF_PATHS: dict[str, str] = {
    "video": "/videos/{id}/",
    "conversation": "/chat/{id}/",
}


def ref_url(ref_type: str, ref_id: str) -> str | None:
    path = REF_PATHS.get(ref_type)
    if path is None or not ref_id:
        return None
    return path.format(id=quote(ref_id, safe=""))


def insufficient_tokens_message(exc: InsufficientTokens) -> SafeString:
    """The sentence a page shows when an action needs more tokens than the user has (or while tokens
    are owed): the figures, and a link that opens the payment of the smallest pack covering what is
    short (billing.packs). Without payments, a link to the balance and plans. A team member who may
    not buy is told whom to ask instead, and no link (billing.shortfalls)."""
    if (ask := ask_for_refusal(exc)) is not None:
        return format_html("{}", refusal_sentence(exc, ask))
    offer = buy_offer_for(exc)
    if isinstance(exc, TokensOwed):
        figures = format_html("{}", exc.message)
    else:
        figures = format_html(
            "This needs {} tokens but you have {}.", intcomma(offer.needed), intcomma(offer.available)
        )
    if offer.pack is None:
        link_text = "Buy tokens" if payments_configured() else "See your balance and plans"
        return format_html('{} <a href="{}">{}</a>.', figures, offer.url, link_text)
    cover = "it covers" if offer.covers else "more than one pack is needed for"
    return format_html(
        '{} <a href="{}">Buy {} ({} tokens, {})</a>: {} the {} token{} you are short.',
        figures,
        offer.url,
        offer.pack.name,
        intcomma(offer.pack.tokens),
        money(offer.pack.amount, offer.pack.currency),
        cover,
        intcomma(offer.shortfall),
        "" if offer.shortfall == 1 else "s",
    )


# --- formatting --------------------------------------------------------------------------------


def signed_tokens(amount: int) -> str:
    # A real minus sign: it lines up with "+" and reads as "minus", not as a dash.
    if amount == 0:
        return "0"  # a refund in full: nothing moved in the end
    return f"+{intcomma(amount)}" if amount > 0 else f"\N{MINUS SIGN}{intcomma(-amount)}"


def monthly_price(price_cents: int) -> str:
    if price_cents == 0:
        return "Free"
    dollars, cents = divmod(price_cents, 100)
    amount = intcomma(dollars) if cents == 0 else f"{intcomma(dollars)}.{cents:02d}"
    return f"${amount} / month"


# --- what the template shows --------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFacts:
    plan: Plan
    is_current: bool

    @property
    def price(self) -> str:
        return monthly_price(self.plan.price_cents)

    @property
    def video_time(self) -> str:
        return video_duration(self.plan.monthly_tokens)

    @property
    def max_video_length(self) -> str:
        return video_duration(self.plan.max_video_seconds)

    @property
    def max_upload(self) -> str:
        return data_size(self.plan.max_upload_bytes)

    @property
    def storage(self) -> str:
        return data_size(self.plan.storage_quota_bytes)


# What a row of the history says about work paid through a hold, by the hold's status.
HOLD_STATUS_LABELS = {
    Hold.Status.OPEN: "On hold",
    Hold.Status.SETTLED: "Charged",
    Hold.Status.RELEASED: "Refunded",
}


@dataclass(frozen=True)
class LedgerRow:
    """One action of the history: its hold and settlement (or refund) folded into one row."""

    action: LedgerAction
    url: str | None

    @property
    def amount(self) -> str:
        return signed_tokens(self.action.amount)

    @property
    def label(self) -> str:
        if self.action.status:
            return HOLD_STATUS_LABELS.get(Hold.Status(self.action.status), self.action.status)
        return LedgerEntry.Kind(self.action.kind).label

    @property
    def detail(self) -> str:
        """How a hold turned out, e.g. "10 held, 2 returned"; empty for plain entries."""
        action = self.action
        if action.held is None:
            return ""
        if action.status == Hold.Status.OPEN:
            return f"{intcomma(action.held)} held until the work finishes"
        if action.status == Hold.Status.RELEASED:
            return f"{intcomma(action.held)} held, all returned"
        if action.refunded:
            return f"{intcomma(action.held)} held, {intcomma(action.refunded)} returned"
        return ""


@dataclass(frozen=True)
class HoldRow:
    hold: Hold
    url: str | None


@dataclass(frozen=True)
class ChartBar:
    day: dt.date
    tokens: int
    x: str  # percentages of the chart's width, so the chart scales without scaling its text
    width: str
    slot_x: str
    slot_width: str
    y: float
    height: float


@dataclass(frozen=True)
class ChartTick:
    y: float
    label: str

    @property
    def label_y(self) -> float:
        return self.y - 5  # just above its grid line


@dataclass(frozen=True)
class UsageChart:
    bars: list[ChartBar]
    ticks: list[ChartTick]
    total: int
    busiest: DailyUsage | None
    height: int
    baseline: float
    label_y: float

    @property
    def total_video_time(self) -> str:
        return video_duration(self.total)


# Chart geometry, in SVG pixels (heights) and percent (widths).
CHART_HEIGHT = 190
CHART_TOP = 22
CHART_BASELINE = 160
CHART_BAR_FILL = 0.72  # share of a day's slot the bar takes; the rest is the gap between bars


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above `value`: a round number for the top of the axis."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def usage_chart(days: list[DailyUsage]) -> UsageChart:
    busiest_tokens = max((day.tokens for day in days), default=0)
    top = _nice_ceiling(busiest_tokens or 1)
    plot_height = CHART_BASELINE - CHART_TOP
    slot = 100 / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = round(plot_height * day.tokens / top, 2)
        if day.tokens and height < 2:
            height = 2  # a day with any usage stays visible
        bars.append(
            ChartBar(
                day=day.day,
                tokens=day.tokens,
                x=f"{index * slot + slot * (1 - CHART_BAR_FILL) / 2:.3f}%",
                width=f"{slot * CHART_BAR_FILL:.3f}%",
                slot_x=f"{index * slot:.3f}%",
                slot_width=f"{slot:.3f}%",
                y=round(CHART_BASELINE - height, 2),
                height=height,
            )
        )
    # The top of the axis and about half of it, each drawn at its own value's height.
    ticks = [
        ChartTick(y=round(CHART_BASELINE - plot_height * value / top, 2), label=intcomma(value))
        for value in (top, top // 2)
        if value > 0
    ]
    used_days = [day for day in days if day.tokens]
    return UsageChart(
        bars=bars,
        ticks=ticks if busiest_tokens else [],
        total=sum(day.tokens for day in days),
        busiest=max(used_days, key=lambda day: day.tokens) if used_days else None,
        height=CHART_HEIGHT,
        baseline=CHART_BASELINE,
        label_y=CHART_HEIGHT - 6,
    )


# --- the page ------------------------------------------------------------------------------------


# More than any video's price (a day of video is 86,400 tokens at a token a second): beyond, nothing
# changes the pack offered, and the figure is someone's typo.
MAX_SHORT = 10**9


def _tokens_short(request: HttpRequest) -> int | None:
    short = request.GET.get("short", "")
    return int(short) if short.isdigit() and 0 < int(short) <= MAX_SHORT else None


def _chosen_pack(request: HttpRequest) -> dict[str, int | None]:
    """The pack a "Buy" link of a refusal chose: the page opens its payment. With `?short=<tokens>`
    it is the pack billing.packs.pack_covering offers for that shortfall, as on every other offer
    (a link made before the packs on sale changed still opens the right one); otherwise `?pack=<id>`.
    A missing, malformed or unknown value chooses nothing."""
    short = _tokens_short(request)
    if short is not None and payments_configured():
        covering = pack_covering(short)
        return {"chosen_pack_id": covering.pk if covering else None, "tokens_short": short}
    pack_id = request.GET.get("pack", "")
    return {"chosen_pack_id": int(pack_id) if pack_id.isdigit() else None, "tokens_short": short}


@require_GET
@login_required
def buy_offer(request: HttpRequest) -> JsonResponse:
    """`?short=<tokens>` → the offer for that shortfall, as a refusal's error carries it
    (`{tokens: {short}, buy_url, buy_pack}`, billing.packs.buy_details) with the billing page's
    address: what the upload rows show before any byte is sent, so that their script never picks
    a pack itself."""
    short = _tokens_short(request)
    if short is None:
        return error_response(Invalid(f"short: a whole number of tokens from 1 to {MAX_SHORT}."))
    offer = {"tokens": {"short": short}, "billing_url": reverse("billing:billing")}
    actor = request_actor(request)
    wallet = wallet_of_workspace(actor.workspace_id)
    refusal = tokens_lacking_refusal(wallet, needed=wallet.balance + short, actor_id=actor.user_id)
    if (ask := ask_for_refusal(refusal)) is not None:  # a team member who may not buy: whom to ask
        return JsonResponse({**offer, "message": refusal_sentence(refusal, ask), "ask": ask.details()})
    return JsonResponse({**offer, **buy_details(short)})


@require_GET
@login_required
def billing_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    # The wallet of the workspace the page acts in: a team's pays for all its members' work.
    wallet = wallet_of_workspace(actor.workspace_id)
    team = wallet.workspace if wallet.user_id is None else None
    if team is not None and not may_see_payments(actor):
        return render(request, "billing/team_balance.html", _team_balance_context(wallet, team=team))
    # get_page turns a missing or malformed number into page 1 and one past the end into the last page.
    ledger_page = Paginator(ledger_action_entries(actor.workspace_id), LEDGER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        **_team_balance_context(wallet, team=team),
        # A member who may not buy was refused for tokens since the last credit: the owner and admins see it.
        "shortfall": open_shortfall(wallet) if team is not None else None,
        "member_usage": usage_by_member(wallet, since=month_start()) if team is not None else None,
        "team_usage": usage_by_project(wallet, since=month_start()) if team is not None else None,
        "holds": [
            HoldRow(hold=hold, url=ref_url(hold.ref_type, hold.ref_id))
            for hold in open_holds_of_workspace(actor.workspace_id)
        ],
        "ledger_page": ledger_page,
        "ledger_rows": [
            LedgerRow(action=(action := ledger_action(entry)), url=ref_url(action.ref_type, action.ref_id))
            for entry in ledger_page
        ],
        "chart": usage_chart(daily_usage(actor.workspace_id, days=CHART_DAYS)),
        "plans": [PlanFacts(plan=plan, is_current=plan.pk == wallet.plan_id) for plan in plans_for_display()],
        "payments_configured": payments_configured(),
        "packs": pack_offers(),
        **_chosen_pack(request),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
    }
    return render(request, "billing/billing.html", context)


def _team_balance_context(wallet: Wallet, *, team: Workspace | None) -> dict[str, object]:
    """What every member sees of the wallet: its balance, what is held and owed, its plan, and, for a
    team that is not its owner's first, which team the plan's monthly tokens go to instead."""
    granted_team = granted_team_of(team.pk) if team is not None else None
    return {
        "wallet": wallet,
        "team": team,
        "grant_goes_to": granted_team if granted_team is not None and granted_team != team else None,
        "current_plan": PlanFacts(plan=wallet.plan, is_current=True),
        "balance_video_time": video_duration(wallet.balance),
        "held": held_tokens(wallet),
    }
