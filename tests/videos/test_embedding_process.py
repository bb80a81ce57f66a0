"""The web process's embedding child (TEXT_EMBEDDING_SUBPROCESS, which sage/asgi.py turns on): chat
questions and search queries get the same vectors as the model gives in-process, from another
process, and still get them when that process has died; and it does not outlive its parent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import psutil
import pytest

from tests.servers import BASE_DIR
from videos.text_embedding.batching import embed_text
from videos.text_embedding.child import child_pids, stop_embedding_process
from videos.text_embedding.model import embed_query, embed_texts

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


def test_the_embedding_process_exits_when_its_parent_is_killed_outright(tmp_path) -> None:
    # A parent like the web process: it starts the child, says the child's pid, and is killed with
    # SIGKILL (no exit handlers run), as a crashed or OOM-killed server would be.
    script = tmp_path / "parent.py"
    script.write_text(
        "import time\n"
        "import django\n"
        "if __name__ == '__main__':  # the spawned child imports this file too, as daphne's script\n"
        "    django.setup()\n"
        "    from videos.text_embedding.child import child_pids, embed_in_child\n"
        "    embed_in_child(['warm up'])\n"
        "    print(*child_pids(), flush=True)\n"
        "    time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(BASE_DIR), "TEXT_EMBEDDING_SUBPROCESS": "true"}
    parent = subprocess.Popen([sys.executable, str(script)], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        parent.kill()
        parent.wait(10)

        gone, _alive = psutil.wait_procs([child], timeout=10)
    finally:
        if parent.poll() is None:
            parent.kill()

    assert gone, "the embedding child outlived its parent"
