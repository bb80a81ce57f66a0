"""Issue 52, search in a workspace: a team's members search every video of the team, whoever
uploaded it, by its words and by its meaning, on the search page, in the API and through a token;
nobody finds anything of a workspace they do not act in."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import api_token_create
from tests.factories import TranscriptFactory, UserFactory, VideoFactory, member_in
from videos.chunks import replace_chunks
from videos.models import TranscriptChunk, Video
from videos.search import search_quotes
from videos.selectors import search_moments_by_vector
from videos.text_embedding.model import embed_query
from videos.timed_text import TimedLine
from workspaces.models import Membership, Role, Workspace
from workspaces.selectors import personal_workspace_of

pytestmark = pytest.mark.django_db

EGGS = "The queen lays up to two thousand eggs a day in the busiest weeks."
EGGS_QUESTION = "How many eggs does the queen lay?"
OVEN_QUESTION = "How hot should the oven be?"


def far_video(owner: User, workspace: Workspace, lines: list[tuple[float, float, str]], *, away_from: str) -> Video:
    """A video of `workspace` saying `lines`, whose windows' vectors point away from the question
    `away_from`: only its words can find it."""
    video = VideoFactory(owner=owner, workspace=workspace, title="Apiary", ready=True)
    TranscriptFactory(video=video, lines=lines)
    vectors = np.repeat(-embed_query(away_from)[None, :], len(lines), axis=0)
    replace_chunks(video, TranscriptChunk.Kind.SAID, [TimedLine(*line) for line in lines], vectors)
    return video


@pytest.fixture
def studio() -> tuple[Workspace, User, User, Video, Video]:
    """A team with an editor and a producer; the editor uploaded both of its videos: one only its
    words find (the apiary), one its meaning finds (the sourdough)."""
    editor, producer = UserFactory(), UserFactory()
    team = Workspace.objects.create(name="North Studio", kind=Workspace.Kind.TEAM, created_by=editor)
    Membership.objects.create(workspace=team, user=editor, role=Role.OWNER)
    Membership.objects.create(workspace=team, user=producer, role=Role.EDITOR)
    apiary = far_video(editor, team, [(0.0, 6.0, "Welcome back to the apiary."), (6.0, 12.0, EGGS)], away_from=EGGS)
    sourdough = VideoFactory(owner=editor, workspace=team, cooking=True)
    return team, editor, producer, apiary, sourdough


def browser_in(user: User, workspace: Workspace | None) -> Client:
    """A signed-in browser that chose `workspace` in the header (None: never switched)."""
    client = Client()
    client.force_login(user)
    if workspace is not None:
        assert client.post(reverse("workspace-switch"), {"workspace": workspace.pk}).status_code == 302
    return client


@pytest.mark.parametrize("through_index", [False, True])
def test_a_member_finds_a_colleagues_video_by_its_words_and_by_its_meaning(studio, settings, through_index) -> None:
    team, _, producer, apiary, sourdough = studio
    # Either way a workspace's search goes: its rows sorted exactly, or a walk of its index part.
    settings.HNSW_MIN_OWNER_CHUNKS = 1 if through_index else 10**9
    settings.HNSW_MIN_OWNER_PERCENT = 0
    in_team = member_in(producer, team.pk)

    by_words = search_quotes(in_team, EGGS_QUESTION)
    by_meaning = search_quotes(in_team, OVEN_QUESTION)

    assert [(quote.video_id, quote.text) for quote in by_words] == [(apiary.pk, EGGS)]
    assert by_meaning and by_meaning[0].video_id == sourdough.pk and by_meaning[0].start == 40.0


def test_nothing_of_the_team_is_found_outside_it(studio) -> None:
    _, _, producer, apiary, sourdough = studio
    stranger = UserFactory()
    VideoFactory(owner=stranger, garden=True)  # the stranger's own, in their personal workspace

    for user in (stranger, producer):  # the producer in their personal workspace
        assert search_quotes(member_in(user), EGGS_QUESTION) == []
        assert search_quotes(member_in(user), OVEN_QUESTION) == []
        # Not even the farthest of the team's windows comes back, by words or by meaning.
        workspace_id = personal_workspace_of(user).pk
        for question in (EGGS_QUESTION, OVEN_QUESTION):
            moments = search_moments_by_vector(workspace_id, embed_query(question), question=question, limit=50)
            assert {moment.video_id for moment in moments}.isdisjoint({apiary.pk, sourdough.pk})


def test_the_search_page_and_the_api_search_the_workspace_chosen_in_the_header(studio) -> None:
    team, _, producer, apiary, _ = studio
    in_team = browser_in(producer, team)
    personal = browser_in(producer, personal_workspace_of(producer))
    stranger = browser_in(UserFactory(), None)

    page = in_team.get(reverse("search"), {"q": EGGS_QUESTION}).content.decode()
    assert f'href="{reverse("videos:video", args=[apiary.pk])}?t=6"' in page and "in the busiest weeks" in page
    # A question nothing answers: the team has windows to search, though the producer uploaded none.
    unanswered = in_team.get(reverse("search"), {"q": "Who won the football world cup in 1998?"}).content.decode()
    assert "answers this closely enough" in unanswered
    api = in_team.get("/api/v1/search", {"q": EGGS_QUESTION}).json()
    assert [(row["video_id"], row["text"]) for row in api] == [(apiary.pk, EGGS)]

    for outside in (personal, stranger):
        assert outside.get("/api/v1/search", {"q": EGGS_QUESTION}).json() == []
        page = outside.get(reverse("search"), {"q": EGGS_QUESTION}).content.decode()
        # Nothing of the team to search there: the page says so, not "nothing answers this".
        assert "in the busiest weeks" not in page and "has a transcript to search yet" in page


def test_an_api_token_searches_the_workspace_it_acts_in(studio) -> None:
    team, _, producer, apiary, _ = studio
    _, team_secret = api_token_create(user=producer, name="script", scopes=["read"], workspace_id=team.pk)
    _, personal_secret = api_token_create(user=producer, name="mine", scopes=["read"])

    def found(secret: str) -> list[int]:
        response = Client().get("/api/v1/search", {"q": EGGS_QUESTION}, headers={"authorization": f"Bearer {secret}"})
        assert response.status_code == 200
        return [row["video_id"] for row in response.json()]

    assert found(team_secret) == [apiary.pk]
    assert found(personal_secret) == []
