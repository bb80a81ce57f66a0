from __future__ import annotations

import copy
from typing import Any

import factory

from accounts.models import User
from videos.models import Video

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


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
        token, secret = api_token_create(user=user, name=name, scopes=scopes)
        if kwargs:
            model_class.objects.filter(pk=token.pk).update(**kwargs)
            token.refresh_from_db()
        token.secret = secret  # type: ignore[attr-defined]  # shown once, like the real API
        return token


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


def _comparable_video(owner: User, title: str, duration: float, fps: float) -> Video:
    """A ready upload as the comparison factory needs one: its row only (no file, no clip rows)."""
    return Video.objects.create(
        owner=owner,
        title=title,
        status=Video.Status.READY,
        duration=duration,
        fps=fps,
        storage_key=f"videos/factory/{title}.mp4",
        backends={"clips": "local"},
    )


MEASURE_STEP = 0.1  # videos.compare.verify.STEP (not imported: it brings scipy into every test)


def measured_stretch(
    a_start: float,
    a_end: float,
    offset: float,
    *,
    changed: tuple[float, float],
    picture: float,
    sound: float | None,
    quiet: float = 0.02,
) -> dict[str, Any]:
    """One verified stretch as engine 2 stores it (`Comparison.measured`): a score per 0.1 s step of
    A from `a_start` to `a_end`, B = A + `offset`; `picture` and `sound` over `changed` (on A),
    `quiet` elsewhere. What re-judging at another threshold reads."""
    steps = round((a_end - a_start) / MEASURE_STEP)
    inside = [changed[0] <= a_start + (k + 0.5) * MEASURE_STEP < changed[1] for k in range(steps)]
    return {
        "a_start": a_start,
        "offset": offset,
        "picture": [picture if hit else quiet for hit in inside],
        "sound": None if sound is None else [sound if hit else quiet / 2 for hit in inside],
    }


