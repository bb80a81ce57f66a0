"""sage.priority: a thread lowers its own priority, not its process's."""

from __future__ import annotations

import os
import threading

import pytest

from sage.priority import lower_this_threads_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "getpriority"), reason="nice values are a Unix thing")


def _niceness_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _niceness_after_lowering(by: int) -> int:
    seen: list[int] = []

    def lower() -> None:
        lower_this_threads_priority(by)
        seen.append(_niceness_of_this_thread())

    thread = threading.Thread(target=lower)
    thread.start()
    thread.join()
    return seen[0]


def test_a_thread_lowers_its_own_priority_and_no_other_thread_s() -> None:
    before = _niceness_of_this_thread()
    if before > 16:
        pytest.skip("the tests already run at nearly the lowest priority")
    assert _niceness_after_lowering(3) == before + 3
    assert _niceness_of_this_thread() == before


def test_a_priority_is_never_lowered_past_the_lowest() -> None:
    assert _niceness_after_lowering(100) == 19
