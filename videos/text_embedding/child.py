"""The web process's embedding child: one process of its own that holds the text model.

With TEXT_EMBEDDING_SUBPROCESS (sage/asgi.py turns it on for the web process), what the process
embeds for a request (a chat question, a transcript or message search) is encoded by this child.
It starts on first use, or at the web process's start with TEXT_EMBEDDING_WARM_AT_START
(`warm_embedding_process`), so the first question does not wait for the model to load.
The model (a few ms of CPU a question) then runs on another core instead of under the web
process's one interpreter lock, where it held up every answer's database work and frames
(bench/chat.py); and the web process never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection

import django
import numpy as np

from videos.text_embedding.encoder import embed_texts, text_model

_pool: ProcessPoolExecutor | None = None
# The write end of the pipe the pool's child watches (see `_start_embedding_process`): held, never
# written, for as long as the pool is this process's.
_lifeline: Connection | None = None
_pool_lock = threading.Lock()


def embed_in_child(texts: Sequence[str]) -> np.ndarray:
    """`embed_texts(texts)`, computed by the embedding child (started on first use). A child that
    died (killed, out of memory) is replaced, and the texts sent to the new one, once."""
    pool = _process_pool()
    try:
        return _send(pool, texts).result()
    except BrokenProcessPool:
        _forget_pool(pool)
        return _send(_process_pool(), texts).result()


async def embed_in_child_async(texts: Sequence[str]) -> np.ndarray:
    """`embed_in_child` for async code: awaited on the event loop, holding no thread meanwhile."""
    pool = _process_pool()
    try:
        return await asyncio.wrap_future(_send(pool, texts))
    except BrokenProcessPool:
        _forget_pool(pool)
        return await asyncio.wrap_future(_send(_process_pool(), texts))


def _send(pool: ProcessPoolExecutor, texts: Sequence[str]) -> Future[np.ndarray]:
    return pool.submit(embed_texts, list(texts))


def warm_embedding_process() -> Future[bool]:
    """Start the embedding child now (loading the model, which takes seconds) instead of at the first
    text; the future is done, True, once the model is loaded. Needs no Django setup in this process."""
    return _process_pool().submit(_model_loaded)


def _model_loaded() -> bool:
    # Run in the child after `_start_embedding_process`, which loads the model before any task.
    return True


def child_pids() -> set[int]:
    """The embedding child's process id, if one runs."""
    with _pool_lock:
        return set(_pool._processes or {}) if _pool is not None else set()  # the pool's own record


def stop_embedding_process() -> None:
    """Stop the embedding child, if one runs (the next text starts another)."""
    if _pool is not None:
        _forget_pool(_pool)


def _process_pool() -> ProcessPoolExecutor:
    global _pool, _lifeline
    with _pool_lock:
        if _pool is None:
            lifeline_end, _lifeline = multiprocessing.Pipe(duplex=False)
            # Spawned, not forked: a fork copies the web process's threads' held locks, not the threads.
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_embedding_process,
                initargs=(lifeline_end,),  # passed to the child as a file descriptor of its own
            )
        return _pool


def _forget_pool(pool: ProcessPoolExecutor) -> None:
    global _pool, _lifeline
    with _pool_lock:
        if _pool is pool:
            _pool = None
            if _lifeline is not None:
                _lifeline.close()  # the child, if it still runs, exits: its work is cancelled anyway
                _lifeline = None
    pool.shutdown(wait=False, cancel_futures=True)


def _start_embedding_process(lifeline: Connection) -> None:
    """The child's start: a watch on its parent, Django (the model's loader reads settings), then the
    model, so the first text does not wait for it.

    The child must not outlive the process that started it, even one killed outright (SIGKILL, the
    OOM killer: no exit handler runs). The kernel closes a dead process's files, so the pipe's write
    end, held only by the parent, reads as closed the moment the parent is gone, however it died.
    Not PR_SET_PDEATHSIG: that signal follows the *thread* that started the child, and the child is
    started by whichever thread first needs a vector, such as a sync view's thread, which Django's
    ASGI handler ends with the request."""
    threading.Thread(target=_exit_when_parent_is_gone, args=(lifeline,), name="lifeline", daemon=True).start()
    os.environ["TEXT_EMBEDDING_SUBPROCESS"] = "false"  # the child computes what it is given
    django.setup()
    text_model()


def _exit_when_parent_is_gone(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()  # nothing is ever sent: this returns only at end of file
    os._exit(0)  # no clean-up: the parent that would want the results is gone