# A refined comparison (engine 2) of A (20 s) and B (23.4 s): B has 1.4 s more lead-in, then A's
# 0–9.6 s, then 2 s inserted, then A's 9.6–20 s; a low picture change and a high one in picture and
# sound. Times as the engine stores them (to the millisecond), so the API's rounding shows; the
# measured stretches give the same segments at the stored threshold (0.15).
REFINED_SPANS = [[0.0, 9.6, 1.4, 11.0], [9.6, 20.0, 13.0, 23.4]]
REFINED_MEASURED = [
    measured_stretch(3.837, 7.337, 1.4, changed=(4.237, 6.937), picture=0.183, sound=0.012),
    measured_stretch(14.64, 17.94, 3.4, changed=(15.04, 17.54), picture=0.874, sound=0.655),
]
REFINED_SEGMENTS = [
    {"kind": "only_b", "a_start": 0.0, "a_end": 0.0, "b_start": 0.0, "b_end": 1.4, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
    {"kind": "visual", "a_start": 4.237, "a_end": 6.937, "b_start": 5.637, "b_end": 8.337, "peak": 0.183,
     "mean": 0.183, "severity": "low", "picture": 0.183, "sound": 0.012},
    {"kind": "only_b", "a_start": 9.6, "a_end": 9.6, "b_start": 11.0, "b_end": 13.0, "peak": None, "mean": None,
     "severity": None, "picture": None, "sound": None},
    {"kind": "both", "a_start": 15.04, "a_end": 17.54, "b_start": 18.44, "b_end": 20.94, "peak": 0.874,
     "mean": 0.874, "severity": "high", "picture": 0.874, "sound": 0.655},
]  # fmt: skip


class ComparisonFactory(factory.django.DjangoModelFactory):
    """A comparison row with its stored result, made without the engine (whose judgement has tests of
    its own). By default an older clip-grid row (engine 1) of two 8 s videos that match clip for clip;
    `refined=True` gives an engine-2 row (REFINED_SPANS, REFINED_SEGMENTS) of a 20 s A and a 23.4 s B."""

    class Meta:
        model = "videos.Comparison"

    class Params:
        refined = factory.Trait(
            engine=2,
            threshold=0.15,
            offset=1.4,
            matched_spans=factory.LazyFunction(lambda: copy.deepcopy(REFINED_SPANS)),
            segments=factory.LazyFunction(lambda: copy.deepcopy(REFINED_SEGMENTS)),
            measured=factory.LazyFunction(lambda: copy.deepcopy(REFINED_MEASURED)),
            counts=factory.LazyFunction(lambda: {"only_b": 2, "visual": 1, "both": 1, "low": 1, "high": 1}),
            similarity=63.25,
            summary="4 differences (2 only in B, 1 picture, 1 picture and sound).",
            video_a=factory.LazyAttribute(lambda row: _comparable_video(row.owner, "Refined A", 20.0, 25.0)),
            video_b=factory.LazyAttribute(lambda row: _comparable_video(row.owner, "Refined B", 23.4, 25.0)),
            a_clip_times=[],
            b_clip_times=[],
            a_indexes=[],
            b_indexes=[],
            visual_distances=[],
            audio_distances=[],
        )

    owner = factory.SubFactory(UserFactory)
    video_a = factory.LazyAttribute(lambda row: _comparable_video(row.owner, "Clip A", 8.0, 15.0))
    video_b = factory.LazyAttribute(lambda row: _comparable_video(row.owner, "Clip B", 8.0, 15.0))
    threshold = 0.05
    a_clip_times = factory.LazyFunction(lambda: [[0.0, 2.0], [2.0, 4.0], [4.0, 6.0], [6.0, 8.0]])
    b_clip_times = factory.LazyFunction(lambda: [[0.0, 2.0], [2.0, 4.0], [4.0, 6.0], [6.0, 8.0]])
    a_indexes = [0, 1, 2, 3]
    b_indexes = [0, 1, 2, 3]
    visual_distances = [0.001, 0.002, 0.001, 0.001]
    audio_distances = [0.0, 0.0, 0.0, 0.0]
    word_diff = factory.LazyFunction(lambda: {"removed": [], "added": []})
    summary = "No differences at this threshold: the videos match over the aligned time (100 %)."
    summary_backend = "extractive"


class ShareLinkFactory(factory.django.DjangoModelFactory):
    """A share link made by the real service (to a comparison unless `video=` is given); its token,
    which the service returns, is kept on the instance as `.token`."""

    class Meta:
        model = "reviews.ShareLink"

    video = None
    comparison = factory.Maybe("video", yes_declaration=None, no_declaration=factory.SubFactory(ComparisonFactory))
    name = factory.Sequence(lambda n: f"Client {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from reviews.services import share_link_create

        video, comparison = kwargs.pop("video"), kwargs.pop("comparison")
        shared = video if video is not None else comparison
        link, token = share_link_create(owner=shared.owner, shared=shared, **kwargs)
        link.token = token  # type: ignore[attr-defined]
        return link


class VideoStackFactory(factory.django.DjangoModelFactory):
    """A stack of versions; `versions=n` adds n ready videos as versions 1..n."""

    class Meta:
        model = "videos.VideoStack"
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Stack {n}")

    @factory.post_generation
    def versions(stack, create, extracted, **kwargs):
        for number in range(1, (extracted or 0) + 1):
            VideoFactory(owner=stack.owner, title=f"{stack.title} v{number}", stack=stack, version=number, ready=True)


class VideoFactory(factory.django.DjangoModelFactory):
    """A video row (no file). Plain, it is a fresh upload as the model defaults it; `ready=True` is a
    processed upload as the tests' old `make_video` helpers made one (READY, 245 s); `youtube=True` a
    YouTube import; `with_transcript=[(start, end, text), ...]` adds a sidecar transcript, one segment
    per line (see `TranscriptFactory`)."""

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

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Video {n}")

    @factory.post_generation
    def with_transcript(video, create, extracted, **kwargs):
        if extracted:
            TranscriptFactory(video=video, lines=extracted, **kwargs)


class TranscriptFactory(factory.django.DjangoModelFactory):
    """A transcript of `lines` [(start, end, text), ...]: its text is the lines joined, one segment per
    line; `chunks=True` also stores one chunk per line, really embedded (MiniLM), for search and chat."""

    class Meta:
        model = "videos.Transcript"
        skip_postgeneration_save = True

    video = factory.SubFactory(VideoFactory, ready=True)
    lines = ()  # not columns: _create takes them out
    chunks = False
    source = "sidecar"
    language = "en"
    text = factory.LazyAttribute(lambda row: " ".join(text for _, _, text in row.lines))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from videos.models import TranscriptChunk, TranscriptSegment

        lines, chunks = kwargs.pop("lines"), kwargs.pop("chunks")
        transcript = super()._create(model_class, *args, **kwargs)
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(transcript=transcript, index=i, start=start, end=end, text=text)
            for i, (start, end, text) in enumerate(lines)
        )
        if chunks:
            from videos.text_embedding.model import embed_texts

            vectors = embed_texts([text for _, _, text in lines])
            TranscriptChunk.objects.bulk_create(
                TranscriptChunk(
                    video=transcript.video,
                    owner=transcript.video.owner,
                    index=i,
                    start=start,
                    end=end,
                    text=text,
                    embedding=vector,
                )
                for i, ((start, end, text), vector) in enumerate(zip(lines, vectors, strict=True))
            )
        return transcript


class ConversationFactory(factory.django.DjangoModelFactory):
    """A user's conversation about a video; `answers=[(question, answer), ...]` adds complete
    question/answer pairs."""

    class Meta:
        model = "chat.Conversation"
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    video = factory.SubFactory(VideoFactory, owner=factory.SelfAttribute("..owner"), ready=True)

    @factory.post_generation
    def answers(conversation, create, extracted, **kwargs):
        from chat.models import Message

        for question, answer in extracted or ():
            asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
            Message.objects.create(
                conversation=conversation, role=Message.Role.ASSISTANT, content=answer, reply_to=asked
            )


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notes.Note"

    owner = factory.SubFactory(UserFactory)
    video = factory.SubFactory(VideoFactory, owner=factory.SelfAttribute("..owner"), ready=True)
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

        return comment_create_by_guest(**kwargs)
