"""Questions about what a video shows: told apart from others, answered with stills of the owner's
video (sent to the language model as pictures, each with its time and the text on screen then) or,
without a model, from the text read on screen only; and lines shown on screen quoted and cited as
shown, not said."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from channels.db import database_sync_to_async

from billing.prices import chat_answer_price
from chat.answering import (
    VISUAL_NOT_ANSWERED,
    VISUAL_NOTICE,
    VISUAL_SAID_NOTICE,
    ExtractiveBackend,
    build_prompt,
    citations_for,
)
from chat.models import Conversation
from chat.retrieval import Evidence, Passage
from chat.visual import Still, asked_times, is_visual_question, still_moments, stills_for
from sage.synthetic_media import Scene, decode_video, make_video
from tests.chat.helpers import frames_until_done, open_socket
from tests.factories import ConversationFactory, TranscriptFactory, UserFactory, VideoFactory
from tests.gemini_stub import gemini_stub_fixture  # noqa: F401
from videos.models import ScreenTextLine, Video
from videos.screen_text.indexing import index_shown_lines
from videos.screen_text.tracking import ShownLine
from videos.search import Quote
from videos.timed_text import Sentence

# Four clearly different pictures, three seconds each, and one sentence said over each.
SCENES = [Scene(3, "bars", seed=1), Scene(3, "gradient", seed=2), Scene(3, "noise", seed=3), Scene(3, "shapes", seed=4)]
SAID = [
    (0.2, 2.8, "Here is the car we drove along the river."),
    (3.2, 5.8, "Next, how the quarter went for the company."),
    (6.2, 8.8, "This is the plan for the coming week."),
    (9.2, 11.8, "And that is the whole team in the garden."),
]
SLIDE = "Q3 revenue 4.2 M"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "scenes.mp4", width=640, height=360, scenes=SCENES)


def store_file(video: Video, clip: Path, media_root: str) -> None:
    key = f"videos/{video.pk}/original.mp4"
    target = Path(media_root) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, target)
    Video.objects.filter(pk=video.pk).update(storage_key=key)


def scenes_video(owner, clip: Path | None, media_root: str) -> Video:
    """A ready video of SCENES: one transcript window per scene, a slide's line on screen from 3 s to
    6 s, and its file stored (unless `clip` is None: a YouTube video, which has no file)."""
    if clip is None:
        video = VideoFactory(owner=owner, title="Scenes", youtube=True, status=Video.Status.READY, duration=12.0)
    else:
        video = VideoFactory(owner=owner, title="Scenes", status=Video.Status.READY, duration=12.0)
        store_file(video, clip, media_root)
        ScreenTextLine.objects.create(
            video=video, index=0, start=3.0, end=6.0, text=SLIDE, box=[0.1, 0.1, 0.5, 0.1], confidence=0.97
        )
    TranscriptFactory(video=video, lines=SAID, chunks=True)
    return video


def layout(pixels: np.ndarray) -> np.ndarray:
    """A picture's mean colour in each quarter: enough to tell the four scenes apart at any size."""
    height, width = pixels.shape[0] // 2 * 2, pixels.shape[1] // 2 * 2
    quarters = pixels[:height, :width].reshape(2, height // 2, 2, width // 2, 3).astype(float)
    return quarters.mean(axis=(1, 3)).ravel()


def scene_shown(jpeg: bytes, clip: Path) -> int:
    """Which of SCENES the JPEG shows (its layout nearest that scene's middle frame's)."""
    with av.open(io.BytesIO(jpeg), mode="r") as container:
        pixels = next(container.decode(video=0)).to_ndarray(format="rgb24")
    decoded = decode_video(clip)
    fps = float(decoded.fps)
    middles = [layout(decoded.frames[int((3 * index + 1.5) * fps)]) for index in range(len(SCENES))]
    return int(np.argmin([np.abs(layout(pixels) - middle).sum() for middle in middles]))


def jpeg_size(jpeg: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(jpeg), mode="r") as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "mjpeg"
        frame = next(container.decode(stream))
        return frame.width, frame.height


async def ask(conversation: Conversation, question: str) -> dict:
    """The finished answer (the `done` frame's message) to `question`, asked over the chat socket."""
    socket, connected, _ = await open_socket(conversation.pk, user=conversation.owner)
    assert connected
    await socket.send_json_to({"type": "message", "text": question, "client_id": "q1"})
    frames = await frames_until_done(socket)
    await socket.disconnect()
    return frames[-1]["message"]


# --- telling visual questions apart -----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What colour is the car?",
        "what color was her shirt",
        "What is written on the whiteboard?",
        "What does the slide say about revenue?",
        "What is on screen at 2:14?",
        "What does the new logo look like?",
        "Which chart is shown after the introduction?",
        "Is there a picture of the bridge?",
    ],
)
def test_a_question_about_the_picture_is_visual(question: str) -> None:
    assert is_visual_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What temperature do I set the oven to?",
        "What does the speaker say about yeast?",
        "How long should the loaf rest before I cut it?",
        "Why does she think the project failed?",
        "Is the oven still hot when the bread goes in?",
        "What happens at 2:14?",
    ],
)
def test_a_question_about_what_is_said_is_not_visual(question: str) -> None:
    assert not is_visual_question(question)


