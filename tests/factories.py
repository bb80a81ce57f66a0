from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import factory
import numpy as np
from allauth.account.models import EmailAddress
from django.core.files import File
from django.core.files.storage import default_storage

from accounts.models import User
from billing.ledger import wallet_create_for_workspace
from billing.models import Plan, Wallet
from devtools.comparisons import (
    REFINED_COUNTS,
    REFINED_MEASURED,
    REFINED_SEGMENTS,
    REFINED_SIMILARITY,
    REFINED_SPANS,
    REFINED_SUMMARY,
)
from videos.chunks import replace_chunks
from videos.models import ClipEmbedding, Project, TranscriptChunk, Video
from videos.selectors import transcript_lines
from videos.text_embedding.model import embed_texts
from videos.timed_text import TimedLine
from videos.window_sentences import embed_window_sentences, said_window_sentences
from workspaces.current import membership_wanted
from workspaces.models import Membership, Role, Workspace
from workspaces.policy import Member
from workspaces.selectors import personal_workspace_of

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"

# A cooking video in three clearly separate parts (start, end, words spoken), and a garden one:
# `VideoFactory(cooking=True)`, `VideoFactory(garden=True)`.
COOKING = [
    (0.0, 40.0, "Welcome to the kitchen. Today we bake sourdough bread from a starter we fed last night."),
    (40.0, 80.0, "Preheat the oven to two hundred and fifty degrees Celsius with the cast iron pot inside."),
    (80.0, 120.0, "While the loaf bakes, we clean up: wash the bowls and wipe the flour off the counter."),
    (120.0, 160.0, "Finally, let the bread cool on a rack for an hour before slicing, or the crumb is gummy."),
]
GARDEN = [
    (0.0, 45.0, "In spring we plant tomatoes in full sun and water the seedlings every morning."),
    (45.0, 90.0, "Aphids on the roses are washed off with soapy water; ladybirds eat the rest."),
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def email_verified(obj, create, extracted, **kwargs):
        """`email_verified=True` (or False): allauth's record of the e-mail address, primary, proven
        (or not) to be theirs, as a sign-up or a Google login leaves one."""
        if create and extracted is not None:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=extracted, primary=True)


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token made by the real service; its one-time secret is kept on the instance as `.secret`.

    Fields the service refuses to set (a past `expires_at`, `revoked_at`, `last_used_at`,
    `created_at`) are written afterwards, as if time had passed.
    """

    class Meta:
        model = "accounts.ApiToken"

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Script {n}")
    scopes = ["billing:read", "chat", "notes:write", "read", "videos:write"]  # all of them

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services import api_token_create

        user, name, scopes = kwargs.pop("user"), kwargs.pop("name"), kwargs.pop("scopes")
        workspace_id = kwargs.pop("workspace_id", None) or user.personal_workspace_id
        # In the workspace chosen (default: its user's personal one), as the settings page and the API make one.
        token, secret = api_token_create(user=user, name=name, scopes=scopes, workspace_id=workspace_id)
        if kwargs:
            model_class.objects.filter(pk=token.pk).update(**kwargs)
            token.refresh_from_db()
        token.secret = secret  # type: ignore[attr-defined]  # shown once, like the real API
        return token


def member_in(user: User, workspace_id: int | None = None) -> Membership:
    """`user`'s membership of `workspace_id` (None: their personal workspace), as a request's door
    resolves it: what selectors and services take to act there."""
    membership = membership_wanted(user, workspace_id)
    assert workspace_id is None or membership.workspace_id == workspace_id, f"{user} is no member of {workspace_id}"
    return membership


def team_member(team: Workspace, role: str, *, email: str | None = None) -> User:
    """A new person with `role` in `team`."""
    user = UserFactory(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.com")
    Membership.objects.create(workspace=team, user=user, role=role)
    return user


def team_owner(team: Workspace) -> User:
    return Membership.objects.get(workspace=team, role=Role.OWNER).user


def owner_actor(made: Any) -> Member:
    """The access policy's actor for the owner of `made` (a video, a comparison…) in its workspace:
    who sees everything of it, as its page shows them (an export's reader, say)."""
    return Member(user_id=made.owner_id, workspace_id=made.workspace_id, role=Role.OWNER)


def empty_wallet_user() -> User:
    """A user whose sign-up grant is spent, so a billing test states the balance it needs."""
    from billing.ledger import ledger_debit
    from billing.models import Wallet

    user = UserFactory()
    wallet = Wallet.objects.get(user=user)
    if wallet.balance:
        ledger_debit(user=user, amount=wallet.balance, key=f"test-reset:{user.pk}", memo="test reset")
    return user


class TokenPackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.TokenPack"

    name = factory.Sequence(lambda n: f"Pack {n}")
    tokens = 3600
    amount = 900
    currency = "usd"
    stripe_price_id = factory.Sequence(lambda n: f"price_test_{n}")
    stripe_product_id = factory.Sequence(lambda n: f"prod_test_{n}")


OWNER = factory.SelfAttribute("..owner")  # a row's related rows belong to its owner


# A segment as engine 1 stored it: on whole clips, with its clip pairs, a clip distance for a score.
CLIP_GRID_SEGMENTS = [
    {"kind": "visual", "a_start": 2.0, "a_end": 4.0, "b_start": 2.0, "b_end": 4.0, "peak": 0.4, "mean": 0.4,
     "severity": "high", "first_pair": 1, "last_pair": 1},
]  # fmt: skip


class ComparisonFactory(factory.django.DjangoModelFactory):
    """A comparison row with its stored result, made without the engine (whose judgement has tests of
    its own). By default a current-engine row of two 8 s videos that match throughout; `refined=True`
    gives one with REFINED_SPANS and REFINED_SEGMENTS, of a 20 s A and a 23.4 s B. Rows as older
    engines stored them (recomputed by the current one, videos.compare.recompute): `engine=2` with
    `refined=True` (the same fields, before engine 3), `clip_grid=True` an engine-1 row (its clip-grid
    columns are gone: a threshold on the clip-distance scale and segments with clip pairs)."""

    class Meta:
        model = "videos.Comparison"

    class Params:
        refined = factory.Trait(
            threshold=0.15,
            offset=1.4,
            matched_spans=factory.LazyFunction(lambda: copy.deepcopy(REFINED_SPANS)),
            segments=factory.LazyFunction(lambda: copy.deepcopy(REFINED_SEGMENTS)),
            measured=factory.LazyFunction(lambda: copy.deepcopy(REFINED_MEASURED)),
            counts=factory.LazyFunction(lambda: copy.deepcopy(REFINED_COUNTS)),
            similarity=REFINED_SIMILARITY,
            summary=REFINED_SUMMARY,
            video_a=factory.SubFactory(
                "tests.factories.VideoFactory", owner=OWNER, title="Refined A", duration=20.0, fps=25.0, comparable=True
            ),
            video_b=factory.SubFactory(
                "tests.factories.VideoFactory", owner=OWNER, title="Refined B", duration=23.4, fps=25.0, comparable=True
            ),
        )
        clip_grid = factory.Trait(
            engine=1,
            threshold=0.05,
            offset=None,
            matched_spans=[],
            segments=factory.LazyFunction(lambda: copy.deepcopy(CLIP_GRID_SEGMENTS)),
            counts=factory.LazyFunction(lambda: {"visual": 1}),
            similarity=75.0,
            summary="1 difference (1 picture); 75 % of the aligned time matches.",
        )

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    video_a = factory.SubFactory(
        "tests.factories.VideoFactory", owner=OWNER, title="Clip A", duration=8.0, fps=15.0, comparable=True
    )
    video_b = factory.SubFactory(
        "tests.factories.VideoFactory", owner=OWNER, title="Clip B", duration=8.0, fps=15.0, comparable=True
    )
    engine = 3
    threshold = 0.15
    matched_spans = factory.LazyFunction(lambda: [[0.0, 8.0, 0.0, 8.0]])
    word_diff = factory.LazyFunction(lambda: {"removed": [], "added": []})
    summary = "No differences at this threshold: the videos match over the aligned time (100 %)."
    summary_backend = "extractive"


class RecutJobFactory(factory.django.DjangoModelFactory):
    """A recut job of a comparison, queued, its upload's row only (no file)."""

    class Meta:
        model = "videos.RecutJob"

    comparison = factory.SubFactory(ComparisonFactory)
    owner = factory.SelfAttribute("comparison.owner")
    workspace = factory.SelfAttribute("comparison.workspace")
    stem = "dialogue"
    file_name = "DX.wav"
    source_key = factory.LazyAttribute(lambda job: f"recuts/{job.workspace.pk}/factory/upload.wav")
    channels = 2
    sample_format = "PCM_24"
    frames = 48000


class ShareLinkFactory(factory.django.DjangoModelFactory):
    """A share link made by the real service (to a comparison unless `video=` or `stack=` is given); its
    token, which the service returns, is kept on the instance as `.token`."""

    class Meta:
        model = "reviews.ShareLink"

    class Params:
        to_other = factory.LazyAttribute(
            lambda link: link.video is not None or link.stack is not None or link.project is not None
        )

    video = None
    stack = None
    project = None
    comparison = factory.Maybe("to_other", yes_declaration=None, no_declaration=factory.SubFactory(ComparisonFactory))
    name = factory.Sequence(lambda n: f"Client {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from reviews.services import share_link_create

        video, stack, comparison = kwargs.pop("video"), kwargs.pop("stack"), kwargs.pop("comparison")
        project = kwargs.pop("project")
        shared = next(row for row in (video, stack, comparison, project) if row is not None)
        owner = shared.created_by if isinstance(shared, Project) else shared.owner
        assert owner is not None  # a project's maker, while their account exists
        # Made from the shared object's workspace, as its page does.
        link, token = share_link_create(member=member_in(owner, shared.workspace_id), shared=shared, **kwargs)
        link.token = token  # type: ignore[attr-defined]
        return link


def spoken_video(title: str, lines: list[tuple[float, float, str]]) -> factory.Trait:
    """A trait of VideoFactory: a ready video with sound saying `lines`, its chunks embedded."""
    return factory.Trait(
        title=title,
        status=Video.Status.READY,
        duration=lines[-1][1],
        has_audio=True,
        spoken_transcript=factory.RelatedFactory(
            "tests.factories.TranscriptFactory", factory_related_name="video", lines=lines, chunks=True
        ),
    )


class UploadFactory(factory.django.DjangoModelFactory):
    """An upload to local storage, created and not yet completed: `size` bytes in parts of 8 MiB."""

    class Meta:
        model = "videos.Upload"

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    filename = factory.Sequence(lambda n: f"upload-{n}.mp4")
    size = 8 * 2**20
    part_size = 8 * 2**20
    part_count = factory.LazyAttribute(lambda upload: -(-upload.size // upload.part_size))
    store = "local"


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project (folder) in `workspace` (its maker's personal workspace unless given)."""

    class Meta:
        model = Project

    created_by = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda project: personal_workspace_of(project.created_by))
    name = factory.Sequence(lambda n: f"Project {n}")


class VideoStackFactory(factory.django.DjangoModelFactory):
    """A stack of versions; `versions=n` adds n ready videos as versions 1..n."""

    class Meta:
        model = "videos.VideoStack"
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    title = factory.Sequence(lambda n: f"Stack {n}")

    @factory.post_generation
    def versions(stack, create, extracted, **kwargs):
        for number in range(1, (extracted or 0) + 1):
            VideoFactory(
                owner=stack.owner,
                workspace=stack.workspace,
                title=f"{stack.title} v{number}",
                stack=stack,
                version=number,
                ready=True,
            )


class VideoFactory(factory.django.DjangoModelFactory):
    """A video row (no file). Plain, it is a fresh upload as the model defaults it; `ready=True` is a
    processed upload as the tests' old `make_video` helpers made one (READY, 245 s); `youtube=True` a
    YouTube import; `comparable=True` a ready upload as a comparison needs one (its row only);
    `cooking=True` the "Sourdough" video chat tests ask about (READY, with sound, COOKING's transcript
    with its chunks embedded) and `garden=True` the same of GARDEN; `with_transcript=[(start, end,
    text), ...]` adds a sidecar transcript, one segment per line (see `TranscriptFactory`);
    `with_clips=visual` its 2-second clip vectors (see `clip_rows`). Its original plays in browsers as
    it is (`original_plays`), as the tests' H.264/AAC files do: players get it with no rendition.
    `original_plays=None` is a video the renditions step has not seen (made before renditions)."""

    class Meta:
        model = Video
        skip_postgeneration_save = True

    class Params:
        ready = factory.Trait(status=Video.Status.READY, duration=245.0, storage_key="videos/1/original.mp4")
        youtube = factory.Trait(
            source=Video.Source.YOUTUBE,
            youtube_id=factory.Sequence(lambda n: f"yt{n:09d}"[:11]),
            storage_key="",
        )
        comparable = factory.Trait(  # what ComparisonFactory needs: its row only (no file, no clip rows)
            status=Video.Status.READY,
            storage_key=factory.LazyAttribute(lambda video: f"videos/factory/{video.title}.mp4"),
            backends=factory.LazyFunction(lambda: {"clips": "local"}),
        )
        cooking = spoken_video("Sourdough", COOKING)
        garden = spoken_video("Garden", GARDEN)

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    title = factory.Sequence(lambda n: f"Video {n}")
    original_plays = True

    @factory.post_generation
    def with_transcript(video, create, extracted, **kwargs):
        if extracted:
            TranscriptFactory(video=video, lines=extracted, **kwargs)

    @factory.post_generation
    def with_clips(video, create, extracted, **kwargs):
        if extracted is not None:
            clip_rows(video, extracted, **kwargs)


def clip_rows(video: Video, visual: Any, *, audio: Any = None, backend: str = "local") -> None:
    """`video`'s clip rows as the pipeline leaves them: one per 2 s clip, row i of `visual` (and of
    `audio`, when given) its vector, scaled to unit length as the embedder's are."""

    def unit(rows: Any) -> Any:
        rows = np.asarray(rows, dtype=float)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    visual_rows = unit(visual)
    audio_rows = None if audio is None else unit(audio)
    ClipEmbedding.objects.bulk_create(
        ClipEmbedding(
            video=video,
            index=index,
            start=2.0 * index,
            end=2.0 * index + 2,
            backend=backend,
            visual=visual_rows[index],
            audio=None if audio_rows is None else audio_rows[index],
        )
        for index in range(len(visual_rows))
    )


class TranscriptFactory(factory.django.DjangoModelFactory):
    """A transcript of `lines` [(start, end, text), ...]: its text is the lines joined, one segment per
    line (a line's optional fourth item holds more of its segment's columns: `{"words": [...],
    "low_confidence": True}`); `chunks=True` also stores one chunk per line (`chunk_rows`)."""

    class Meta:
        model = "videos.Transcript"
        skip_postgeneration_save = True

    video = factory.SubFactory(VideoFactory, ready=True)
    lines = ()  # not columns: _create takes them out
    chunks = False
    source = "sidecar"
    language = "en"
    text = factory.LazyAttribute(lambda row: " ".join(line[2] for line in row.lines))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from videos.models import TranscriptSegment

        lines, chunks = kwargs.pop("lines"), kwargs.pop("chunks")
        transcript = super()._create(model_class, *args, **kwargs)
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(
                transcript=transcript, index=i, start=start, end=end, text=text, **(more[0] if more else {})
            )
            for i, (start, end, text, *more) in enumerate(lines)
        )
        if chunks:
            chunk_rows(transcript.video, [line[:3] for line in lines])
        return transcript


class ConversationFactory(factory.django.DjangoModelFactory):
    """A user's conversation about a video (`cooking=True`: about VideoFactory's cooking video);
    `answers=[(question, answer), ...]` adds complete question/answer pairs."""

    class Meta:
        model = "chat.Conversation"
        skip_postgeneration_save = True

    class Params:
        cooking = factory.Trait(video=factory.SubFactory(VideoFactory, owner=OWNER, cooking=True))

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    video = factory.SubFactory(VideoFactory, owner=OWNER, ready=True)

    @factory.post_generation
    def answers(conversation, create, extracted, **kwargs):
        for question, answer in extracted or ():
            MessageFactory(conversation=conversation, answer=True, content=answer, reply_to__content=question)


class MessageFactory(factory.django.DjangoModelFactory):
    """A question in a conversation; `answer=True` is a complete answer, to `reply_to` (by default a
    question made first: `reply_to__content="…"` words it). Other columns (`citations`, `embedding`…)
    are given as they are."""

    class Meta:
        model = "chat.Message"

    class Params:
        answer = factory.Trait(
            role="assistant",
            reply_to=factory.SubFactory(
                "tests.factories.MessageFactory", conversation=factory.SelfAttribute("..conversation")
            ),
        )

    conversation = factory.SubFactory(ConversationFactory)
    role = "user"
    content = factory.Sequence(lambda n: f"Question {n}?")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notes.Note"

    owner = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda row: row.owner.personal_workspace)  # unless `workspace=`
    video = factory.SubFactory(VideoFactory, owner=OWNER, ready=True)
    start = 10.0
    text = factory.Sequence(lambda n: f"Note {n}")


class CommentFactory(factory.django.DjangoModelFactory):
    """A reviewer's comment made by the real service on a share link that allows comments."""

    class Meta:
        model = "reviews.Comment"

    link = factory.SubFactory(ShareLinkFactory, permission="comment")
    reviewer_key = factory.Sequence(lambda n: f"reviewer-key-{n:032d}")
    body = factory.Sequence(lambda n: f"Comment {n}")
    author_name = "Reviewer"
    side = None
    start = 1.0
    end = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from reviews.comments import comment_create_by_guest

        return comment_create_by_guest(**kwargs).comment


class ActivityEventFactory(factory.django.DjangoModelFactory):
    """An event in a workspace's feed (the personal workspace of a new user unless `workspace=` is
    given), as `activity.services.activity_record` writes one; `created_at=` places it in time."""

    class Meta:
        model = "activity.ActivityEvent"

    workspace = factory.LazyFunction(lambda: personal_workspace_of(UserFactory()))
    actor = None
    actor_name = factory.Faker("first_name")
    verb = "uploaded"
    target_kind = "video"
    target_id = factory.Sequence(str)
    target_label = factory.Sequence(lambda n: f"Cut {n}")


class AuditEntryFactory(factory.django.DjangoModelFactory):
    """An audit entry in a workspace's log (a new user's personal workspace unless `workspace=`)."""

    class Meta:
        model = "activity.AuditEntry"

    workspace = factory.LazyFunction(lambda: personal_workspace_of(UserFactory()))
    workspace_name = factory.LazyAttribute(lambda entry: entry.workspace.name if entry.workspace else "")
    actor = None
    actor_email = factory.Sequence(lambda n: f"actor{n}@example.com")
    action = "link_created"
    target_label = factory.Sequence(lambda n: f"Link {n}")


def chunk_rows(video: Video, windows: Sequence[tuple[float, float, str]]) -> None:
    """`video`'s transcript chunks as the pipeline stores them, one per (start, end, text) window, each
    text really embedded (MiniLM) and its words stemmed, with the sentences a search quotes (from the
    video's transcript lines stored by then) and their vectors: what search and chat read."""
    vectors = embed_texts([text for _, _, text in windows])
    chunks = [TimedLine(start, end, text) for start, end, text in windows]
    sentences = said_window_sentences(chunks, transcript_lines(video.pk))
    replace_chunks(
        video,
        TranscriptChunk.Kind.SAID,
        chunks,
        vectors,
        sentences=sentences,
        sentence_vectors=embed_window_sentences(sentences),
    )


# --- workspaces ------------------------------------------------------------------------------------


def on_plan(user: User, slug: str) -> User:
    """Put `user` on the plan `slug` ("free", "pro", "team"), as a subscription would move them."""
    Wallet.objects.filter(user=user).update(plan=Plan.objects.get(slug=slug))
    return user


class TeamWorkspaceFactory(factory.django.DjangoModelFactory):
    """A team workspace, its creator its owner and on the Team plan (whose seats it holds)."""

    class Meta:
        model = Workspace
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Studio {n}")
    kind = Workspace.Kind.TEAM
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def _owner(obj, create, extracted, **kwargs):
        if create:
            on_plan(obj.created_by, "team")
            Membership.objects.create(workspace=obj, user=obj.created_by, role=Role.OWNER)
            wallet_create_for_workspace(workspace=obj)  # as workspaces.services makes it


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(TeamWorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


# --- live review sessions --------------------------------------------------------------------------


class ReviewSessionFactory(factory.django.DjangoModelFactory):
    """A live session started by the real service, on a comparison unless `video=` or `stack=` is
    given, by `started_by` (default: the object's owner) acting in the object's workspace; `link=` lets
    that link's guests in."""

    class Meta:
        model = "review_sessions.ReviewSession"

    class Params:
        to_other = factory.LazyAttribute(lambda session: session.video is not None or session.stack is not None)

    video = None
    stack = None
    comparison = factory.Maybe("to_other", yes_declaration=None, no_declaration=factory.SubFactory(ComparisonFactory))
    started_by = None
    link = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from review_sessions.services import session_start

        target = next(kwargs[kind] for kind in ("comparison", "video", "stack") if kwargs[kind] is not None)
        user = kwargs["started_by"] or target.owner
        link = kwargs["link"]
        return session_start(
            member=member_in(user, target.workspace_id), target=target, link_id=link.pk if link is not None else None
        )


def uploaded_video(owner: User, source: Path, **fields: Any) -> Video:
    """A video as `upload_complete` leaves it: `source` stored as its original (under its own
    suffix), queued for a worker. `fields` go to VideoFactory (a title, `original_plays=None`...)."""
    video = VideoFactory(owner=owner, **{"title": "Master", "status": Video.Status.QUEUED, **fields})
    with source.open("rb") as data:
        key = default_storage.save(f"videos/{video.pk}/original{source.suffix}", File(data))
    Video.objects.filter(pk=video.pk).update(storage_key=key, size=source.stat().st_size)
    video.refresh_from_db()
    return video
