"""Operators read the feed and the audit log in the admin, filtered and searched, and can change
nothing there."""

from __future__ import annotations

import pytest
from django.test import Client

from activity.models import AuditEntry
from tests.activity.conftest import team_of
from tests.factories import ActivityEventFactory, ApiTokenFactory, AuditEntryFactory, ShareLinkFactory, UserFactory
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

AUDIT = "/admin/activity/auditentry/"
EVENTS = "/admin/activity/activityevent/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_audit_log_is_listed_filtered_and_searched(operator) -> None:
    team = team_of(UserFactory(), name="Studio")
    AuditEntryFactory(workspace=team, action="link_created", actor_email="eda@studio.example", target_label="Client A")
    AuditEntryFactory(workspace=team, action="tokens_bought", actor_email="olga@studio.example", target_label="Pack")
    AuditEntryFactory(workspace=None, action="token_revoked", actor_email="ops@example.com", target_label="Site")

    listed = operator.get(AUDIT)
    by_action = operator.get(AUDIT, {"action__exact": "tokens_bought"})
    by_workspace = operator.get(AUDIT, {"workspace__id__exact": team.pk})
    searched = operator.get(AUDIT, {"q": "eda@studio"})

    assert listed.status_code == 200
    page = listed.content.decode()
    assert "Client A" in page and "Site-wide" in page and "Studio (team)" in page
    for title in ("action", "workspace", "created at"):  # the filters
        assert f'data-filter-title="{title}"' in page
    assert [e.target_label for e in by_action.context["cl"].result_list] == ["Pack"]
    assert {e.target_label for e in by_workspace.context["cl"].result_list} == {"Client A", "Pack"}
    assert [e.target_label for e in searched.context["cl"].result_list] == ["Client A"]


def test_the_activity_is_listed_and_filtered_by_verb(operator) -> None:
    ActivityEventFactory(verb="uploaded", target_label="Cut 1")
    ActivityEventFactory(verb="commented", target_label="Cut 2")

    listed = operator.get(EVENTS)
    by_verb = operator.get(EVENTS, {"verb__exact": "commented"})

    assert listed.status_code == 200 and "Cut 1" in listed.content.decode()
    assert [e.target_label for e in by_verb.context["cl"].result_list] == ["Cut 2"]


@pytest.mark.parametrize(("url", "factory"), [(AUDIT, AuditEntryFactory), (EVENTS, ActivityEventFactory)])
def test_rows_are_read_only_in_the_admin(operator, url, factory) -> None:
    row = factory(target_label="Kept")

    detail = operator.get(f"{url}{row.pk}/change/")
    changed = operator.post(f"{url}{row.pk}/change/", {"target_label": "Changed"})

    assert detail.status_code == 200 and "Kept" in detail.content.decode()
    assert 'name="target_label"' not in detail.content.decode()  # shown, not editable
    assert changed.status_code == 403
    assert operator.get(f"{url}add/").status_code == 403
    assert operator.post(f"{url}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.post(url, {"action": "delete_selected", "_selected_action": [row.pk]}).status_code in (200, 302)
    row.refresh_from_db()
    assert row.target_label == "Kept"


def test_an_operators_revocations_of_links_and_tokens_name_the_operator(operator) -> None:
    link = ShareLinkFactory()
    token = ApiTokenFactory()
    staff = operator.session["_auth_user_id"]

    operator.post("/admin/reviews/sharelink/", {"action": "revoke", "_selected_action": [link.pk]}, follow=True)
    operator.post("/admin/accounts/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True)

    revoked = {entry.action: entry for entry in AuditEntry.objects.filter(action__in=["link_revoked", "token_revoked"])}
    assert set(revoked) == {"link_revoked", "token_revoked"}
    for entry in revoked.values():
        assert str(entry.actor_id) == staff and entry.details["by_operator"] is True
    assert revoked["link_revoked"].workspace_id == personal_workspace_of(link.owner).pk
    assert revoked["token_revoked"].workspace_id == personal_workspace_of(token.user).pk
