"""A team's usage per project (issue 52): processing, chat answers and AI notes count in the project
their video is in now; top-level videos under "No project"; chat over the whole library and videos
deleted since under "Other". The rows add up to what the wallet spent."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from accounts.guests import Viewer
from billing.holds import hold_settle
from billing.models import Hold, LedgerEntry, Wallet
from billing.selectors import SPENDING_KINDS, month_start
from chat import services as chat_services
from tests.clients import client_in
from tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TeamWorkspaceFactory,
    TranscriptFactory,
    UserFactory,
    VideoFactory,
)
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401 -- registers the `gemini_stub` fixture
from tests.migrating import migrated_back_to, migrated_forward
from videos.models import Video
from videos.pipeline.steps import ensure_hold
from workspaces.models import Role

pytestmark = pytest.mark.django_db

CHAT, NOTE = 3, 5


def processed(video: Video) -> None:
    hold = ensure_hold(video)
    assert hold is not None
    hold_settle(hold=hold, actual_amount=hold.amount)


def test_usage_per_project_counts_each_videos_work_where_the_video_is_and_the_rest_as_other(
    settings, gemini_stub, django_capture_on_commit_callbacks
) -> None:
    settings.TOKEN_COST_CHAT_ANSWER, settings.TOKEN_COST_AI_NOTE = CHAT, NOTE
    gemini_stub.reply("The harbour shot is longer.")
    team = TeamWorkspaceFactory(name="Northlight")
    editor = MembershipFactory(workspace=team, role=Role.EDITOR, user=UserFactory(ai_notes_enabled=True)).user
    admin = MembershipFactory(workspace=team, role=Role.ADMIN).user
    harbour = ProjectFactory(workspace=team, name="Harbour ad", created_by=editor)
    teaser = VideoFactory(
        owner=editor, workspace=team, title="Teaser", project=harbour, status="processing", duration=30
    )
    loose = VideoFactory(owner=editor, workspace=team, title="Loose cut", status="processing", duration=20)
    gone = VideoFactory(owner=editor, workspace=team, title="Scrap", project=harbour, status="processing", duration=10)
    for video in (teaser, loose, gone):
        processed(video)
    Video.objects.filter(pk__in=[teaser.pk, loose.pk]).update(status=Video.Status.READY)
    TranscriptFactory(video=loose, lines=[(0.0, 4.0, "The harbour shot runs long.")])
    editors_browser = client_in(editor, team)
    assert editors_browser.delete(f"/api/v1/videos/{gone.pk}").status_code == 204

    # A chat answer about the teaser, one over the whole library, an AI note on the loose cut.
    asker = Viewer(user=editor, guest_id=None, workspace_id=team.pk)
    teaser.refresh_from_db()
    for about in (teaser, None):
        conversation = chat_services.conversation_create(viewer=asker, video=about)
        chat_services.answer_begin(viewer=asker, conversation=conversation, text="What changed?")
    with django_capture_on_commit_callbacks(execute=True):
        noted = editors_browser.post(f"/api/v1/videos/{loose.pk}/notes", {"start": 1}, content_type="application/json")
    assert noted.status_code == 201, noted.content

    usage = client_in(admin, team).get("/api/v1/billing/usage").json()

    projects = [(row["kind"], row["project_id"], row["name"], row["tokens"]) for row in usage["projects"]]
    assert projects == [
        ("project", harbour.pk, "Harbour ad", 30 + CHAT),
        ("no_project", None, "No project", 20 + NOTE),
        ("other", None, "Other", 10 + CHAT),  # the deleted video's processing, the library chat
    ]
    spent = -sum(
        LedgerEntry.objects.filter(
            wallet=Wallet.objects.get(workspace=team), kind__in=SPENDING_KINDS, created_at__gte=month_start()
        ).values_list("amount", flat=True)
    )
    assert sum(row[3] for row in projects) == spent
    videos = {row["name"]: (row["tokens"], row["deleted"]) for row in usage["videos"]}
    assert videos == {
        "Teaser": (30 + CHAT, False),
        "Loose cut": (20 + NOTE, False),
        "Processing “Scrap”": (10, True),
    }

    page = client_in(admin, team).get(reverse("billing:billing")).content.decode()
    assert re.search(rf'data-project="{harbour.pk}">\s*<th scope="row"><a href="/videos/projects/{harbour.pk}/">', page)
    assert re.search(r'data-project="other">\s*<th scope="row">Other</th>\s*<td class="numeric">13</td>', page)
    assert "<strong>Other</strong>: chat about the whole library, and videos deleted since." in page


def test_moving_a_video_moves_its_usage_to_its_new_project_and_a_deleted_project_says_so() -> None:
    team = TeamWorkspaceFactory()
    owner = team.created_by
    first, second = (ProjectFactory(workspace=team, name=name, created_by=owner) for name in ("Spring", "Summer"))
    video = VideoFactory(owner=owner, workspace=team, project=first, status="processing", duration=12)
    processed(video)
    browser = client_in(owner, team)

    assert browser.post(f"/api/v1/videos/{video.pk}/move", {"project": second.pk}, content_type="application/json")
    assert browser.delete(f"/api/v1/projects/{second.pk}").status_code == 204

    rows = browser.get("/api/v1/billing/usage").json()["projects"]
    assert [(row["name"], row["tokens"], row["in_trash"]) for row in rows] == [("Summer", 12, True)]
    page = browser.get(reverse("billing:billing")).content.decode()
    assert re.search(r'data-project="\d+">\s*<th scope="row">Summer <span class="muted">\(deleted\)</span>', page)


def test_the_migration_gives_existing_holds_the_video_their_work_was_about() -> None:
    # Before holds named their video; every other app as it is, but for what needs holds as they are.
    apps = migrated_back_to(("billing", "0010_wallet_workspace_required"))
    holds, wallets = apps.get_model("billing", "Hold"), apps.get_model("billing", "Wallet")
    conversations, messages = apps.get_model("chat", "Conversation"), apps.get_model("chat", "Message")
    notes = apps.get_model("notes", "Note")
    team = TeamWorkspaceFactory()
    video = VideoFactory(owner=team.created_by, workspace=team)
    wallet = wallets.objects.get(workspace_id=team.pk)
    about_video = conversations.objects.create(owner_id=video.owner_id, workspace_id=team.pk, video_id=video.pk)
    about_library = conversations.objects.create(owner_id=video.owner_id, workspace_id=team.pk)
    answers = [
        messages.objects.create(conversation=conversation, role="assistant", content="")
        for conversation in (about_video, about_library)
    ]
    note = notes.objects.create(owner_id=video.owner_id, workspace_id=team.pk, video_id=video.pk, start=1, text="")
    refs = [("video", video.pk), ("message", answers[0].pk), ("message", answers[1].pk), ("note", note.pk)]
    for n, (ref_type, ref_id) in enumerate(refs):
        holds.objects.create(wallet=wallet, amount=1, key=f"old-{n}", ref_type=ref_type, ref_id=str(ref_id))
    with connection.cursor() as cursor:  # the foreign keys checked now: Postgres alters no table with checks pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    migrated_forward()

    about = dict(Hold.objects.filter(key__startswith="old-").values_list("key", "about_video"))
    assert about == {"old-0": video.pk, "old-1": video.pk, "old-2": None, "old-3": video.pk}
