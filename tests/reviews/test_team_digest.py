"""The review digest in a team workspace (issue 52): the object's maker and the team's admins and owner
each get one e-mail with each item once; a person who opted out (settings page), was removed from the
team before the e-mail went, or made the change is never told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from reviews.comments import comment_create_by_guest
from reviews.digest import comment_digests_send
from reviews.tasks import send_comment_digests
from tests.clients import client_in as browser_in
from tests.factories import MembershipFactory, ShareLinkFactory, TeamWorkspaceFactory, UserFactory, VideoFactory
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db

KEY = "k" * 40


def member(team: Workspace, role: str, name: str) -> User:
    return MembershipFactory(workspace=team, role=role, user=UserFactory(email=f"{name}@studio.example")).user


def guest_comment(link, body: str) -> None:
    comment_create_by_guest(link=link, reviewer_key=KEY, body=body, author_name="Client", side="video", start=1.0)


def test_the_maker_and_the_teams_admins_and_owner_each_get_it_once_and_nobody_else(mailoutbox) -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    owner = team.created_by
    admin = member(team, Role.ADMIN, "ada")
    editor = member(team, Role.EDITOR, "eddie")
    member(team, Role.VIEWER, "vera")
    quiet = member(team, Role.ADMIN, "quinn")
    leaving = member(team, Role.ADMIN, "lee")
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    link = ShareLinkFactory(video=cut, permission="comment", allow_status=True)

    # Quinn opts out on the settings page; the switch is on by default.
    saved = browser_in(quiet, team).post(
        "/settings/profile/", {"display_name": "Quinn", "ai_notes_enabled": "on"}, follow=True
    )
    assert saved.status_code == 200 and not User.objects.get(pk=quiet.pk).review_digest_emails
    guest_comment(link, "The logo is too big")
    # The editor asks for review: the admins hear of it, the editor does not hear of their own change.
    asked = browser_in(editor, team).put(
        f"/api/v1/videos/{cut.pk}/review-status", {"status": "needs_review"}, content_type="application/json"
    )
    assert asked.status_code == 200, asked.content
    comment_digests_send()  # handed out to Lee too, then…
    assert len(mailoutbox) == 4
    mailoutbox.clear()
    guest_comment(link, "And the end card is late")
    # …Lee is removed before the next e-mail goes.
    removed = browser_in(owner, team).post(f"/workspaces/{team.pk}/members/{leaving.pk}/remove/")
    assert removed.status_code == 302

    assert send_comment_digests() == 0  # within the period: nobody twice in five minutes
    assert comment_digests_send(now=timezone.now() + timedelta(minutes=6)) == 3

    told = {message.to[0]: message for message in mailoutbox}
    assert set(told) == {owner.email, admin.email, editor.email}
    assert all("And the end card is late" in message.body for message in told.values())
    assert "The logo is too big" not in told[admin.email].body  # each item once: it was in the first e-mail
    assert "Video: Harbour cut (in “Northlight”)" in told[admin.email].body


def test_the_first_digest_tells_the_editor_of_comments_and_the_admins_of_comments_and_the_request(mailoutbox) -> None:
    team = TeamWorkspaceFactory(name="Northlight")
    admin = member(team, Role.ADMIN, "ada")
    editor = member(team, Role.EDITOR, "eddie")
    cut = VideoFactory(owner=editor, workspace=team, title="Harbour cut", ready=True)
    link = ShareLinkFactory(video=cut, permission="comment")
    guest_comment(link, "Colour is off")
    browser_in(editor, team).put(
        f"/api/v1/videos/{cut.pk}/review-status", {"status": "needs_review"}, content_type="application/json"
    )

    assert comment_digests_send() == 3

    told = {message.to[0]: message for message in mailoutbox}
    assert told[editor.email].subject == "1 new comment from reviewers"
    assert told[admin.email].subject == "1 new comment and 1 review status change from reviewers"
    assert "Harbour cut (in “Northlight”): Needs review by" in told[admin.email].body


def test_a_maker_who_is_also_the_owner_gets_one_e_mail_with_each_comment_once(mailoutbox) -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    cut = VideoFactory(owner=owner, workspace=team, ready=True)
    guest_comment(ShareLinkFactory(video=cut, permission="comment"), "Once only")

    assert comment_digests_send() == 1

    assert [message.to for message in mailoutbox] == [[owner.email]]
    assert mailoutbox[0].body.count("Once only") == 1
