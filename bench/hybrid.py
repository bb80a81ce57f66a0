"""The relevance cut-off of hybrid search (meaning and words), calibrated on bench/talks.py through
the app's own database search.

    .venv/bin/python bench/hybrid.py [--top-k 5]

The ten talks are stored as the pipeline stores them (caption lines, ~40 s windows embedded with
MiniLM, their words stemmed) in a throwaway database on the embedded Postgres, and each question
runs through `videos.selectors.search_moments_by_vector` with its text (the vector side and the
full-text side fused) and the chat's ranking of sentences (`chat.retrieval.evidence_from`). The
questions are split in halves: the even-numbered related and unrelated questions TUNE the words
rule (videos.search.WORDS_MATCH_SHARE and WORDS_MATCH_LEAST), the odd-numbered ones are HELD OUT
and only reported. For each rule on a grid, and for the vector cut-offs alone: related questions
that keep an answer, unrelated ones let through, and answers cited within 2 s of the answering
sentence, per half.

Goal (the issue's): no related question loses its answer to the words rule that the vector
cut-offs kept, and no more unrelated ones let through than the vector cut-offs alone (2 of 30),
on the held-out half too.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere as a script

from bench.databases import throwaway_database  # found through the path above
from bench.django_env import setup_django

BENCH_REDIS_DB = 14


def configure_django() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    setup_django("hybrid", redis_db=BENCH_REDIS_DB, shared_secret=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top-k", type=int, default=5, help="windows retrieved per question (the chat's CHAT_TOP_K)")
    arguments = parser.parse_args()
    configure_django()
    # Its searches run the words side on threads of their own: their connections too must be closed
    # before the database is dropped, which the shared helper does.
    with throwaway_database():
        return run(arguments.top_k)


def run(top_k: int) -> int:
    from accounts.models import User
    from bench.talks import QUESTIONS, TALKS, UNRELATED, timed_lines
    from chat.retrieval import evidence_from
    from videos import search
    from videos.chunks import replace_chunks
    from videos.models import Transcript, TranscriptChunk, TranscriptSegment, Video
    from videos.selectors import search_moments_by_vector
    from videos.text_embedding.encoder import embed_texts
    from videos.text_embedding.model import embed_texts_for_request
    from videos.timed_text import windows_of
    from workspaces.selectors import personal_workspace_of

    owner = User.objects.create_user(email="bench-hybrid@example.com")
    workspace_id = personal_workspace_of(owner).pk  # where its videos go, and what it searches
    videos: list[Video] = []
    answer_starts: list[list[float]] = []
    for number, talk in enumerate(TALKS):
        video = Video.objects.create(
            owner=owner,
            workspace_id=workspace_id,
            title=talk.title,
            status=Video.Status.READY,
            duration=600.0,
        )
        videos.append(video)
        lines, starts = timed_lines(talk, words=number % 2 == 1)
        answer_starts.append(starts)
        transcript = Transcript.objects.create(video=video, source=Transcript.Source.SIDECAR, language="en")
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(transcript=transcript, index=i, start=line.start, end=line.end, text=line.text)
            for i, line in enumerate(lines)
        )
        windows = windows_of(lines, target_seconds=40.0, overlap_seconds=8.0)
        replace_chunks(video, TranscriptChunk.Kind.SAID, windows, embed_texts([window.text for window in windows]))
    talk_of_video = {video.pk: number for number, video in enumerate(videos)}

    # Each question's evidence, as the chat gathers it (the rule is applied afterwards, per setting).
    asked = [(question.text, question) for question in QUESTIONS] + [(text, None) for text in UNRELATED]
    vectors = embed_texts([text for text, _ in asked])
    evidence = []
    for (text, _), vector in zip(asked, vectors, strict=True):
        passages = search_moments_by_vector(workspace_id, vector, question=text, limit=top_k)
        found = search.moment_sentences(passages)
        sentence_vectors = found.vectors(
            embed_texts_for_request(found.to_embed(windows=search.RANKED_WINDOWS)), windows=search.RANKED_WINDOWS
        )
        evidence.append(evidence_from(vector, passages, found.sentences, sentence_vectors))

    def outcome(index: int) -> tuple[bool, bool]:
        """(answered at all, cited within 2 s of the right sentence) under the current constants."""
        quotes = search.best_quotes(evidence[index].answers())
        question = asked[index][1]
        if not quotes or question is None:
            return bool(quotes), False
        best = quotes[0]
        right = talk_of_video[best.video_id] == question.talk
        return True, right and abs(best.start - answer_starts[question.talk][question.sentence]) <= 2.0

    related = range(len(QUESTIONS))
    unrelated = range(len(QUESTIONS), len(asked))
    halves = {"tuned on (even)": 0, "held out (odd)": 1}

    def figures(label: str) -> dict[str, tuple[int, int, int]]:
        results = {}
        line = [f"{label:<34}"]
        for name, parity in halves.items():
            rel = [i for i in related if i % 2 == parity]
            unr = [i for i in unrelated if (i - len(QUESTIONS)) % 2 == parity]
            kept = sum(outcome(i)[0] for i in rel)
            cited = sum(outcome(i)[1] for i in rel)
            through = sum(outcome(i)[0] for i in unr)
            results[name] = (kept, cited, through)
            line.append(f"{name}: kept {kept}/{len(rel)}, cited ≤2 s {cited}, unrelated through {through}/{len(unr)}")
        print("  ".join(line))
        return results

    share, least = search.WORDS_MATCH_SHARE, search.WORDS_MATCH_LEAST
    search.WORDS_MATCH_LEAST = 10**6  # the words rule off: the vector cut-offs alone
    baseline = figures("vector cut-offs alone")
    for try_share in (0.34, 0.5, 0.67, 0.75, 1.0):
        for try_least in (1, 2, 3):
            search.WORDS_MATCH_SHARE, search.WORDS_MATCH_LEAST = try_share, try_least
            figures(f"words ≥ {try_share:.0%} and ≥ {try_least}")
    search.WORDS_MATCH_SHARE, search.WORDS_MATCH_LEAST = share, least
    print("\nproduction constants:")
    production = figures(f"words ≥ {share:.0%} and ≥ {least}")
    for index, (text, question) in enumerate(asked):
        kept, cited = outcome(index)
        moments = evidence[index].passages
        words = max((f"{m.words_found}/{len(m.key_words)}" for m in moments), default="-")
        distance = min((m.distance for m in moments), default=1.0)
        if question is None and kept:
            print(f"  unrelated let through: {text!r} (best distance {distance:.2f}, words {words})")
        if question is not None and not cited:
            print(
                f"  related not cited within 2 s: {text!r} (kept {kept}; best distance {distance:.2f}, words {words})"
            )
    met = all(production[name][0] >= baseline[name][0] and production[name][2] <= baseline[name][2] for name in halves)
    print(
        f"\ngoal (no answer lost, no more unrelated through than the vector cut-offs, both halves): "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
