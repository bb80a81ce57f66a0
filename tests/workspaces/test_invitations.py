"""Invitations by e-mail, as people meet them: an admin invites from the workspace page, the link in
the mail opens the invitation, a new person signs up through allauth's form (the address filled in
and counted as verified) or an existing one signs in, and accepting makes them a member. Links that
no longer work, the wrong account, seats and roles all answer a page that says why."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, TeamWorkspaceFactory, UserFactory, on_plan
from workspaces import invitations
from workspaces.models import Invitation, Membership, Role, Workspace

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-77"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def owner_client(workspace: Workspace) -> Client:
    assert workspace.created_by is not None  # TeamWorkspaceFactory's creator owns it
    return signed_in(workspace.created_by)


def invite(client: Client, workspace: Workspace, email: str, role: str = Role.EDITOR):
    return client.post(f"/workspaces/{workspace.pk}/invitations/", {"email": email, "role": role})


def last_link() -> str:
    """The invitation link's path in the last mail sent."""
    match = re.search(r"https?://[^/\s]+(/workspaces/invitations/[^\s]+)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def text_of(response) -> str:
    """The page's words, as a person reads them (tags out, spaces folded)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def test_a_new_person_signs_up_from_the_link_and_joins_with_the_invited_role(settings) -> None:
    # Mandatory verification: the link reached the address, so the new account needs no confirmation mail.
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    workspace = TeamWorkspaceFactory(name="Post House")
    response = invite(owner_client(workspace), workspace, "New.Person@Example.com")
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["new.person@example.com"]
    assert "Post House" in message.subject
    link = last_link()

    newcomer = Client()
    invitation_page = newcomer.get(link)
    assert invitation_page.status_code == 200
    assert invitation_page["Referrer-Policy"] == "same-origin"
    assert "Create an account" in text_of(invitation_page)
    signup_url = re.findall(r'href="(/accounts/signup/[^"]+)"', invitation_page.content.decode())[0]
    signup_url = signup_url.replace("&amp;", "&")
    form = newcomer.get(signup_url)
    assert 'value="new.person@example.com"' in form.content.decode()  # filled in
    signed_up = newcomer.post(
        signup_url,
        {"email": "new.person@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert (signed_up.status_code, signed_up["Location"]) == (302, link)
    person = User.objects.get(email="new.person@example.com")
    assert EmailAddress.objects.get(user=person).verified
    assert len(mail.outbox) == 1  # no confirmation mail was needed

    accept_page = newcomer.get(link)
    assert "Accept and join" in text_of(accept_page)
    accepted = newcomer.post(link)

    assert (accepted.status_code, accepted["Location"]) == (302, f"/workspaces/{workspace.pk}/")
    assert Membership.objects.get(workspace=workspace, user=person).role == Role.EDITOR
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.state, invitation.accepted_by) == (Invitation.State.ACCEPTED, person)
    page = text_of(newcomer.get(f"/workspaces/{workspace.pk}/"))
    assert "You joined “Post House” as editor." in page
    assert "new.person@example.com" in page


def test_an_existing_account_signs_in_from_the_link_and_joins() -> None:
    workspace = TeamWorkspaceFactory()
    person = UserFactory(email="ana@example.com")
    invite(owner_client(workspace), workspace, "ana@example.com", Role.COMMENTER)
    link = last_link()

    browser = Client()
    assert "Log in" in text_of(browser.get(link))
    logged_in = browser.post(
        "/accounts/login/", {"login": "ana@example.com", "password": DEFAULT_PASSWORD, "next": link}
    )
    assert logged_in["Location"] == link
    browser.post(link)

    assert Membership.objects.get(workspace=workspace, user=person).role == Role.COMMENTER
    # Joined, they are in the team at once: the header's switcher shows it chosen.
    header = browser.get("/videos/").content.decode()
    assert f'<option value="{workspace.pk}" selected>{workspace.name}</option>' in header


def test_another_account_than_the_invited_one_is_refused_and_told_which_is_signed_in() -> None:
    workspace = TeamWorkspaceFactory()
    invite(owner_client(workspace), workspace, "ana@example.com")
    link = last_link()
    someone_else = signed_in(UserFactory(email="bo@example.com"))

    page = someone_else.get(link)
    posted = someone_else.post(link)

    assert page.status_code == posted.status_code == 403
    assert "This invitation is for ana@example.com, but you are signed in as bo@example.com" in text_of(page)
    assert Membership.objects.filter(workspace=workspace).count() == 1


def test_an_expired_link_answers_a_page_that_says_so() -> None:
    workspace = TeamWorkspaceFactory()
    invite(owner_client(workspace), workspace, "ana@example.com")
    link = last_link()
    person = UserFactory(email="ana@example.com")

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        page = Client().get(link)
        posted = signed_in(person).post(link)

    assert page.status_code == posted.status_code == 410
    assert "This invitation has expired" in text_of(page)
    assert not Membership.objects.filter(workspace=workspace, user=person).exists()


def test_a_revoked_link_stops_working_at_once() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)
    invite(owner, workspace, "ana@example.com")
    link = last_link()
    invitation = Invitation.objects.get(workspace=workspace)

    owner.post(f"/workspaces/{workspace.pk}/invitations/{invitation.pk}/revoke/")
    page = signed_in(UserFactory(email="ana@example.com")).get(link)

    assert page.status_code == 410
    assert "This invitation was withdrawn" in text_of(page)
    assert "Revoked" in text_of(owner.get(f"/workspaces/{workspace.pk}/"))


def test_a_used_link_cannot_be_used_again_and_an_unknown_one_is_a_clear_404() -> None:
    workspace = TeamWorkspaceFactory()
    invite(owner_client(workspace), workspace, "ana@example.com")
    link = last_link()
    person = signed_in(UserFactory(email="ana@example.com"))
    person.post(link)

    again = person.get(link)
    unknown = Client().get("/workspaces/invitations/not-a-real-token/")

    assert again.status_code == 410
    assert "already accepted" in text_of(again)
    assert unknown.status_code == 404
    assert "No invitation has this link" in text_of(unknown)


def test_resending_mails_a_new_link_and_the_old_one_stops_working() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)
    invite(owner, workspace, "ana@example.com")
    old_link = last_link()
    invitation = Invitation.objects.get(workspace=workspace)

    owner.post(f"/workspaces/{workspace.pk}/invitations/{invitation.pk}/resend/")
    new_link = last_link()
    person = signed_in(UserFactory(email="ana@example.com"))

    assert len(mail.outbox) == 2 and new_link != old_link
    assert person.get(old_link).status_code == 404
    assert person.post(new_link).status_code == 302
    assert Membership.objects.filter(workspace=workspace, user__email="ana@example.com").exists()


def test_inviting_a_member_or_an_address_already_invited_is_refused_clearly() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)
    MembershipFactory(workspace=workspace, user=UserFactory(email="member@example.com"))
    invite(owner, workspace, "ana@example.com")

    member = invite(owner, workspace, "MEMBER@example.com")
    twice = invite(owner, workspace, "ana@example.com")

    assert member.status_code == twice.status_code == 409
    assert "member@example.com is already a member of this workspace" in text_of(member)
    assert "ana@example.com is already invited: resend that invitation instead" in text_of(twice)
    assert len(mail.outbox) == 1


def test_the_seat_limit_is_shown_on_the_page_that_refuses() -> None:
    workspace = TeamWorkspaceFactory()
    MembershipFactory.create_batch(9, workspace=workspace)

    response = invite(owner_client(workspace), workspace, "eleventh@example.com")

    assert response.status_code == 409
    assert "This workspace has 10 seats, all taken" in text_of(response)
    assert not Invitation.objects.exists()


def test_a_viewer_cannot_invite_and_nobody_is_invited_above_their_own_role() -> None:
    workspace = TeamWorkspaceFactory()
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)

    by_viewer = invite(signed_in(viewer.user), workspace, "ana@example.com", Role.VIEWER)
    as_owner = invite(signed_in(admin.user), workspace, "ana@example.com", Role.OWNER)

    assert by_viewer.status_code == 403
    assert "Only admins of this workspace can invite people." in text_of(by_viewer)
    assert as_owner.status_code == 400  # not one of the roles the form offers
    assert not Invitation.objects.exists()


def test_invitations_sent_are_rate_limited(monkeypatch) -> None:
    monkeypatch.setattr(invitations, "INVITATIONS_SENT_PER_HOUR", 2)
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)

    statuses = [invite(owner, workspace, f"person{n}@example.org").status_code for n in range(3)]

    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_pages_of_another_workspace_are_404_and_writes_change_nothing() -> None:
    workspace = TeamWorkspaceFactory(name="Theirs")
    stranger = signed_in(UserFactory())
    member = MembershipFactory(workspace=workspace)

    assert stranger.get(f"/workspaces/{workspace.pk}/").status_code == 404
    assert stranger.post(f"/workspaces/{workspace.pk}/rename/", {"name": "Mine"}).status_code == 404
    assert stranger.post(f"/workspaces/{workspace.pk}/members/{member.user_id}/remove/").status_code == 404
    assert invite(stranger, workspace, "ana@example.com").status_code == 404
    workspace.refresh_from_db()
    assert workspace.name == "Theirs"
    assert Membership.objects.filter(pk=member.pk).exists()


def test_the_workspace_page_lets_the_owner_manage_members_and_invitations() -> None:
    workspace = TeamWorkspaceFactory(name="Post House")
    owner = owner_client(workspace)
    editor = MembershipFactory(workspace=workspace, role=Role.EDITOR, user=UserFactory(email="ed@example.com"))
    invite(owner, workspace, "ana@example.com", Role.VIEWER)

    page = text_of(owner.get(f"/workspaces/{workspace.pk}/"))
    promoted = owner.post(f"/workspaces/{workspace.pk}/members/{editor.user_id}/role/", {"role": Role.ADMIN})
    removed = owner.post(f"/workspaces/{workspace.pk}/members/{editor.user_id}/remove/", follow=True)

    assert "3 of 10 seats taken" in page
    assert "ed@example.com" in page and "ana@example.com" in page and "Pending" in page
    assert "Transfer ownership" in page and "Send invitation" in page
    assert promoted.status_code == 302
    assert "was removed. What they made stays in the workspace." in text_of(removed)
    assert not Membership.objects.filter(pk=editor.pk).exists()


def test_a_viewer_sees_the_members_but_no_management_and_may_leave() -> None:
    workspace = TeamWorkspaceFactory(name="Post House")
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    client = signed_in(viewer.user)

    page = text_of(client.get(f"/workspaces/{workspace.pk}/"))
    left = client.post(f"/workspaces/{workspace.pk}/leave/", follow=True)

    assert workspace.created_by.email in page
    assert "Send invitation" not in page and "Change role" not in page and "Rename" not in page
    assert "You left “Post House”." in text_of(left)
    assert not Membership.objects.filter(pk=viewer.pk).exists()


def test_the_list_offers_a_team_workspace_to_team_plans_and_the_billing_page_to_others() -> None:
    team_owner = TeamWorkspaceFactory(name="Studio").created_by
    free = UserFactory()

    team_page = text_of(signed_in(team_owner).get("/workspaces/"))
    created = signed_in(team_owner).post("/workspaces/new/", {"name": "Second studio"})
    free_page = signed_in(free).get("/workspaces/").content.decode()
    refused = signed_in(free).post("/workspaces/new/", {"name": "Mine"})

    assert "Studio" in team_page and "Create workspace" in team_page
    assert created.status_code == 302
    assert Workspace.objects.filter(name="Second studio", created_by=team_owner).exists()
    assert "Team workspaces come with the Team plan" in free_page and 'href="/billing/"' in free_page
    assert refused.status_code == 403
    assert not Workspace.objects.filter(created_by=free, kind=Workspace.Kind.TEAM).exists()


def test_the_owner_transfers_from_the_page() -> None:
    workspace = TeamWorkspaceFactory()
    heir = MembershipFactory(workspace=workspace, role=Role.ADMIN, user=on_plan(UserFactory(), "team"))

    response = owner_client(workspace).post(
        f"/workspaces/{workspace.pk}/transfer/", {"user_id": heir.user_id}, follow=True
    )

    assert "now owns this workspace; you are an admin of it" in text_of(response)
    assert Membership.objects.get(workspace=workspace, role=Role.OWNER).user_id == heir.user_id


def test_operators_see_invitations_in_the_admin_but_never_a_token() -> None:
    workspace = TeamWorkspaceFactory(name="Post House")
    invite(owner_client(workspace), workspace, "ana@example.com")
    token = last_link().rstrip("/").rsplit("/", 1)[-1]
    invitation = Invitation.objects.get()
    operator = signed_in(UserFactory(is_staff=True, is_superuser=True))

    listed = operator.get("/admin/workspaces/invitation/")
    shown = operator.get(f"/admin/workspaces/invitation/{invitation.pk}/change/")

    assert listed.status_code == shown.status_code == 200
    assert "ana@example.com" in text_of(listed) and "Post House" in text_of(listed)
    for page in (listed, shown):
        assert token not in page.content.decode() and invitation.token_digest not in page.content.decode()


def test_the_settings_pages_lead_to_the_workspaces() -> None:
    page = signed_in(UserFactory()).get("/settings/").content.decode()

    assert 'href="/workspaces/"' in page


def test_the_workspace_page_takes_the_same_queries_however_many_members_and_invitations() -> None:
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)
    url = f"/workspaces/{workspace.pk}/"
    MembershipFactory(workspace=workspace)
    invite(owner, workspace, "first@example.com")
    owner.get(url)  # warm: the session, the wallet

    with CaptureQueriesContext(connection) as few:
        owner.get(url)
    MembershipFactory.create_batch(4, workspace=workspace)
    for n in range(3):
        invite(owner, workspace, f"more{n}@example.com")
    with CaptureQueriesContext(connection) as many:
        page = text_of(owner.get(url))

    assert "more2@example.com" in page and "10 of 10 seats taken" in page
    assert len(many) == len(few)


def test_a_personal_workspace_page_has_no_invitations_and_points_to_teams() -> None:
    user = UserFactory()
    personal = Workspace.objects.get(created_by=user, kind=Workspace.Kind.PERSONAL)

    page = text_of(signed_in(user).get(f"/workspaces/{personal.pk}/"))

    assert "Your personal workspace is yours alone" in page
    assert "Send invitation" not in page and "Leave" not in page and "Transfer ownership" not in page


def test_resending_counts_against_the_same_sending_limit(monkeypatch) -> None:
    monkeypatch.setattr(invitations, "INVITATIONS_SENT_PER_HOUR", 2)
    workspace = TeamWorkspaceFactory()
    owner = owner_client(workspace)
    invite(owner, workspace, "ana@example.com")
    invitation = Invitation.objects.get()
    resend = f"/workspaces/{workspace.pk}/invitations/{invitation.pk}/resend/"

    first = owner.post(resend)
    second = owner.post(resend, follow=True)

    assert first.status_code == 302
    assert "You have sent 2 invitations in the last hour" in text_of(second)
    assert len(mail.outbox) == 2


def test_with_sign_ups_closed_the_link_offers_only_to_log_in(settings) -> None:
    settings.ACCOUNT_ALLOW_SIGNUP = False
    workspace = TeamWorkspaceFactory()
    invite(owner_client(workspace), workspace, "ana@example.com")

    page = text_of(Client().get(last_link()))

    assert "Log in as ana@example.com" in page
    assert "Create an account" not in page


def test_the_pages_revoke_and_resend_say_what_they_did_and_another_workspaces_invitation_is_404() -> None:
    workspace, elsewhere = TeamWorkspaceFactory(), TeamWorkspaceFactory()
    owner = owner_client(workspace)
    invite(owner, workspace, "ana@example.com")
    invite(owner_client(elsewhere), elsewhere, "bo@example.com")
    ours, theirs = Invitation.objects.get(workspace=workspace), Invitation.objects.get(workspace=elsewhere)
    base = f"/workspaces/{workspace.pk}/invitations"

    resent = owner.post(f"{base}/{ours.pk}/resend/", follow=True)
    revoked = owner.post(f"{base}/{ours.pk}/revoke/", follow=True)
    resend_revoked = owner.post(f"{base}/{ours.pk}/resend/", follow=True)

    assert "Invitation sent to ana@example.com again; the link sent before no longer works." in text_of(resent)
    assert "Invitation to ana@example.com revoked: its link no longer works." in text_of(revoked)
    assert resend_revoked.redirect_chain[-1][0] == f"/workspaces/{workspace.pk}/"
    assert "This invitation was revoked: invite the address again instead." in text_of(resend_revoked)
    for verb in ("revoke", "resend"):
        assert owner.post(f"{base}/{theirs.pk}/{verb}/").status_code == 404
    assert Invitation.objects.get(pk=theirs.pk).revoked_at is None
