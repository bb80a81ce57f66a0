"""What the feed says, sentence by sentence, for the changes a team's producer follows: the status
a version was set to, who joined or left (not "Vic added “Vic”"), notes taken, live sessions handed
over or taken over; and a resent invitation in the audit log. Each is made through the door people
use and read off the feed page as a member reads it."""

from __future__ import annotations

import pytest

from activity.models import AuditEntry
from review_sessions.services import Steerer, participant_join, session_handover
from tests.activity.conftest import team_of
from tests.activity.test_feed import feed_lines
from tests.clients import client_in
from tests.factories import ReviewSessionFactory, UserFactory, VideoFactory, on_plan
from workspaces.invitations import invitation_accept, invitation_create
from workspaces.models import Role
from workspaces.selectors import member_in

pytestmark = pytest.mark.django_db


def test_a_status_change_says_the_status_it_was_set_to() -> None:
    dana, eli = UserFactory(display_name="Dana"), UserFactory(display_name="Eli")
    studio = team_of(dana, {eli: Role.EDITOR})
    video = VideoFactory(owner=dana, workspace=studio, title="Trailer", ready=True)

    answer = client_in(eli, studio).post(f"/sharing/videos/{video.pk}/review-status/", {"status": "changes_requested"})

    assert answer.status_code in (200, 302), answer.content
    assert feed_lines(client_in(dana, studio).get("/activity/"))[0] == (
        "Eli changed the status of “Trailer” to “Changes requested”"
    )


def test_joining_and_leaving_read_as_the_person_who_did_it() -> None:
    dana = on_plan(UserFactory(display_name="Dana"), "team")
    studio = team_of(dana)
    vic = UserFactory(display_name="Vic", email="vic@example.com")
    invitation = invitation_create(membership=member_in(studio, dana.pk), email=vic.email, role=Role.VIEWER)

    invitation_accept(invitation=invitation, user=vic)
    assert feed_lines(client_in(dana, studio).get("/activity/"))[0] == "Vic joined “Studio” as a viewer"

    left = client_in(vic, studio).post(f"/workspaces/{studio.pk}/leave/")
    assert left.status_code in (200, 302), left.content
    assert feed_lines(client_in(dana, studio).get("/activity/"))[0] == "Vic left “Studio”"


def test_a_note_taken_is_in_the_teams_feed_with_its_time() -> None:
    dana, eli = UserFactory(display_name="Dana"), UserFactory(display_name="Eli")
    studio = team_of(dana, {eli: Role.EDITOR})
    video = VideoFactory(owner=dana, workspace=studio, title="Trailer", ready=True, duration=60.0)

    made = client_in(eli, studio).post(
        f"/api/v1/videos/{video.pk}/notes", {"start": 12.5, "text": "Hold longer"}, content_type="application/json"
    )

    assert made.status_code == 201, made.content
    assert feed_lines(client_in(dana, studio).get("/activity/"))[0] == "Eli added a note to “Trailer” at 00:12"


def test_a_session_handed_over_and_taken_back_is_in_the_feed() -> None:
    dana, eli = UserFactory(display_name="Dana"), UserFactory(display_name="Eli")
    studio = team_of(dana, {eli: Role.EDITOR})
    video = VideoFactory(owner=dana, workspace=studio, title="Trailer", ready=True)
    session = ReviewSessionFactory(video=video)
    dana_in = participant_join(session_id=session.pk, name="Dana", user=dana).participant
    eli_in = participant_join(session_id=session.pk, name="Eli", user=eli).participant

    session_handover(session_id=session.pk, to_participant_id=eli_in.pk, steerer=Steerer(user=dana))
    session_handover(session_id=session.pk, to_participant_id=dana_in.pk, steerer=Steerer(user=dana))

    assert feed_lines(client_in(dana, studio).get("/activity/"))[:2] == [
        "Dana took control of the live session on “Trailer”",
        "Dana handed over the live session on “Trailer” to Eli",
    ]


def test_a_resent_invitation_is_in_the_audit_log() -> None:
    dana = on_plan(UserFactory(display_name="Dana"), "team")
    studio = team_of(dana)
    invitation = invitation_create(membership=member_in(studio, dana.pk), email="new@example.com", role=Role.EDITOR)

    answer = client_in(dana, studio).post(f"/workspaces/{studio.pk}/invitations/{invitation.pk}/resend/")

    assert answer.status_code in (200, 302), answer.content
    resent = AuditEntry.objects.filter(workspace_id=studio.pk, action=AuditEntry.Action.INVITATION_RESENT).get()
    assert (resent.actor_email, resent.target_label) == (dana.email, "new@example.com (editor)")
    assert "Invitation resent" in client_in(dana, studio).get("/workspaces/audit/").content.decode()
