"""Test clients as people use the site: a signed-in browser acting in a workspace."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from workspaces.current import SESSION_KEY
from workspaces.models import Workspace


def client_in(user: User, workspace: Workspace | None = None, *, address: str = "127.0.0.1") -> Client:
    """A signed-in browser acting in `workspace` (chosen as the header switcher does; None: personal)."""
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    if workspace is not None:
        session = client.session
        session[SESSION_KEY] = workspace.pk
        session.save()
    return client
