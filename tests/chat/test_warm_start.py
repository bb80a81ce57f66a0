"""A web process holds the text model before it serves (TEXT_EMBEDDING_WARM_AT_START, on by default,
off in the test suite): its embedding child is started and has loaded the model without any question
being asked, so the first question after a start does not wait for it. Without the setting no child
loads the model until a text needs embedding."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from devtools.processes import BASE_DIR, VENV_BIN, free_port, server_env, stop_process, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)

# A warm start opens its port once the model is loaded: longer than a cold start on a busy machine.
START_TIMEOUT_SECONDS = 180.0


@contextmanager
def web_process(warm: bool) -> Iterator[psutil.Process]:
    """daphne serving the real app, as the Procfile's `web` does, until its port is open."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "--bind", "127.0.0.1", "--port", str(port), "sage.asgi:application"],
        cwd=BASE_DIR,
        env=server_env(TEXT_EMBEDDING_WARM_AT_START="true" if warm else "false"),
    )
    try:
        wait_for_port(port, process, timeout=START_TIMEOUT_SECONDS)
        yield psutil.Process(process.pid)
    finally:
        stop_process(process)


def loaded_text_model(process: psutil.Process) -> bool:
    """Whether the process has onnxruntime's library mapped (loading the text model imports it)."""
    return any("onnxruntime" in mapping.path for mapping in process.memory_maps(grouped=True))


def test_a_web_process_started_warm_has_loaded_the_text_model_before_it_serves() -> None:
    with web_process(warm=True) as server:
        # The embedding child (beside multiprocessing's resource tracker), loaded before the port opened.
        assert [loaded_text_model(child) for child in server.children()].count(True) == 1
        assert not loaded_text_model(server)  # the model is the child's alone


def test_a_web_process_started_cold_loads_no_model_before_a_question() -> None:
    with web_process(warm=False) as server:
        assert not loaded_text_model(server)
        assert not any(loaded_text_model(child) for child in server.children())
