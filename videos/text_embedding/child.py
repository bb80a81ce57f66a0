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
import functools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection

import django
import numpy as np
from django.conf import settings

from sage.errors import ServiceUnavailable
from videos.text_embedding.encoder import embed_texts, text_model

logger = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
# The write end of the pipe the pool's child watches (see `_start_embedding_process`): held, never
# written, for as long as the pool is this process's.
_lifeline: Connection | None = None
_pool_lock = threading.Lock()
# Per pool (by id), when its child last finished something (monotonic seconds): a child that finished
# nothing while a text waited out its bound is stuck, not slow.
_last_finished: dict[int, float] = {}


def embed_in_child(texts: Sequence[str]) -> np.ndarray:
    """`embed_texts(texts)`, computed by the embedding child (started on first use). A child that
    died (killed, out of memory) is replaced, and the texts sent to the new one, once; one that gives
    nothing back is waited for at most TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS (`embed_in_child_async`)."""
    pool = _process_pool()
    try:
        return _vectors_waited(pool, texts)
    except BrokenProcessPool:
        _forget_pool(pool)
        return _vectors_waited(_process_pool(), texts)


class TextModelNotAnswering(ServiceUnavailable):
    """The embedding child gave no vector for TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS."""

    code = "text_model_unavailable"
    default_message = "The text model is not answering right now: ask again in a moment."


async def embed_in_child_async(texts: Sequence[str]) -> np.ndarray:
    """`embed_in_child` for async code: awaited on the event loop, holding no thread meanwhile.

    Bounded: a child that gives nothing back for TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS raises
    TextModelNotAnswering, so a question waiting on it ends with an error instead of waiting for
    ever (and the batch queued behind it in `batching` goes on). A child that finished nothing at all
    in that time is stuck (a wait that never returns, not a slow machine, whose child still finishes
    texts now and then): it is replaced, so the next question gets a new one."""
    pool = _process_pool()
    try:
        return await _vectors(pool, texts)
    except BrokenProcessPool:
        _forget_pool(pool)
        return await _vectors(_process_pool(), texts)


async def _vectors(pool: ProcessPoolExecutor, texts: Sequence[str]) -> np.ndarray:
    sent_at = time.monotonic()
    work = _send(pool, texts)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(work), settings.TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS)
    except TimeoutError:
        raise _not_answering(pool, work, sent_at) from None


def _vectors_waited(pool: ProcessPoolExecutor, texts: Sequence[str]) -> np.ndarray:
    """`_vectors` for sync code (a search's thread), bounded alike."""
    sent_at = time.monotonic()
    work = _send(pool, texts)
    try:
        return work.result(timeout=settings.TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS)
    except FutureTimeoutError:
        raise _not_answering(pool, work, sent_at) from None


def _not_answering(pool: ProcessPoolExecutor, work: Future[np.ndarray], sent_at: float) -> TextModelNotAnswering:
    work.cancel()  # if still queued, the child need not compute it
    if _finished_at(pool) < sent_at:
        waited = time.monotonic() - sent_at
        logger.error("the embedding child finished nothing for %.0f s: starting another", waited)
        _forget_pool(pool, stop_child=True)
    return TextModelNotAnswering()


def _finished_at(pool: ProcessPoolExecutor) -> float:
    """When the pool's child last finished a text (its start when none yet), monotonic seconds."""
    with _pool_lock:
        return _last_finished.get(id(pool), 0.0)


def _note_finished(pool_id: int, _done: Future[object]) -> None:
    with _pool_lock:
        _last_finished[pool_id] = time.monotonic()


def _send(pool: ProcessPoolExecutor, texts: Sequence[str]) -> Future[np.ndarray]:
    work = pool.submit(embed_texts, list(texts))
    work.add_done_callback(functools.partial(_note_finished, id(pool)))
    return work


def warm_embedding_process() -> Future[bool]:
    """Start the embedding child now (loading the model, which takes seconds) instead of at the first
    text; the future is done, True, once the model is loaded. Needs no Django setup in this process."""
    pool = _process_pool()
    loading = pool.submit(_model_loaded)
    loading.add_done_callback(functools.partial(_note_finished, id(pool)))
    return loading


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
            _last_finished[id(_pool)] = time.monotonic()
        return _pool


def _forget_pool(pool: ProcessPoolExecutor, *, stop_child: bool = False) -> None:
    """Let the next text start a new child. `stop_child`: the old one is stuck, not dead, and is
    killed (closing its lifeline is not enough: a stuck child may never read it)."""
    global _pool, _lifeline
    with _pool_lock:
        _last_finished.pop(id(pool), None)
        if _pool is pool:
            _pool = None
            if _lifeline is not None:
                _lifeline.close()  # the child, if it still runs, exits: its work is cancelled anyway
                _lifeline = None
    if stop_child:
        for process in list((pool._processes or {}).values()):  # the pool's own record
            process.kill()
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
