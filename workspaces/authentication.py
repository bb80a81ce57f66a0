"""DRF authentication for `Authorization: Bearer <token>` (extensions and scripts): the API's door
for a token. accounts says whether the token is valid and whose; here it becomes an actor in its
workspace, while its user belongs to it (removed, it opens nothing there and does not fall back to
another workspace the script never chose)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.models import ApiToken, User
from accounts.services import ApiTokenError, api_token_authenticate, api_token_used
from workspaces.current import membership_or_none, request_acts_through


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: session authentication may still apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <token>'.", code="token_malformed"
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API token.", code="token_invalid") from None
        try:
            token = api_token_authenticate(secret)
        except ApiTokenError as exc:
            # An authenticator refuses by raising AuthenticationFailed: only then does DRF mark the
            # request unauthenticated and answer with this scheme's WWW-Authenticate header.
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        membership = membership_or_none(token.user, token.workspace_id)
        if membership is None:
            raise exceptions.AuthenticationFailed(
                "This API token's workspace is no longer one you belong to: make a new token.",
                code="token_workspace_left",
            )
        request_acts_through(request, membership)
        api_token_used(token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests, and tells clients the scheme.
        return f'{self.keyword} realm="api"'
