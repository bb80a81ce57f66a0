from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User
from billing.selectors import wallet_of_workspace
from workspaces.current import acting_workspace_id


def balance(request: HttpRequest) -> dict[str, object]:
    """The header's token balance, on every page for signed-in users (updated live by live.js): the
    wallet of the workspace the page acts in, which pays for what is done there."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"header_wallet": wallet_of_workspace(acting_workspace_id(request))}
