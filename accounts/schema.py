"""Teaches drf-spectacular about the bearer-token scheme (imported from AccountsConfig.ready)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.models import ApiToken
from workspaces.token_scopes import SESSION_ONLY, required_scope

_SCOPES = ", ".join(f"`{scope}`" for scope in ApiToken.Scope.values)


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "workspaces.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # Operations closed to tokens (minting or revoking tokens, profile changes) list only the
        # browser session, so the schema says what a token can really do. No alternatives: none.
        if required_scope(auto_schema.view, auto_schema.method) is SESSION_ONLY:
            return []
        return [{self.name: []}]

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token from the settings page: `Authorization: Bearer sage_…`. "
                f"Each token has scopes ({_SCOPES}): reads need `read` (billing's need `billing:read`); "
                "writes need the scope of their area (`videos:write`, `notes:write`, `chat`). Operations "
                "that do not list this scheme take the browser session only; a token lacking a scope gets 403."
            ),
        }
