"""A thread whose work can wait for another's lets the scheduler run that one first.

On Linux a nice value belongs to one thread (setpriority on its thread id), so a thread can lower
its own priority without touching the rest of its process. Elsewhere it would lower the whole
process, so there this does nothing. Lowering a priority needs no privilege; raising it back
would, so it is done only in threads that end with their work.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger(__name__)

_LOWEST = 19  # the highest nice value Linux accepts


def lower_this_threads_priority(by: int) -> None:
    """The calling thread's nice value raised by `by` (up to 19); the process's other threads keep theirs."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(_LOWEST, current + by))
    except OSError as error:  # a sandbox that forbids it: the thread keeps the process's priority
        logger.info("cannot lower a thread's priority: %s", error)
