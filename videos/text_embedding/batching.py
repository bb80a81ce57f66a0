"""Embedding questions, and the transcript sentences that may answer them, from async code, in batches.

Fifty questions arriving together would otherwise be fifty model calls fighting for the same cores;
one call over all of them costs little more than one. Texts queue while a batch is being encoded and
go together in the next (at most MAX_BATCH at a time, so a question is not stuck behind a long
queue of sentences), so a lone question is not delayed and a burst is encoded a few at a time.
Transcript sentences are asked about again and again (every question about a video reads the same
windows), so their vectors are kept in a small cache of the process.

With TEXT_EMBEDDING_SUBPROCESS (the web process), batches are encoded by the embedding child
(videos.text_embedding.child), awaited on the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from asgiref.sync import sync_to_async
from django.conf import settings

from videos.models import TEXT_EMBEDDING_DIM
from videos.text_embedding.child import embed_in_child_async
from videos.text_embedding.model import embed_texts

MAX_BATCH = 128
# Sentences whose vectors are kept (~1.5 KB each).
CACHED_SENTENCES = 20_000


def _encode(texts: list[str]) -> np.ndarray:
    return embed_texts(texts)


async def _encode_off_the_loop(texts: list[str]) -> np.ndarray:
    if settings.TEXT_EMBEDDING_SUBPROCESS:
        return await embed_in_child_async(texts)
    return await sync_to_async(_encode, thread_sensitive=False)(texts)


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
                batch = [(text, future) for text, future in self.pending[:MAX_BATCH] if not future.done()]
                self.pending = self.pending[MAX_BATCH:]
                if not batch:
                    continue
                try:
                    vectors = await _encode_off_the_loop([text for text, _ in batch])
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


_sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()


async def embed_sentences(texts: Sequence[str]) -> np.ndarray:
    """The texts' MiniLM vectors (one row each, in order): from the cache, or encoded in the next
    batches with any other texts waiting, then cached."""
    vectors: list[np.ndarray | None] = [_sentence_cache.get(text) for text in texts]
    missing = sorted({text for text, vector in zip(texts, vectors, strict=True) if vector is None})
    if missing:
        fresh = await asyncio.gather(*(embed_text(text) for text in missing))
        for text, vector in zip(missing, fresh, strict=True):
            _sentence_cache[text] = vector
        while len(_sentence_cache) > CACHED_SENTENCES:
            _sentence_cache.popitem(last=False)
        found = dict(zip(missing, fresh, strict=True))
        vectors = [vector if vector is not None else found[text] for text, vector in zip(texts, vectors, strict=True)]
    for text in texts:
        if text in _sentence_cache:
            _sentence_cache.move_to_end(text)
    if not vectors:
        return np.zeros((0, TEXT_EMBEDDING_DIM), np.float32)
    return np.stack([vector for vector in vectors if vector is not None])
