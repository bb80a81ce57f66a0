"""The web process's embedding child (TEXT_EMBEDDING_SUBPROCESS, which sage/asgi.py turns on): chat
questions and search queries get the same vectors as the model gives in-process, from another
process, and still get them when that process has died; and it does not outlive its parent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator

import numpy as np
import psutil
import pytest

from devtools.processes import BASE_DIR, VENV_BIN, free_port, server_env, stop_process, wait_for_port
from videos.text_embedding.batching import embed_text
from videos.text_embedding.child import child_pids, stop_embedding_process
from videos.text_embedding.model import embed_query, embed_texts

# A warm start opens its port once the model is loaded: slow on a busy machine.
WARM_START_SECONDS = 180.0
# The child sees its parent's pipe close at once; allow for a loaded machine.
ORPHANS_GONE_WITHIN = 5.0

QUESTIONS = ["How hot should the oven be?", "When can I slice the bread?", "What do we clean while it bakes?"]


@pytest.fixture
def embedding_child(settings) -> Iterator[None]:
    settings.TEXT_EMBEDDING_SUBPROCESS = True
    try:
        yield
    finally:
        stop_embedding_process()


async def test_chat_questions_are_embedded_in_another_process_exactly_as_in_this_one(embedding_child) -> None:
    vectors = await asyncio.gather(*(embed_text(question) for question in QUESTIONS))

    assert np.allclose(np.stack(vectors), embed_texts(QUESTIONS), atol=1e-5)
    [child] = child_pids()
    assert child != os.getpid()


def test_a_search_query_is_embedded_by_the_child_too(embedding_child) -> None:
    vector = embed_query("sourdough starter")

    assert np.allclose(vector, embed_texts(["sourdough starter"])[0], atol=1e-5)
    assert child_pids() and os.getpid() not in child_pids()


def test_a_query_is_still_embedded_after_the_embedding_process_died(embedding_child) -> None:
    embed_query("warm up")
    [dead] = child_pids()
    os.kill(dead, signal.SIGKILL)

    vector = embed_query(QUESTIONS[0])

    assert np.allclose(vector, embed_texts(QUESTIONS[:1])[0], atol=1e-5)
    [replacement] = child_pids()
    assert replacement != dead


@pytest.mark.django_db(transaction=True)
def test_a_web_process_killed_outright_leaves_no_process_of_its_own_behind() -> None:
    # The real web process, started warm so its embedding child (and multiprocessing's resource
    # tracker, which the child's queues need) are running before the port opens; then SIGKILL, as
    # the kernel's OOM killer or `kill -9` would: no exit handler of the web process runs.
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "--bind", "127.0.0.1", "--port", str(port := free_port()), "sage.asgi:application"],
        cwd=BASE_DIR,
        env=server_env(TEXT_EMBEDDING_WARM_AT_START="true"),
    )
    try:
        wait_for_port(port, process, timeout=WARM_START_SECONDS)
        started = psutil.Process(process.pid).children(recursive=True)
        assert len(started) == 2, [child.cmdline() for child in started]  # the child and the resource tracker
        process.kill()
        process.wait(10)

        _gone, orphans = psutil.wait_procs(started, timeout=ORPHANS_GONE_WITHIN)
    finally:
        stop_process(process)
    left = [" ".join(orphan.cmdline())[:120] for orphan in orphans]
    for orphan in orphans:
        orphan.kill()  # this test's leftovers must not outlive it either

    assert not left, f"outlived the web process: {left}"