def test_the_times_a_question_names_are_read_in_any_clock_form() -> None:
    assert asked_times("What is on screen at 2:14, at [00:05] and at 1:02:03?") == [134.0, 5.0, 3723.0]
    assert asked_times("What is on the 3 slides?") == []


# --- with a language model: stills sent as pictures -------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_visual_question_sends_the_stills_of_its_best_moments_and_cites_them(gemini_stub, clip, settings):
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)
    gemini_stub.reply("The slide reads Q3 revenue 4.2 M [00:04] on screen, over a picture of the team [00:10].")

    answer = await ask(conversation, "What is on screen at 0:04?")

    parts = gemini_stub.last.parts
    pictures = [index for index, part in enumerate(parts) if isinstance(part, tuple)]
    assert len(pictures) == 4  # the time asked about, and the best moment of each other scene
    seen_scenes = []
    for index in pictures:
        mime, jpeg = parts[index]
        assert mime == "image/jpeg"
        assert jpeg_size(jpeg) == (480, 270)  # 640×360 scaled down to 480 wide
        intro = parts[index - 1]  # each picture comes after the words that say when it was taken
        assert isinstance(intro, str) and intro.startswith("Picture ") and 'video "Scenes"' in intro
        [mark] = [token for token in intro.split() if token.startswith("[")]
        seconds = int(mark.strip("[];").split(":")[1])
        assert scene_shown(jpeg, clip) == seconds // 3  # the picture is the one at that time
        seen_scenes.append(seconds // 3)
        if seconds // 3 == 1:
            assert SLIDE in intro  # with the text read on screen then
    assert parts[pictures[0] - 1].startswith("Picture 1") and "[00:04]" in parts[pictures[0] - 1]
    assert sorted(seen_scenes) == [0, 1, 2, 3]
    assert parts[-1].rstrip().endswith("Question: What is on screen at 0:04?")  # the words come last
    assert "on screen" in (gemini_stub.last.system or "")

    assert answer["status"] == "complete" and answer["cost"] == chat_answer_price()
    cited = {citation["start"]: citation for citation in answer["citations"]}
    assert cited[3.0] == {"video_id": video.pk, "start": 3.0, "end": 6.0, "text": SLIDE, "kind": "shown"}
    assert 9.2 in cited  # the moment of the other picture cited, said there


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("question", ["Where did they drive?", "What does the speaker say about the slide?"])
async def test_a_question_about_what_is_said_sends_no_pictures(gemini_stub, clip, settings, question: str) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)
    gemini_stub.reply("Along the river [00:00].")

    await ask(conversation, question)

    assert gemini_stub.last.inline_data == []


@pytest.mark.django_db(transaction=True)
async def test_a_visual_question_about_a_youtube_video_says_no_picture_could_be_sent(gemini_stub, settings) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, None, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)
    gemini_stub.reply("I could not see the picture; the transcript only says it is the car they drove [00:00].")

    answer = await ask(conversation, "What colour is the car?")

    assert gemini_stub.last.inline_data == []  # a YouTube video has no file to take stills from
    assert "No picture of these moments could be sent" in gemini_stub.last.prompt
    assert [citation["start"] for citation in answer["citations"]] == [0.2]


