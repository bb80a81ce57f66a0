"""Questions embedded in the web process's embedding process (TEXT_EMBEDDING_SUBPROCESS, which
sage/asgi.py turns on): the same vectors as the model gives in-process, from another process, and a
question still gets its vector when that process has died."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import numpy as np
import pytest

from chat import embedding
from videos.text_embeddings import embed_texts

QUESTIONS = ["How hot should the oven be?", "When can I slice the bread?", "What do we clean while it bakes?"]


@pytest.fixture
def embedding_process(settings) -> Iterator[None]:
    settings.TEXT_EMBEDDING_SUBPROCESS = True
    try:
        yield
    finally:
        embedding.stop_embedding_process()


def child_pids() -> set[int]:
    pool = embedding._pool
    assert pool is not None
    return set(pool._processes or {})  # the pool's own record of its processes


async def test_questions_are_embedded_in_another_process_exactly_as_in_this_one(embedding_process) -> None:
    vectors = await asyncio.gather(*(embedding.embed_text(question) for question in QUESTIONS))

    assert np.allclose(np.stack(vectors), embed_texts(QUESTIONS), atol=1e-5)
    [child] = child_pids()
    assert child != os.getpid()


async def test_a_question_is_still_embedded_after_the_embedding_process_died(embedding_process) -> None:
    await embedding.embed_text("warm up")
    [dead] = child_pids()
    os.kill(dead, signal.SIGKILL)

    vector = await asyncio.wait_for(embedding.embed_text(QUESTIONS[0]), timeout=120)

    assert np.allclose(vector, embed_texts(QUESTIONS[:1])[0], atol=1e-5)
    [replacement] = child_pids()
    assert replacement != dead
