"""Part 3 of bench/citations.py: which line of a slide an answer quotes, on slide talks whose facts
are only on screen (issue 50).

The first talk, of two minutes: eight slides (a one-word title over two or three lines, the kind of
title that repeats a question's key word) drawn by sage.synthetic_media.screen_text, and a sound
track read by espeak-ng that talks around the slides without saying their facts (two sentences say
something no slide does). It goes through the production path of part 2 (bench/lecture_citations.py:
`recognise_speech`, `read_screen`, the stored windows and lines in a throwaway database) and each
question is answered as the chat answers it without a language model: `ExtractiveBackend.quoted`
with the question, so a question taken for one about the picture quotes what is shown first.

The ground truth of each question is the line (shown) or sentence (said) that holds its answer. A
question is right when the answer's first quote is that line as it was read (the read line nearest
the truth line, `same_line`) or, for a said one, starts within 2 s of that sentence; and, for a
said question, when it is not answered as one about the picture. The first talk's questions
alternate between a tuning half and a first held-out half, seen since (open to tuning); the second
talk (`LIBRARY`) is the held-out set of the second round, never tuned on (`half_of`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.lecture_citations import WITHIN_SECONDS, read_lines, said_windows, same_line, slide_video
from bench.lectures import Lecture, Slide, lecture_sound

if TYPE_CHECKING:
    from accounts.models import User

TALK = Lecture(
    "Project Aurora review",
    synthetic=(
        "Good morning everyone, and welcome to the quarterly review of project Aurora.",
        "I will walk you through where the money went, where we are on the plan, and what comes next.",
        "Let me start with the money, because that is what everybody asks about first.",
        "On the budget, the board asked us to buy the hardware early, before prices rise again.",
        "We also had to be careful with trips this year, so most meetings happened online.",
        "Now the plan, which has moved a little since the last review.",
        "The prototype took longer than we hoped, mostly because of one difficult part.",
        "The field tests will run in the mountains, where the cold is a real test for the device.",
        "We still aim to launch before the end of the year.",
        "Next, the people who do the work.",
        "The team moved into a bigger office on the second floor this spring, and everyone likes the light.",
        "We are hiring one more person to help us understand all the data from the tests.",
        "Every project has risks, and ours are mostly outside our own walls.",
        "One supplier has been slow, and we are looking for a second one just in case.",
        "The certificate for the battery is the other thing we are waiting for.",
        "Now the good news, the results from the lab.",
        "The battery lasts much longer than the old model, and people noticed at once.",
        "We also made the device lighter, which was the first wish of every tester.",
        "Our first customers have been using it for two months in three cities.",
        "They tell us it is easy to set up, and they would recommend it to a friend.",
        "So what happens now?",
        "We will order the first real batch from the new supplier next month.",
        "If you have questions after today, please write to the team at any time.",
        "Thank you all for listening, and see you at the next review.",
    ),
    slides=(
        Slide(0.0, 14.0, ("Project Aurora", "Quarterly review, March 2026", "Presented by Dana Whitfield")),
        Slide(14.0, 29.0, ("Budget", "Hardware budget: 42,000 EUR approved", "Travel budget cut by 15%")),
        Slide(29.0, 44.0, ("Timeline", "Prototype ready: 14 May", "Field tests start in week 23", "Launch in October")),
        Slide(44.0, 59.0, ("Team", "Six engineers and two designers", "New hire: a data scientist in April")),
        Slide(59.0, 74.0, ("Risks", "Supplier delay of up to 8 weeks", "Battery certification still pending")),
        Slide(74.0, 89.0, ("Results", "Battery life: 31 hours per charge", "Weight down to 840 grams")),
        Slide(89.0, 104.0, ("Customers", "Pilot sites: Lyon, Porto and Gdansk", "Satisfaction: 4.6 out of 5")),
        Slide(104.0, 119.0, ("Next steps", "Order 500 units from the new supplier", "Contact: aurora@example.org")),
    ),
)


@dataclass(frozen=True)
class SlideQuestion:
    """A question and what answers it: a line shown (its text) or a sentence said (its index)."""

    text: str
    shown: str | None = None
    sentence: int | None = None

    @property
    def kind(self) -> str:
        return "shown" if self.shown is not None else "said"


# In the order asked; even positions are the tuning half, odd ones the held-out half.
QUESTIONS: tuple[SlideQuestion, ...] = (
    SlideQuestion("What does the slide say about the budget?", shown="Hardware budget: 42,000 EUR approved"),
    SlideQuestion("How much was the travel budget cut?", shown="Travel budget cut by 15%"),
    SlideQuestion("When will the prototype be ready?", shown="Prototype ready: 14 May"),
    SlideQuestion("What does the timeline slide say about the launch?", shown="Launch in October"),
    SlideQuestion("How big is the team?", shown="Six engineers and two designers"),
    SlideQuestion("What is the risk with the supplier?", shown="Supplier delay of up to 8 weeks"),
    SlideQuestion("What is shown about the battery life?", shown="Battery life: 31 hours per charge"),
    SlideQuestion("How heavy is the device now?", shown="Weight down to 840 grams"),
    SlideQuestion("Where are the pilot sites?", shown="Pilot sites: Lyon, Porto and Gdansk"),
    SlideQuestion("What does the customers slide say about satisfaction?", shown="Satisfaction: 4.6 out of 5"),
    SlideQuestion("What does the speaker say about the budget slide?", sentence=3),
    SlideQuestion("What does the presenter say about the team on the slide?", sentence=10),
    SlideQuestion("What does the next steps slide say we will order?", shown="Order 500 units from the new supplier"),
    SlideQuestion("Who presented the review?", shown="Presented by Dana Whitfield"),
)


# A second talk, written after the ranking of bench/slide_talk.py's first round was tuned and before
# its second round: all its questions are held out (never tuned on). Its titles are not one word:
# two words, a phrase starting "About", "… and …"; one slide is a title slide.
LIBRARY = Lecture(
    "Riverside library renovation",
    synthetic=(
        "Hello and thank you for coming to this update on the riverside library.",
        "It has been a busy season for everyone who works in the building.",
        "I will keep this short and leave time for your questions.",
        "Let us begin with the rooms where people actually sit and read.",
        "Students told us they needed somewhere calm to work in the evening.",
        "So we moved the desks away from the windows and the noise of the street.",
        "The builders have been with us since the spring.",
        "The old roof leaked every winter, and the new one should last for decades.",
        "The lift is the part that has caused us the most trouble.",
        "Our shelves are filling up again after the long closure.",
        "Volunteers spent many weekends scanning old maps and letters.",
        "Researchers from the university have already asked to use them.",
        "Many readers asked us to open on Sundays as well.",
        "We could only do that by hiring more people.",
        "The new colleagues will start after a short training.",
        "None of this would be possible without money from outside.",
        "The city has been generous, and so have our neighbours.",
        "Thank you again, and I hope to see you in the new reading rooms.",
    ),
    slides=(
        Slide(0.0, 15.0, ("Riverside Library", "Renovation update, autumn 2026", "Prepared by Omar Haddad")),
        Slide(15.0, 30.0, ("Reading rooms", "Seats for 120 readers on two floors", "Quiet room open until 22:00")),
        Slide(30.0, 45.0, ("Building works", "New roof finished in August", "Lift installation delayed to January")),
        Slide(45.0, 60.0, ("About the collection", "18,000 new books catalogued", "Local history archive digitised")),
        Slide(
            60.0,
            75.0,
            ("Opening hours and staff", "Open seven days a week from March", "Three new librarians join in February"),
        ),
        Slide(75.0, 90.0, ("Funding", "City grant: 1.2 million EUR", "Friends of the library raised 85,000 EUR")),
    ),
)
LIBRARY_QUESTIONS: tuple[SlideQuestion, ...] = (
    SlideQuestion("How many readers can sit in the reading rooms?", shown="Seats for 120 readers on two floors"),
    SlideQuestion("When does the quiet room close?", shown="Quiet room open until 22:00"),
    SlideQuestion("What does the slide say about the roof?", shown="New roof finished in August"),
    SlideQuestion("When will the lift be installed?", shown="Lift installation delayed to January"),
    SlideQuestion("How many new books were catalogued?", shown="18,000 new books catalogued"),
    SlideQuestion("What does the collection slide say about the archive?", shown="Local history archive digitised"),
    SlideQuestion("What are the new opening hours?", shown="Open seven days a week from March"),
    SlideQuestion("How many librarians will join the staff?", shown="Three new librarians join in February"),
    SlideQuestion("What does the funding slide say about the city grant?", shown="City grant: 1.2 million EUR"),
    SlideQuestion("How much did the friends of the library raise?", shown="Friends of the library raised 85,000 EUR"),
    SlideQuestion("On the building works slide, what does the speaker say about the roof?", sentence=7),
    SlideQuestion("What did the speaker mention about volunteers?", sentence=10),
    SlideQuestion("Who prepared the renovation update?", shown="Prepared by Omar Haddad"),
)
# The three halves: the first talk's even questions (tuned on in the first round), its odd ones
# (held out in the first round, seen since and open to tuning), the second talk's (never tuned on).
TUNING, SEEN, NEW = "tuning", "seen held-out", "new held-out"
HALVES = (TUNING, SEEN, NEW)
TALKS: tuple[tuple[Lecture, tuple[SlideQuestion, ...]], ...] = ((TALK, QUESTIONS), (LIBRARY, LIBRARY_QUESTIONS))


def half_of(talk: Lecture, number: int) -> str:
    if talk is LIBRARY:
        return NEW
    return SEEN if number % 2 == 1 else TUNING


@dataclass(frozen=True)
class Quoted:
    question: SlideQuestion
    half: str  # TUNING, SEEN or NEW
    visual: bool  # answered as a question about the picture
    kind: str | None  # of the first quote (None: nothing answers)
    text: str
    start: float | None
    expected_start: float | None  # of the said sentence that answers
    ranked: tuple[str, ...]  # the best ranked lines and sentences, described (for a miss)

    @property
    def ok(self) -> bool:
        if self.kind is None:
            return False
        if self.question.shown is not None:
            return self.kind == "shown" and same_line(self.text, self.question.shown)
        return (
            not self.visual
            and self.kind == "said"
            and self.start is not None
            and self.expected_start is not None
            and abs(self.start - self.expected_start) <= WITHIN_SECONDS
        )


def run() -> list[Quoted]:
    """Builds the talks in a throwaway database and asks every question; call with Django set up."""
    from accounts.models import User
    from bench.databases import throwaway_database

    outcomes: list[Quoted] = []
    with throwaway_database(), tempfile.TemporaryDirectory(prefix="sage-bench-slides-") as directory:
        owner = User.objects.create_user(email="bench-slides@example.com")
        for number, (talk, questions) in enumerate(TALKS):
            outcomes += run_talk(owner, talk, questions, Path(directory) / str(number))
    return outcomes


def run_talk(owner: User, talk: Lecture, questions: tuple[SlideQuestion, ...], directory: Path) -> list[Quoted]:
    """One talk made, read and stored as the pipeline stores it, and its questions asked."""
    from django.conf import settings
    from django.db import transaction

    from chat.answering import ExtractiveBackend
    from chat.retrieval import evidence_from, retrieve
    from chat.visual import is_visual_question, words_asked
    from sage.synthetic_media.speech_corpus import write_audio
    from videos.models import Video
    from videos.pipeline.steps import store_transcript
    from videos.screen_text.stage import store_screen_lines
    from videos.search import RANKED_WINDOWS
    from videos.text_embedding.model import embed_query, embed_texts_for_request
    from videos.transcripts.speech import recognise_speech
    from workspaces.selectors import personal_workspace_of

    directory.mkdir(parents=True)
    samples, starts = lecture_sound(talk)
    seconds = len(samples) / 48_000
    sound = write_audio(directory / "talk.m4a", samples)
    slides = directory / "slides.mp4"
    slide_video(slides, talk, seconds)
    result = recognise_speech(sound)
    lines = read_lines(slides, seconds)
    video = Video.objects.create(
        owner=owner,
        workspace=personal_workspace_of(owner),
        title=talk.title,
        status=Video.Status.READY,
        duration=seconds,
    )
    with transaction.atomic():
        store_transcript(video, result)
    said_windows(video)
    with transaction.atomic():
        store_screen_lines(video, lines)
    print(f"  {talk.title}: {seconds:.0f} s, {len(lines)} lines read on screen")
    outcomes: list[Quoted] = []
    for number, question in enumerate(questions):
        vector = embed_query(question.text)
        passages, found = retrieve(
            workspace_id=video.workspace_id,
            video_id=video.pk,
            vector=vector,
            limit=settings.CHAT_TOP_K,
            question=words_asked(question.text),
        )
        sentence_vectors = found.vectors(
            embed_texts_for_request(found.to_embed(windows=RANKED_WINDOWS)), windows=RANKED_WINDOWS
        )
        evidence = evidence_from(vector, passages, found.sentences, sentence_vectors)
        quotes = ExtractiveBackend().quoted(evidence, question=question.text)
        first = quotes[0] if quotes else None
        outcomes.append(
            Quoted(
                question=question,
                half=half_of(talk, number),
                visual=is_visual_question(question.text),
                kind=first.kind if first is not None else None,
                text=first.text if first is not None else "",
                start=first.start if first is not None else None,
                expected_start=starts[question.sentence] if question.sentence is not None else None,
                ranked=tuple(
                    f"{quote.kind} {quote.start:5.1f} sim {quote.similarity:.3f} score {quote.score:.3f}: "
                    f"{quote.text[:50]}"
                    for quote in evidence.ranked[:4]
                ),
            )
        )
    return outcomes


def report(outcomes: list[Quoted]) -> dict[str, tuple[int, int]]:
    """Prints the per-question table and the halves; returns, for each half, (right, asked)."""
    print(f"\n{'half':<13} {'kind':<6} {'question':<58} {'visual':<6} quoted")
    for outcome in outcomes:
        verdict = "ok" if outcome.ok else "MISS"
        print(
            f"{outcome.half:<13} {outcome.question.kind:<6} {outcome.question.text[:58]:<58} "
            f"{'yes' if outcome.visual else 'no':<6} {verdict} {outcome.kind or '—'} {outcome.text[:48]!r}"
        )
        if not outcome.ok:
            for described in outcome.ranked:
                print(f"{'':>22}{described}")
    halves: dict[str, tuple[int, int]] = {}
    for half in HALVES:
        chosen = [outcome for outcome in outcomes if outcome.half == half]
        halves[half] = (sum(outcome.ok for outcome in chosen), len(chosen))
        print(f"  {half:<14} the answering line quoted first: {halves[half][0]}/{halves[half][1]}")
    return halves
