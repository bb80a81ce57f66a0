"""Notes a team takes on its videos show on the team's pages: the comparison page's notes card
and a share link that shows the owner's notes list every note taken on the video in its workspace,
whoever wrote it; notes taken in another workspace on the same sample stay out."""

from __future__ import annotations

import pytest

from tests.clients import client_in, script_json
from tests.factories import (
    ComparisonFactory,
    MembershipFactory,
    NoteFactory,
    ShareLinkFactory,
    UserFactory,
    VideoFactory,
)
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db


def test_the_comparison_page_of_a_teams_pair_lists_the_notes_its_members_took(team: Workspace) -> None:
    editor = UserFactory(display_name="Eli")
    MembershipFactory(workspace=team, user=editor, role=Role.EDITOR)
    owner = team.created_by
    assert owner is not None
    a = VideoFactory(owner=owner, workspace=team, ready=True, comparable=True)
    b = VideoFactory(owner=owner, workspace=team, ready=True, comparable=True)
    comparison = ComparisonFactory(owner=owner, workspace=team, video_a=a, video_b=b)
    NoteFactory(owner=editor, workspace=team, video=a, start=2.0, text="Logo too big here")
    NoteFactory(owner=owner, workspace=owner.personal_workspace, video=VideoFactory(owner=owner), text="Elsewhere")

    html = client_in(owner, team).get(f"/compare/{comparison.pk}/").content.decode()

    notes = script_json(html, "compare-config")["notes"]
    assert [note["text"] for note in notes["a"]] == ["Logo too big here"] and notes["b"] == []
    assert "Logo too big here" in html and "Elsewhere" not in html
    # Each signed by who took it, on the card as in the script's data.
    assert notes["a"][0]["author_name"] == "Eli"
    assert '<span class="compare-note-author muted" data-note-author>Eli</span>' in html


def test_a_link_to_a_teams_video_that_shows_notes_lists_the_teams_notes(team: Workspace) -> None:
    owner = team.created_by
    assert owner is not None
    video = VideoFactory(owner=owner, workspace=team, ready=True)
    NoteFactory(owner=owner, workspace=team, video=video, start=1.0, text="Cut the intro")
    link = ShareLinkFactory(video=video, show_owner_notes=True)

    html = client_in(UserFactory()).get(f"/s/{link.token}/").content.decode()

    assert "Cut the intro" in html
