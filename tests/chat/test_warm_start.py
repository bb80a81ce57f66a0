"""A web process loads the text model as it starts (TEXT_EMBEDDING_WARM_AT_START, on by default, off
in the test suite): its embedding child is started and loads the model without any question being
asked, while the process serves at once (a restarted process is back in seconds). It says it is not
ready until the model is in, so a load balancer sends it questions only then. Without the setting no
child loads the model until a text needs embedding."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psutil
import pytest

from devtools.processes import BASE_DIR, VENV_BIN, free_port, server_env, stop_process, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)

START_TIMEOUT_SECONDS = 180.0  # a start on a busy machine


@contextmanager
def web_process(warm: bool) -> Iterator[tuple[psutil.Process, str]]:
    """daphne serving the real app, as the Procfile's `web` does, from when its port is open; and
    its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "--bind", "127.0.0.1", "--port", str(port), "sage.asgi:application"],
        cwd=BASE_DIR,
        env=server_env(TEXT_EMBEDDING_WARM_AT_START="true" if warm else "false"),
    )
    try:
        wait_for_port(port, process, timeout=START_TIMEOUT_SECONDS)
        yield psutil.Process(process.pid), f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def loaded_text_model(process: psutil.Process) -> bool:
    """Whether the process has onnxruntime's library mapped (loading the text model imports it)."""
    return any("onnxruntime" in mapping.path for mapping in process.memory_maps(grouped=True))


def readiness_once_loaded(url: str) -> list[httpx.Response]:
    """`/healthz/ready`'s answers from the port's opening until the first 200."""
    answers: list[httpx.Response] = []
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answers.append(httpx.get(f"{url}/healthz/ready", timeout=30))
        if answers[-1].status_code == 200:
            return answers
        time.sleep(0.1)
    raise AssertionError(f"never ready: {answers[-1].json()}")


def test_a_web_process_started_warm_serves_at_once_and_is_ready_once_its_child_has_the_model() -> None:
    with web_process(warm=True) as (server, url):
        assert httpx.get(f"{url}/healthz/live", timeout=30).status_code == 200  # serving, model or not
        answers = readiness_once_loaded(url)
        # The embedding child (beside multiprocessing's resource tracker) has the model once ready.
        assert [loaded_text_model(child) for child in server.children()].count(True) == 1
        assert not loaded_text_model(server)  # the model is the child's alone
    for not_yet in answers[:-1]:
        assert not_yet.status_code == 503 and not_yet.json()["checks"]["startup"] == {
            "ok": False,
            "detail": "loading the text model",
        }


def test_a_web_process_started_cold_loads_no_model_before_a_question() -> None:
    with web_process(warm=False) as (server, url):
        assert readiness_once_loaded(url)[0].status_code == 200  # nothing to load at start
        assert not loaded_text_model(server)
        assert not any(loaded_text_model(child) for child in server.children())
