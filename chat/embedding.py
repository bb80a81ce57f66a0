"""Embedding questions and answers from async code, in batches.

Fifty questions arriving together would otherwise be fifty model calls fighting for the same cores;
one call over all of them costs little more than one. Texts queue while a batch is being encoded and
go together in the next, so a lone question is not delayed and a burst is encoded a few at a time.

With TEXT_EMBEDDING_SUBPROCESS (the web process), batches are encoded in a child process that holds
the model: its Python runs on another core, instead of taking the web process's interpreter lock
from the database work and frames of every answer in flight.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
from asgiref.sync import sync_to_async
from django.conf import settings

PARENT_CHECK_SECONDS = 1.0


def _encode(texts: list[str]) -> np.ndarray:
    from videos.text_embeddings import embed_texts  # loads the model on first use

    return embed_texts(texts)


def _start_embedding_process(parent_pid: int) -> None:
    """The child's start: Django (the model's loader reads settings), then the model, so the first
    question does not wait for it."""
    import django

    # A web process killed outright (no exit handlers) must not leave its child behind.
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    django.setup()
    from videos.text_embeddings import text_model

    text_model()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _process_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # Spawned, not forked: a fork copies the web process's threads' held locks, not the threads.
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_embedding_process,
                initargs=(os.getpid(),),
            )
        return _pool


def _forget_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def stop_embedding_process() -> None:
    """Stop the embedding process, if one runs (the next batch starts another)."""
    if _pool is not None:
        _forget_pool(_pool)


async def _encode_elsewhere(texts: list[str]) -> np.ndarray:
    """`texts` encoded off the event loop: in the embedding process, or else on a pool thread."""
    if not settings.TEXT_EMBEDDING_SUBPROCESS:
        return await sync_to_async(_encode, thread_sensitive=False)(texts)
    loop = asyncio.get_running_loop()
    pool = _process_pool()
    try:
        return await loop.run_in_executor(pool, _encode, texts)
    except BrokenProcessPool:
        # The child died (killed, out of memory): these questions go to a new one, once.
        _forget_pool(pool)
        return await loop.run_in_executor(_process_pool(), _encode, texts)


class _Batcher:
    def __init__(self) -> None:
        self.pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self.running = False
        self.task: asyncio.Task[None] | None = None  # held: the loop keeps only weak references

    async def embed(self, text: str) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self.pending.append((text, future))
        if not self.running:
            self.running = True
            self.task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                # A question refused meanwhile cancelled its future: the model need not run for it.
                batch = [(text, future) for text, future in self.pending if not future.done()]
                self.pending = []
                if not batch:
                    continue
                try:
                    vectors = await _encode_elsewhere([text for text, _ in batch])
                except Exception as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), vector in zip(batch, vectors, strict=True):
                    if not future.done():
                        future.set_result(vector)
        finally:
            self.running = False


# One batcher per event loop (tests run each in a loop of its own).
_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = weakref.WeakKeyDictionary()


async def embed_text(text: str) -> np.ndarray:
    """The text's MiniLM vector (384-d, L2-normalised), encoded together with any others waiting."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    return await batcher.embed(text)
