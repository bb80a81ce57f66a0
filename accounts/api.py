"""`/api/v1/me` and `/api/v1/tokens`: the account, seen by an extension or a script."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.permissions import SESSION_ONLY
from accounts.selectors import api_token_get_for_user, api_tokens_for_user
from accounts.services import api_token_create, api_token_revoke, user_update_profile
from accounts.throttling import PrincipalRateThrottle, TokenCreateRateThrottle
from sage.api.errors import error_responses
from sage.api.fields import TextField

TOKEN_ID = OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The token's `id`.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran before the handler
    return request.user


class MeOutput(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "ai_notes_enabled", "date_joined"]
        read_only_fields = fields


class MeInput(serializers.Serializer[Any]):
    display_name = TextField(max_length=80, allow_blank=True, required=False)
    ai_notes_enabled = serializers.BooleanField(required=False)


class MeApi(APIView):
    # Profile changes are the person's own business: the browser session only.
    token_scopes = {"PATCH": SESSION_ONLY}

    @extend_schema(responses={200: MeOutput, **error_responses(403)}, summary="The signed-in account")
    def get(self, request: Request) -> Response:
        return Response(MeOutput(_user(request)).data)

    @extend_schema(
        request=MeInput,
        responses={200: MeOutput, **error_responses(400, 403)},
        summary="Update display name or AI-notes preference",
    )
    def patch(self, request: Request) -> Response:
        payload = MeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        user = user_update_profile(
            user=user,
            display_name=payload.validated_data.get("display_name", user.display_name),
            ai_notes_enabled=payload.validated_data.get("ai_notes_enabled", user.ai_notes_enabled),
        )
        return Response(MeOutput(user).data)


class TokenOutput(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "state", "expires_at", "last_used_at", "revoked_at", "created_at"]
        read_only_fields = fields

    state = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)


class TokenCreateInput(serializers.Serializer[Any]):
    name = TextField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), min_length=1, max_length=len(ApiToken.Scope)
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Omit or null: never expires.")

    def validate_expires_at(self, value: datetime | None) -> datetime | None:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


class TokenCreatedOutput(TokenOutput):
    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "secret"]
        read_only_fields = fields

    secret = serializers.SerializerMethodField(help_text="Shown once: store it now. Only a hash is kept.")

    def get_secret(self, token: ApiToken) -> str:
        return str(self.context["secret"])


class TokenListApi(APIView):
    # Tokens never mint tokens: a leaked token must not be able to multiply itself.
    token_scopes = {"POST": SESSION_ONLY}
    throttle_classes = [PrincipalRateThrottle, TokenCreateRateThrottle]

    @extend_schema(responses={200: TokenOutput(many=True), **error_responses(403)}, summary="My API tokens")
    def get(self, request: Request) -> Response:
        return Response(TokenOutput(api_tokens_for_user(_user(request)), many=True).data)

    @extend_schema(
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput, **error_responses(400, 403)},
        summary="Create an API token",
        description="Browser session only. The response holds the secret; it cannot be shown again.",
    )
    def post(self, request: Request) -> Response:
        payload = TokenCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = api_token_create(user=_user(request), **payload.validated_data)
        return Response(TokenCreatedOutput(token, context={"secret": secret}).data, status=status.HTTP_201_CREATED)


class TokenDetailApi(APIView):
    # Tokens never revoke tokens either: revocation is for the person, in the browser.
    token_scopes = {"DELETE": SESSION_ONLY}

    @extend_schema(
        parameters=[TOKEN_ID],
        responses={200: TokenOutput, **error_responses(403, 404)},
        summary="One of my API tokens",
    )
    def get(self, request: Request, token_id: int) -> Response:
        return Response(TokenOutput(api_token_get_for_user(_user(request), token_id)).data)

    @extend_schema(
        parameters=[TOKEN_ID],
        responses={200: TokenOutput, **error_responses(403, 404)},
        summary="Revoke an API token",
        description=(
            "Browser session only. The token stops working at once and stays listed as revoked; "
            "revoking it again changes nothing."
        ),
    )
    def delete(self, request: Request, token_id: int) -> Response:
        token = api_token_revoke(token=api_token_get_for_user(_user(request), token_id))
        return Response(TokenOutput(token).data)
