"""The shared sample: made once by the site (the demo pair, processed by the real pipeline, compared,
with notes and a prepared conversation), viewable by every account through the read selectors' one
extra path, and never changed, deleted, charged or chatted into by anyone."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.http import Http404
from rest_framework.test import APIClient

from billing.models import LedgerEntry, Wallet
from chat.models import Conversation, Message
from notes.models import Note
from showcase.sample import SAMPLE_NOTES, SAMPLE_QUESTIONS, sample_owner_ensure
from showcase.services import sample_ensure
from tests.factories import ComparisonFactory, ConversationFactory, UserFactory, member_in
from videos.compare.selectors import comparison_get_for_user, comparison_get_to_view, sample_comparison
from videos.models import Comparison, Video
from videos.selectors import video_get_for_user, video_get_to_view

pytestmark = pytest.mark.django_db


def test_the_sample_is_made_once_by_the_real_pipeline_with_notes_and_a_conversation(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # processing and the build run eagerly
        assert sample_ensure().state == "started"

    comparison = sample_comparison()
    assert comparison is not None
    owner = comparison.owner
    assert owner.is_sample_owner and not owner.is_active and not owner.has_usable_password()
    for video in (comparison.video_a, comparison.video_b):
        assert video.status == Video.Status.READY, video.error_message
        assert video.transcript.text
    assert {segment["kind"] for segment in comparison.segments} >= {"only_b"}

    notes = list(Note.objects.filter(owner=owner).order_by("start"))
    assert len(notes) == len(SAMPLE_NOTES)
    assert {note.video_id for note in notes} == {comparison.video_a_id, comparison.video_b_id}
    inserted = next(note for note in notes if "Only in B" in note.text)
    assert inserted.video_id == comparison.video_b_id and 19.0 <= inserted.start <= 21.0  # the insertion is 20–26 s

    conversation = Conversation.objects.get(owner=owner)
    answers = list(conversation.messages.filter(role=Message.Role.ASSISTANT).order_by("pk"))
    assert len(answers) == len(SAMPLE_QUESTIONS)
    for answer in answers:
        assert answer.cost == 0 and answer.citations, answer.content
        assert all(citation["video_id"] == comparison.video_b_id for citation in answer.citations)
    assert "added to the edited version" in answers[0].content

    # Asked again (the next `make run`, `manage.py sample`): nothing new is made.
    out = io.StringIO()
    call_command("sample", stdout=out)
    assert "ready" in out.getvalue()
    assert Video.objects.filter(owner=owner).count() == 2
    assert Comparison.objects.filter(owner=owner).count() == 1
    assert Note.objects.filter(owner=owner).count() == len(SAMPLE_NOTES)
    assert Conversation.objects.filter(owner=owner).count() == 1


# --- who may see and do what -------------------------------------------------------------------------


@pytest.fixture
def sample(settings) -> Comparison:
    """A sample comparison as the selectors see it (its row only; the build has its own test above),
    with a file behind video A."""
    comparison = ComparisonFactory(owner=sample_owner_ensure(), refined=True)
    path = Path(settings.MEDIA_ROOT) / comparison.video_a.storage_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42sample")
    return comparison


@pytest.fixture
def viewer_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def balance(user) -> int:
    return Wallet.objects.get(user=user).balance


def test_everyone_views_the_sample_but_only_through_the_read_path(user, sample) -> None:
    assert comparison_get_to_view(member_in(user), sample.pk) == sample
    assert video_get_to_view(member_in(user), sample.video_b_id) == sample.video_b
    with pytest.raises(Http404):
        comparison_get_for_user(member_in(user), sample.pk)  # the write path stays strict
    with pytest.raises(Http404):
        video_get_for_user(member_in(user), sample.video_a_id)


def test_another_persons_videos_and_comparisons_stay_hidden_on_the_read_path(user, other_user) -> None:
    theirs = ComparisonFactory(owner=other_user, refined=True)
    with pytest.raises(Http404):
        comparison_get_to_view(member_in(user), theirs.pk)
    with pytest.raises(Http404):
        video_get_to_view(member_in(user), theirs.video_a_id)
    assert comparison_get_to_view(member_in(other_user), theirs.pk) == theirs  # and the owner still sees them


def test_the_sample_is_read_but_never_changed_deleted_charged_or_chatted_into(user, sample, viewer_client) -> None:
    before = balance(user)
    entries = LedgerEntry.objects.count()
    detail = f"/api/v1/comparisons/{sample.pk}"

    assert viewer_client.get(detail).status_code == 200
    assert viewer_client.get(detail, {"threshold": 0.5}).status_code == 200  # judged, not kept
    assert viewer_client.get(f"{detail}/export.csv").status_code == 200
    assert viewer_client.get(f"/videos/{sample.video_a_id}/file").status_code == 200
    assert viewer_client.get(f"/compare/{sample.pk}/").status_code == 200

    assert viewer_client.patch(detail, {"threshold": 0.5}, format="json").status_code == 404
    assert viewer_client.delete(detail).status_code == 404
    assert viewer_client.delete(f"/api/v1/videos/{sample.video_a_id}").status_code == 404
    assert viewer_client.post(f"/videos/{sample.video_a_id}/delete/").status_code == 404
    for text in ("my note", ""):  # "" would be a paid AI note
        notes_url = f"/api/v1/videos/{sample.video_b_id}/notes"
        assert viewer_client.post(notes_url, {"start": 1, "text": text}, format="json").status_code == 404
    assert viewer_client.post("/api/v1/conversations", {"video": sample.video_b_id}, format="json").status_code == 404
    prepared = ConversationFactory(owner=sample.owner, video=sample.video_b, title="Prepared")
    asked = viewer_client.post(f"/api/v1/conversations/{prepared.pk}/messages", {"text": "Hi?"}, format="json")
    assert asked.status_code == 404

    sample.refresh_from_db()
    assert sample.threshold == 0.15
    assert Video.objects.filter(pk__in=(sample.video_a_id, sample.video_b_id)).count() == 2
    assert not Note.objects.exists() and prepared.messages.count() == 0
    assert balance(user) == before and LedgerEntry.objects.count() == entries


def test_the_sample_account_is_one_account_nobody_can_sign_in_as(client) -> None:
    owner = sample_owner_ensure()
    assert sample_owner_ensure() == owner
    assert not client.login(email=owner.email, password="")
    assert client.get("/").status_code == 200 and "_auth_user_id" not in client.session


# --- the way in: the dashboard and an empty library ---------------------------------------------------


def test_the_dashboard_opens_the_sample_in_one_click_once_it_is_made(client, user) -> None:
    client.force_login(user)
    assert "Try SAGE on a sample" not in client.get("/").content.decode()  # none on this site: nothing said

    sample_owner_ensure()  # made, its videos still processing
    assert "The sample is being prepared" in client.get("/").content.decode()

    comparison = ComparisonFactory(owner=sample_owner_ensure(), refined=True)
    dashboard = client.get("/").content.decode()
    assert f'href="/compare/{comparison.pk}/" data-sample-link>Open the sample comparison</a>' in dashboard
    assert f'href="/compare/{comparison.pk}/" data-sample-link>' in client.get("/videos/").content.decode()
    assert f'href="/compare/{comparison.pk}/" data-sample-link>' in client.get("/compare/").content.decode()


def test_operators_are_told_how_to_make_a_missing_sample(client) -> None:
    client.force_login(UserFactory(is_staff=True))
    assert "manage.py sample" in client.get("/").content.decode()


def test_a_visitor_signs_up_from_the_landing_page_straight_into_the_sample(client) -> None:
    comparison = ComparisonFactory(owner=sample_owner_ensure(), refined=True)
    landing = client.get("/").content.decode()
    assert f'href="/accounts/signup/?next=/compare/{comparison.pk}/"' in landing

    signed_up = client.post(
        f"/accounts/signup/?next=/compare/{comparison.pk}/",
        {"email": "new@example.com", "password1": "a-long-and-unusual-passphrase-71",
         "password2": "a-long-and-unusual-passphrase-71", "next": f"/compare/{comparison.pk}/"},
    )  # fmt: skip

    assert signed_up.status_code == 302 and signed_up["Location"] == f"/compare/{comparison.pk}/"
    assert client.get(signed_up["Location"]).status_code == 200


def test_a_sample_whose_videos_failed_is_made_again(quick_sample_videos, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks():  # not run: only the rows are looked at
        assert sample_ensure().state == "started"
    owner = sample_owner_ensure()
    first = list(Video.objects.filter(owner=owner).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks():
        assert sample_ensure().state == "processing"  # still queued: asked again, nothing new
    assert list(Video.objects.filter(owner=owner).values_list("pk", flat=True)) == first

    Video.objects.filter(pk=first[0]).update(status=Video.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert sample_ensure().state == "started"
    again = set(Video.objects.filter(owner=owner).values_list("pk", flat=True))
    assert len(again) == 2 and not again & set(first)
    assert queued  # processing queued for the new pair


@pytest.fixture
def quick_sample_videos(monkeypatch, tmp_path: Path) -> None:
    """The rows and their queueing are what is looked at: a one-second clip stands in for each video,
    and processing is not run."""
    from sage.synthetic_media import make_video
    from showcase import demo

    clip = make_video(tmp_path / "tiny.mp4", seconds=1.0)
    monkeypatch.setattr(demo, "write_demo_video", lambda path, stretches: Path(shutil.copyfile(clip, path)))
    monkeypatch.setattr("videos.tasks.process_video.delay", lambda video_id: None)
    monkeypatch.setattr("showcase.tasks.build_sample.delay", lambda a_id, b_id: None)
