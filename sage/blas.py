"""NumPy's BLAS (OpenBLAS) on one thread in the processes that process videos.

OpenBLAS splits a large enough matrix product over a thread per core, and its threads then wait
for the next product spinning, not asleep, for longer than the pipeline's products are apart: the
clip embedding's sound runs its mel filters every 8 s of audio, Whisper's feature extraction every
window, so a spinning thread keeps a second core busy between them. A video's processing already
keeps the cores busy with threads of its own (the decoder's, the pictures', the sound's, speech
recognition), and a worker runs one process per core, so BLAS's threads gain nothing there and
take the decoder's core, slowing the clip-embedding stage (bench/pipeline.py; figures in
bench/RESULTS.md).

Set once, as a process starts and before its threads do (OpenBLAS must not be re-sized while a
product runs in another thread). threadpoolctl reaches only libraries already loaded: NumPy is
imported first.
"""

from __future__ import annotations

import numpy  # noqa: F401  # loads NumPy's OpenBLAS, so that the limit reaches it
from threadpoolctl import threadpool_limits


def use_one_blas_thread() -> None:
    """From now on, every BLAS loaded in this process computes on the calling thread alone."""
    threadpool_limits(limits=1, user_api="blas")