# --- without a language model: on-screen text only ---------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_without_a_model_a_visual_question_quotes_the_text_on_screen_and_says_it_cannot_see(
    clip, settings
) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)

    answer = await ask(conversation, "What is on screen at 0:04?")

    assert answer["content"] == f'{VISUAL_NOTICE}\n\n- [00:03] on screen: "{SLIDE}"'
    assert "can't look at the picture" in answer["content"]
    assert answer["citations"] == [{"video_id": video.pk, "start": 3.0, "end": 6.0, "text": SLIDE, "kind": "shown"}]
    assert answer["cost"] == chat_answer_price()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("youtube", [False, True])
async def test_without_a_model_a_visual_question_with_nothing_on_screen_is_a_free_no_answer(
    clip, settings, youtube: bool
) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, None if youtube else clip, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)

    answer = await ask(conversation, "What colour is the teapot on the shelf?")

    assert answer["content"] == VISUAL_NOT_ANSWERED
    assert answer["citations"] == [] and answer["cost"] == 0


@pytest.mark.django_db(transaction=True)
async def test_without_a_model_a_visual_question_nothing_on_screen_answers_quotes_what_is_said(clip, settings) -> None:
    # "Which planet can I see tonight?" only sounds like a question about the picture: a sentence said
    # that answers it is never dropped for the guess.
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)

    answer = await ask(conversation, "What can we see of the car by the river?")

    assert answer["content"].startswith(VISUAL_SAID_NOTICE)
    assert [citation["text"] for citation in answer["citations"]] == [SAID[0][2]]
    assert answer["citations"][0].get("kind", "said") == "said"


# --- lines shown on screen, quoted and cited as shown ------------------------------------------


def shown_evidence() -> Evidence:
    """A said passage and a shown one, a said sentence and a shown line both starting at 02:14."""
    said = Passage(video_id=1, video_title="Talk", start=120.0, end=160.0, text="…", distance=0.3, chunk_id=1)
    shown = Passage(
        video_id=1, video_title="Talk", start=130.0, end=150.0, text=SLIDE, distance=0.3, chunk_id=2, kind="shown"
    )
    said_sentence = Sentence(134.2, 140.0, "So the quarter went well.")
    shown_line = Sentence(134.0, 150.0, SLIDE)
    ranked = [
        Quote(moment=shown, sentence=shown_line, similarity=0.7),
        Quote(moment=said, sentence=said_sentence, similarity=0.68),
    ]
    return Evidence(passages=[said, shown], sentences=[[said_sentence], [shown_line]], ranked=ranked)


def test_the_prompt_labels_lines_shown_on_screen() -> None:
    prompt = build_prompt(question="How did Q3 go?", evidence=shown_evidence(), history=[])

    assert f"[02:14] on screen: {SLIDE}" in prompt
    assert "[02:14] So the quarter went well." in prompt
    assert 'Passage 2 (video "Talk", 02:10–02:30, text shown on screen):' in prompt


async def test_an_extractive_answer_quotes_a_line_on_screen_as_shown_and_cites_it() -> None:
    evidence = shown_evidence()
    pieces = ExtractiveBackend().stream(question="How did Q3 go?", evidence=evidence, history=[])
    answer = "".join([piece async for piece in pieces])

    assert f'- [02:14] on screen: "{SLIDE}"' in answer
    assert '- [02:14] "So the quarter went well."' in answer
    assert citations_for(answer, evidence) == [
        {"video_id": 1, "start": 134.0, "end": 150.0, "text": SLIDE, "kind": "shown"},
        {"video_id": 1, "start": 134.2, "end": 140.0, "text": "So the quarter went well."},
    ]


def test_a_mark_written_on_screen_cites_the_line_shown_not_the_sentence_said_then() -> None:
    evidence = shown_evidence()

    shown = citations_for("The slide reads Q3 revenue [02:14] on screen.", evidence)
    said = citations_for("It went well [02:14].", evidence)

    assert [citation.get("kind") for citation in shown] == ["shown"]
    assert [citation["text"] for citation in said] == ["So the quarter went well."]


