"""`/api/v1/billing`: the acting workspace's plan and balance, my chat quota; its token ledger and its
usage this month per member and per video (tokens need `billing:read`);
`/api/v1/prices`: what each paid action costs and today's chat questions left (any `read` token, e.g.
the browser extension, which says the price before anything is spent but never sees billing)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.guests import Viewer
from accounts.models import User
from billing.models import LedgerEntry, Plan
from billing.prices import current_prices
from billing.quota import quota_status
from billing.selectors import (
    held_tokens,
    ledger_action,
    ledger_action_entries,
    may_see_payments,
    month_start,
    usage_by_member,
    wallet_of_workspace,
)
from sage.api.errors import ErrorSerializer, error_responses
from videos.projects.usage import usage_by_project
from workspaces.current import acting_workspace_id, request_actor
from workspaces.doors import NOT_WORKSPACE_WORK


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran before the handler
    return request.user


class BillingPlanOutput(serializers.ModelSerializer[Plan]):
    class Meta:
        model = Plan
        fields = [
            "slug",
            "name",
            "monthly_tokens",
            "price_cents",
            "daily_chat_messages",
            "max_video_seconds",
            "max_upload_bytes",
            "storage_quota_bytes",
        ]
        read_only_fields = fields


class QuotaOutput(serializers.Serializer[Any]):
    limit = serializers.IntegerField(help_text="Chat messages allowed per UTC day on this plan.")
    used = serializers.IntegerField(help_text="Chat messages sent since UTC midnight.")
    remaining = serializers.IntegerField(help_text="Chat messages left today.")
    resets_at = serializers.DateTimeField(help_text="Next UTC midnight, when `used` goes back to 0.")


class BillingOutput(serializers.Serializer[Any]):
    plan = BillingPlanOutput()
    balance = serializers.IntegerField(help_text="Tokens free to spend (1 token = 1 second of processed video).")
    held = serializers.IntegerField(help_text="Tokens reserved for work in progress; not in `balance`.")
    owed = serializers.IntegerField(
        help_text="Tokens owed from a refund or dispute (already spent when the payment was taken back). While "
        "above 0, paid work (processing, uploads, AI notes, chat answers) is refused with a 402 `tokens_owed`; "
        "the next tokens credited pay it off first."
    )
    quota = QuotaOutput()


class LedgerActionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The id of the action's latest ledger entry.")
    kind = serializers.ChoiceField(
        choices=["grant", "debit", "adjustment", "hold"],
        help_text="`hold`: work paid through a hold (an upload, an AI note, a chat answer), its hold and "
        "its settlement or refund in this one row; otherwise a grant, a charge or an operator's adjustment.",
    )
    status = serializers.ChoiceField(
        choices=["", "open", "settled", "released"],
        help_text="For a `hold`: `open` (work in progress), `settled` (charged) or `released` (refunded "
        "in full); empty otherwise.",
    )
    amount = serializers.IntegerField(
        help_text="Signed: what the action did to the balance in all (a settled hold: what was charged; "
        "a released one: 0; an open one: what is held)."
    )
    held = serializers.IntegerField(allow_null=True, help_text="Tokens the hold took first; null if none.")
    balance_after = serializers.IntegerField(
        help_text="The balance after this action as the list tells it: the older row's `balance_after` plus this "
        "row's `amount` (work still in progress when it ended is counted in its own row, not here)."
    )
    memo = serializers.CharField()
    ref_type = serializers.CharField(help_text="What the action is about (e.g. `video`), or empty.")
    ref_id = serializers.CharField(help_text="The id of that object, or empty.")
    created_at = serializers.DateTimeField(help_text="When the action started (its hold was taken).")
    closed_at = serializers.DateTimeField(allow_null=True, help_text="When its hold was settled or released.")


class BillingApi(APIView):
    # Money has its own scope (the rows' `billing:read`): a `read` token (the browser extension's)
    # reads videos and notes, not this.
    workspace_actions = {"GET": "workspace.billing"}

    @extend_schema(
        responses={200: BillingOutput, **error_responses(403)},
        summary="The acting workspace's plan, balance and tokens owed, and my chat quota",
        description="The wallet that pays for work in the workspace the request acts in (a token's own "
        "workspace): a team workspace's wallet for every member, or my own in my personal workspace.",
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        wallet = wallet_of_workspace(acting_workspace_id(request))
        payload = {
            "plan": wallet.plan,
            "balance": wallet.balance,
            "held": held_tokens(wallet),
            "owed": wallet.tokens_owed,
            "quota": quota_status(viewer=Viewer(user=user, guest_id=None, workspace_id=acting_workspace_id(request))),
        }
        return Response(BillingOutput(payload).data)


class LedgerApi(generics.ListAPIView[LedgerEntry]):
    serializer_class = LedgerActionOutput
    workspace_actions = {"GET": "workspace.billing_detail"}

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        actor = request_actor(self.request)
        if not may_see_payments(actor):
            raise PermissionDenied(TEAM_MONEY_REFUSAL)
        return ledger_action_entries(actor.workspace_id)

    @extend_schema(
        responses={
            200: LedgerActionOutput(many=True),
            **error_responses(400, 403),
            404: OpenApiResponse(response=ErrorSerializer, description="No such page: past the last one."),
        },
        summary="The acting workspace's token ledger, one row per action, newest first",
        description="Every movement of the acting workspace's tokens, one row per action: work paid through a "
        "hold shows once, with what was held, what was charged and what came back. Paginated; a page past the "
        "end is a 404. In a team workspace, its owner and admins only (403 for other members).",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # the API always paginates lists
        return self.get_paginated_response(LedgerActionOutput([ledger_action(entry) for entry in page], many=True).data)


class MemberUsageOutput(serializers.Serializer[Any]):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField(help_text="The member's role, as the members page says it.")
    tokens = serializers.IntegerField(help_text="Tokens they spent from the wallet since `since`, net of refunds.")


class VideoUsageOutput(serializers.Serializer[Any]):
    video_id = serializers.CharField()
    name = serializers.CharField(help_text="Its title now; a deleted video's as its processing was recorded.")
    tokens = serializers.IntegerField(
        help_text="Tokens spent on it since `since`, net of refunds: its processing, and chat answers and AI "
        "notes about it."
    )
    deleted = serializers.BooleanField(help_text="Deleted since (its tokens are in the `other` project row).")


class ProjectUsageOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=["project", "no_project", "other"],
        help_text="`project`; `no_project`: videos at the workspace's top level; `other`: chat about the whole "
        "library and videos deleted since.",
    )
    project_id = serializers.IntegerField(allow_null=True, help_text="The project's id (null for the two other kinds).")
    name = serializers.CharField(help_text='The project\'s name now, or "No project", or "Other".')
    tokens = serializers.IntegerField(help_text="Tokens spent on its videos since `since`, net of refunds.")
    in_trash = serializers.BooleanField(help_text="The project is deleted (in the trash, restorable).")


class UsageOutput(serializers.Serializer[Any]):
    since = serializers.DateTimeField(help_text="The start of the current calendar month (UTC).")
    members = MemberUsageOutput(many=True, help_text="Every current member, most spent first (0 included).")
    projects = ProjectUsageOutput(
        many=True,
        help_text="Projects whose videos cost something this month, most first, then `no_project` and `other` "
        "when they did: together, everything spent.",
    )
    videos = VideoUsageOutput(many=True, help_text="Videos that cost something this month, most first.")


# Who sees what a team's money was spent on: its owner and admins (billing.selectors).
TEAM_MONEY_REFUSAL = "Only the owner and admins of this workspace see what its tokens were spent on."


class UsageApi(APIView):
    workspace_actions = {"GET": "workspace.billing_detail"}

    @extend_schema(
        responses={200: UsageOutput, **error_responses(403)},
        summary="The acting workspace's usage this month, per member, per project and per video",
        description="Tokens spent from the acting workspace's wallet since the 1st of the month (UTC), summed "
        "per member (who did the work), per project (the one each video is in now) and per video (its processing, "
        "and chat answers and AI notes about it). A team workspace's owner and admins only.",
    )
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        if not may_see_payments(actor):
            raise PermissionDenied(TEAM_MONEY_REFUSAL)
        wallet, since = wallet_of_workspace(actor.workspace_id), month_start()
        spending = usage_by_project(wallet, since=since)
        payload = {
            "since": since,
            "members": usage_by_member(wallet, since=since),
            "projects": spending.projects,
            "videos": spending.videos,
        }
        return Response(UsageOutput(payload).data)


class PricesOutput(serializers.Serializer[Any]):
    video_second = serializers.IntegerField(help_text="Tokens per second of an uploaded video, charged when ready.")
    youtube_video = serializers.IntegerField(
        help_text="Tokens to add a YouTube video: 0, only its captions are fetched (nothing is downloaded)."
    )
    chat_answer = serializers.IntegerField(help_text="Tokens per chat answer (refunded if it fails).")
    written_note = serializers.IntegerField(
        help_text="Tokens for a note saved empty and written from the transcript (0 for a transcript excerpt)."
    )
    written_note_kind = serializers.ChoiceField(
        choices=["ai_note", "transcript_excerpt"],
        help_text="`ai_note`: written by the language model; `transcript_excerpt`: the transcript's own sentences.",
    )
    chat_quota = QuotaOutput(help_text="Today's chat questions: the plan's limit, used, remaining, reset time.")
    billing_url = serializers.URLField(
        help_text="The site's billing page, where a person buys tokens (a 402 may name the exact pack in `buy_url`)."
    )


class PricesApi(APIView):
    workspace_actions = {"GET": NOT_WORKSPACE_WORK}  # the site's price list

    @extend_schema(
        responses={200: PricesOutput, **error_responses(403)},
        summary="What paid actions cost, and today's chat questions left",
        description="The prices every page says before anything is spent, from the same rules that charge them. "
        "Any token with `read` (no billing scope needed): an extension can say the price first.",
    )
    def get(self, request: Request) -> Response:
        prices = current_prices()
        payload = {
            "video_second": prices.per_video_second,
            "youtube_video": 0,  # videos.youtube: captions only, never charged (the upload page says "Free")
            "chat_answer": prices.chat_answer,
            "written_note": prices.written_note,
            "written_note_kind": "ai_note" if prices.written_note_by_model else "transcript_excerpt",
            "chat_quota": quota_status(
                viewer=Viewer(user=_user(request), guest_id=None, workspace_id=acting_workspace_id(request))
            ),
            "billing_url": request.build_absolute_uri(reverse("billing:billing")),
        }
        return Response(PricesOutput(payload).data)
