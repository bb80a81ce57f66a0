"""`/api/v1/me`, `/api/v1/tokens` and `/api/v1/extension/connect`: the account, seen by an extension
or a script."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.selectors import api_token_get_for_user, api_tokens_for_user
from accounts.services import (
    EXTENSION_SCOPES,
    api_token_create,
    api_token_revoke,
    extension_connect_redeem,
    user_update_profile,
)
from accounts.throttling import ExtensionConnectRateThrottle, PrincipalRateThrottle, TokenCreateRateThrottle
from sage.api.errors import ErrorSerializer, error_responses
from sage.api.fields import FlagField, TextField
from workspaces.authentication import ApiTokenAuthentication
from workspaces.current import acting_workspace_id
from workspaces.doors import NOT_WORKSPACE_WORK, WorkspaceRolePermission
from workspaces.token_scopes import ANY_TOKEN, SESSION_ONLY, TokenScopePermission

TOKEN_ID = OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The token's `id`.")


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran before the handler
    return request.user


class MeOutput(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "ai_notes_enabled", "review_digest_emails", "date_joined"]
        read_only_fields = fields


class MeInput(serializers.Serializer[Any]):
    display_name = TextField(max_length=80, allow_blank=True, required=False, name=True)
    ai_notes_enabled = FlagField(required=False)
    review_digest_emails = FlagField(
        required=False, help_text="E-mail a digest of reviewers' comments and review-status changes."
    )


class MeApi(APIView):
    workspace_actions = dict.fromkeys(("GET", "PATCH"), NOT_WORKSPACE_WORK)  # one's own account
    # Profile changes are the person's own business: the browser session only.
    token_scopes = {"PATCH": SESSION_ONLY}

    @extend_schema(responses={200: MeOutput, **error_responses(403)}, summary="The signed-in account")
    def get(self, request: Request) -> Response:
        return Response(MeOutput(_user(request)).data)

    @extend_schema(
        request=MeInput,
        responses={200: MeOutput, **error_responses(400, 403)},
        summary="Update display name, AI-notes or review-digest preference",
    )
    def patch(self, request: Request) -> Response:
        payload = MeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        user = user_update_profile(
            user=user,
            display_name=payload.validated_data.get("display_name", user.display_name),
            ai_notes_enabled=payload.validated_data.get("ai_notes_enabled", user.ai_notes_enabled),
            review_digest_emails=payload.validated_data.get("review_digest_emails"),
        )
        return Response(MeOutput(user).data)


class TokenOutput(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "state", "expires_at", "last_used_at", "revoked_at", "created_at"]
        read_only_fields = fields

    state = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)


class TokenCreateInput(serializers.Serializer[Any]):
    name = TextField(max_length=100, name=True)
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
    workspace_actions = dict.fromkeys(("GET", "POST"), NOT_WORKSPACE_WORK)  # one's own account
    # Tokens never mint tokens: a leaked token must not be able to multiply itself. Nor do they list
    # them: which tokens exist and where they were last used is the person's business (a token sees
    # itself at /tokens/current).
    token_scopes = {"GET": SESSION_ONLY, "POST": SESSION_ONLY}
    throttle_classes = [PrincipalRateThrottle, TokenCreateRateThrottle]

    @extend_schema(
        responses={200: TokenOutput(many=True), **error_responses(403)},
        summary="My API tokens",
        description="Browser session only (a token sees itself at `/api/v1/tokens/current`).",
    )
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
        user = _user(request)
        # It acts in the workspace this request acts in.
        token, secret = api_token_create(user=user, workspace_id=acting_workspace_id(request), **payload.validated_data)
        return Response(TokenCreatedOutput(token, context={"secret": secret}).data, status=status.HTTP_201_CREATED)


class TokenDetailApi(APIView):
    workspace_actions = dict.fromkeys(("GET", "DELETE"), NOT_WORKSPACE_WORK)  # one's own account
    # Tokens never see or revoke other tokens either: that is for the person, in the browser.
    token_scopes = {"GET": SESSION_ONLY, "DELETE": SESSION_ONLY}

    @extend_schema(
        parameters=[TOKEN_ID],
        responses={200: TokenOutput, **error_responses(403, 404)},
        summary="One of my API tokens",
        description="Browser session only.",
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


class TokenCurrentApi(APIView):
    """The token that makes the request, for an extension that disconnects: a token may revoke
    itself (never another one), which is what "Disconnect" needs and gives a leaked token nothing."""

    workspace_actions = dict.fromkeys(("GET", "DELETE"), NOT_WORKSPACE_WORK)  # one's own account

    # A bearer token only: the browser session has no "current token" (and needs no CSRF here).
    authentication_classes = [ApiTokenAuthentication]
    token_scopes = {"GET": ANY_TOKEN, "DELETE": ANY_TOKEN}

    def _token(self, request: Request) -> ApiToken:
        assert isinstance(request.auth, ApiToken)  # ApiTokenAuthentication is the only authenticator
        return request.auth

    @extend_schema(
        responses={200: TokenOutput, **error_responses(401)},
        summary="The API token making this request",
        description="Any token, whatever its scopes: which token this is (its name, scopes, state).",
    )
    def get(self, request: Request) -> Response:
        return Response(TokenOutput(self._token(request)).data)

    @extend_schema(
        responses={200: TokenOutput, **error_responses(401)},
        summary="Revoke the API token making this request",
        description=(
            "Any token, whatever its scopes, may revoke itself (an extension's Disconnect); every request "
            "with it afterwards gets 401 `token_revoked`. Other tokens are revoked on the settings page."
        ),
    )
    def delete(self, request: Request) -> Response:
        return Response(TokenOutput(api_token_revoke(token=self._token(request))).data)


# --- connecting the browser extension ------------------------------------------------------------


class ExtensionConnectInput(serializers.Serializer[Any]):
    verifier = serializers.RegexField(
        r"^[A-Za-z0-9_-]{43}$",
        trim_whitespace=False,
        error_messages={"invalid": "The verifier must be 43 base64url characters."},
        help_text="The secret the extension made: 32 random bytes, base64url without padding. The connect "
        "page's `challenge` is base64url(SHA-256(verifier)) without padding.",
    )


class ExtensionConnectUserOutput(serializers.Serializer[Any]):
    email = serializers.EmailField()
    display_name = serializers.CharField()


class ExtensionConnectPendingOutput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["pending"])


class ExtensionConnectTokenOutput(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="The API token's secret: given once, in this response only.")
    token_id = serializers.IntegerField(help_text="The token's `id` in `/api/v1/tokens`.")
    name = serializers.CharField(help_text='"<browser> extension, <day approved>", as the settings page lists it.')
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiToken.Scope.choices))
    user = ExtensionConnectUserOutput()


class ExtensionConnectApi(APIView):
    """The extension collects its token here, proving it holds the verifier behind the challenge the
    person approved on `/settings/connect`. No credential: the verifier is the proof."""

    workspace_actions = {"POST": NOT_WORKSPACE_WORK}  # one's own account

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny, TokenScopePermission, WorkspaceRolePermission]
    throttle_classes = [PrincipalRateThrottle, ExtensionConnectRateThrottle]

    @extend_schema(
        request=ExtensionConnectInput,
        responses={
            200: ExtensionConnectTokenOutput,
            202: ExtensionConnectPendingOutput,
            **error_responses(400, 429),
            403: OpenApiResponse(ErrorSerializer, description="`connect_denied`: the person cancelled on the site."),
            404: OpenApiResponse(
                ErrorSerializer, description="`connect_unknown`: no such request (never shown, or expired)."
            ),
            410: OpenApiResponse(ErrorSerializer, description="`connect_used`: the token was already given."),
        },
        auth=[],
        summary="Collect the extension's token (connect)",
        description=(
            "Poll every 2 s while the person decides on `/settings/connect?challenge=…&browser=…`. "
            "202 `pending`: not decided yet. 200: approved; the token (scopes "
            + ", ".join(f"`{scope}`" for scope in EXTENSION_SCOPES)
            + ") is made now and given once. 403 `connect_denied`: cancelled. 404 `connect_unknown`: no such "
            "request (never shown, expired, or not yet opened). 410 `connect_used`: the token was already given. "
            "Limited per client address (429 with Retry-After)."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = ExtensionConnectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        redeemed = extension_connect_redeem(verifier=payload.validated_data["verifier"])
        if redeemed.token is None:
            return Response({"status": "pending"}, status=status.HTTP_202_ACCEPTED)
        token = redeemed.token
        body = {
            "token": redeemed.secret,
            "token_id": token.pk,
            "name": token.name,
            "scopes": token.scopes,
            "user": {"email": token.user.email, "display_name": token.user.display_name},
        }
        # The secret must not sit in any cache between the site and the extension.
        return Response(body, headers={"Cache-Control": "no-store"})