@pytest.mark.django_db(transaction=True)
async def test_a_line_on_screen_found_by_the_search_is_quoted_and_cited_as_shown(clip, settings) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    await database_sync_to_async(index_shown_lines)(video)  # the slide's line becomes searchable
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)

    answer = await ask(conversation, "What was the revenue in Q3?")

    assert f'[00:03] on screen: "{SLIDE}"' in answer["content"]
    assert {"video_id": video.pk, "start": 3.0, "end": 6.0, "text": SLIDE, "kind": "shown"} in answer["citations"]


@pytest.mark.django_db(transaction=True)
async def test_a_model_is_given_lines_on_screen_labelled_and_its_on_screen_mark_cites_them(
    gemini_stub, clip, settings
) -> None:
    owner = await database_sync_to_async(UserFactory)()
    video = await database_sync_to_async(scenes_video)(owner, clip, settings.MEDIA_ROOT)
    await database_sync_to_async(index_shown_lines)(video)
    conversation = await database_sync_to_async(ConversationFactory)(owner=owner, video=video)
    gemini_stub.reply("The slide reads 4.2 M [00:03] on screen.")

    answer = await ask(conversation, "What was the revenue in Q3?")

    assert f"[00:03] on screen: {SLIDE}" in gemini_stub.last.prompt
    assert gemini_stub.last.inline_data == []  # not a question about the picture
    assert answer["citations"] == [{"video_id": video.pk, "start": 3.0, "end": 6.0, "text": SLIDE, "kind": "shown"}]


# --- whose frames -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_stills_come_only_from_the_askers_workspaces_videos(user, other_user, clip, settings) -> None:
    theirs = scenes_video(other_user, clip, settings.MEDIA_ROOT)
    mine = scenes_video(user, clip, settings.MEDIA_ROOT)
    # Evidence naming the other user's video (it never should): no still, no line of it is read.
    passages = [
        Passage(video_id=video.pk, video_title=video.title, start=3.0, end=6.0, text="…", distance=0.2, chunk_id=n)
        for n, video in enumerate([theirs, mine], 1)
    ]
    evidence = Evidence(passages=passages, sentences=[[], []], ranked=())

    stills = stills_for(
        question="What is on screen at 0:04?",
        evidence=evidence,
        workspace_id=mine.workspace_id,
        video_id=theirs.pk,
        pictures=True,
    )
    assert [still.video_id for still in stills] == [mine.pk]
    assert stills[0].jpeg is not None and scene_shown(stills[0].jpeg, clip) == 1

    assert (
        stills_for(question="What colour is it?", evidence=evidence, workspace_id=None, video_id=None, pictures=True)
        == ()
    )


def test_one_still_stands_for_moments_that_show_the_same_picture() -> None:
    passages = [
        Passage(video_id=1, video_title="V", start=start, end=start + 3, text="…", distance=0.2, chunk_id=n)
        for n, start in enumerate([0.0, 3.0, 4.0, 6.0, 9.0, 12.0], 1)
    ]
    evidence = Evidence(passages=passages, sentences=[[] for _ in passages], ranked=())

    moments = still_moments("What colour is the car at 0:05?", evidence, video_id=1)

    assert [moment.seconds for moment in moments] == [5.0, 0.0, 3.0, 9.0]  # 4.0 and 6.0 are 5.0's picture


def test_a_mark_at_a_still_cites_its_line_on_screen_or_else_its_picture() -> None:
    evidence = Evidence(passages=(), sentences=(), ranked=())
    slide = ShownLine(start=3.0, end=6.0, text=SLIDE, box=(0.1, 0.1, 0.5, 0.1), confidence=0.97)
    stills = [
        Still(video_id=7, video_title="V", seconds=4.0, shown=(slide,), jpeg=b"jpeg"),
        Still(video_id=7, video_title="V", seconds=10.0, jpeg=b"jpeg"),
        Still(video_id=7, video_title="V", seconds=20.0),  # no picture was sent of this one
    ]

    citations = citations_for("Revenue [00:04], the team [00:10], nothing [00:20] or [00:30].", evidence, stills)

    assert citations == [
        {"video_id": 7, "start": 3.0, "end": 6.0, "text": SLIDE, "kind": "shown"},
        {"video_id": 7, "start": 10.0, "end": 10.0, "text": "The picture at [00:10]", "kind": "shown"},
    ]
