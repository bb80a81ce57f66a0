"""Test clients as people use the site: a signed-in browser acting in a workspace, and the data a page
gives its script."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client
from django.urls import reverse

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


def browser_switched_to(user: User, workspace: Workspace | None) -> Client:
    """A signed-in browser that chose `workspace` with the header switcher itself (None: never switched)."""
    client = Client()
    client.force_login(user)
    if workspace is not None:
        response = client.post(reverse("workspace-switch"), {"workspace": workspace.pk})
        assert response.status_code == 302
    return client


def script_json(html: str, element_id: str) -> Any:
    """The JSON a page gives its script in `<script id=element_id type="application/json">`."""
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no {element_id} on the page"
    return json.loads(found.group(1))
