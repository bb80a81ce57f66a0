"""`/api/v1/me` and `/api/v1/tokens`: the account, seen by an extension or a script."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.selectors import api_token_get_for_user, api_tokens_for_user
from accounts.services import api_token_create, api_token_revoke, user_update_profile
from accounts.throttling import PrincipalRateThrottle, TokenCreateRateThrottle


class MeOutput(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "ai_notes_enabled", "date_joined"]
        read_only_fields = fields


class MeInput(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=80, allow_blank=True, required=False)
    ai_notes_enabled = serializers.BooleanField(required=False)


class MeApi(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in account")
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request.user).data)

    @extend_schema(request=MeInput, responses=MeOutput, summary="Update display name or AI-notes preference")
    def patch(self, request: Request) -> Response:
        payload = MeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
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

    state = serializers.CharField(read_only=True)


class TokenCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), min_length=1, max_length=len(ApiToken.Scope)
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("A name is required.")
        return value

    def validate_expires_at(self, value: datetime | None) -> datetime | None:
        from django.utils import timezone

        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


class TokenCreatedOutput(TokenOutput):
    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "secret"]
        read_only_fields = fields

    secret = serializers.SerializerMethodField(help_text="Shown once: store it now.")

    def get_secret(self, token: ApiToken) -> str:
        return str(self.context["secret"])


class TokenListApi(APIView):
    # Tokens never mint tokens: a leaked token must not be able to multiply itself.
    throttle_classes = [PrincipalRateThrottle, TokenCreateRateThrottle]

    @extend_schema(responses=TokenOutput(many=True), summary="My API tokens")
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(TokenOutput(api_tokens_for_user(request.user), many=True).data)

    @extend_schema(request=TokenCreateInput, responses={201: TokenCreatedOutput}, summary="Create an API token")
    def post(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        payload = TokenCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = api_token_create(user=request.user, **payload.validated_data)
        return Response(TokenCreatedOutput(token, context={"secret": secret}).data, status=status.HTTP_201_CREATED)


class TokenDetailApi(APIView):
    @extend_schema(responses=TokenOutput, summary="One of my API tokens")
    def get(self, request: Request, token_id: int) -> Response:
        assert isinstance(request.user, User)
        return Response(TokenOutput(api_token_get_for_user(request.user, token_id)).data)

    @extend_schema(
        responses={200: TokenOutput},
        summary="Revoke an API token",
        description="The token stops working at once; it stays listed as revoked.",
    )
    def delete(self, request: Request, token_id: int) -> Response:
        assert isinstance(request.user, User)
        token = api_token_revoke(token=api_token_get_for_user(request.user, token_id))
        return Response(TokenOutput(token).data)
