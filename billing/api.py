"""`/api/v1/billing/`: my plan, balance and chat quota, and my token ledger."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.guests import Viewer
from accounts.models import User
from billing.models import LedgerEntry, Plan
from billing.selectors import held_tokens, ledger_for_user, wallet_for_user
from billing.services import quota_status
from sage.api.errors import ErrorSerializer, error_responses


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
    quota = QuotaOutput()


class LedgerEntryOutput(serializers.ModelSerializer[LedgerEntry]):
    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "balance_after", "memo", "ref_type", "ref_id", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "amount": {"help_text": "Signed: what this entry did to the balance."},
            "ref_type": {"help_text": "What the entry is about (e.g. `video`), or empty."},
            "ref_id": {"help_text": "The id of that object, or empty."},
        }


class BillingApi(APIView):
    @extend_schema(
        responses={200: BillingOutput, **error_responses(403)},
        summary="My plan, balance and chat quota",
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        wallet = wallet_for_user(user)
        payload = {
            "plan": wallet.plan,
            "balance": wallet.balance,
            "held": held_tokens(wallet),
            "quota": quota_status(viewer=Viewer(user=user, guest_id=None)),
        }
        return Response(BillingOutput(payload).data)


class LedgerApi(generics.ListAPIView[LedgerEntry]):
    serializer_class = LedgerEntryOutput

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        return ledger_for_user(_user(self.request))

    @extend_schema(
        responses={
            200: LedgerEntryOutput(many=True),
            **error_responses(403),
            404: OpenApiResponse(response=ErrorSerializer, description="No such page: past the last one."),
        },
        summary="My token ledger, newest first",
        description="Every movement of my tokens. Paginated; a page past the end is a 404.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
