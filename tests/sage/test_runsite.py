"""`make run`'s command: migrate, demo account, web + worker + beat under supervisord; Ctrl-C stops all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from accounts.models import User
from accounts.services import DEMO_EMAIL
from devtools import processes


@pytest.mark.worker
def test_runsite_serves_web_worker_and_beat_and_ctrl_c_stops_them_all(transactional_db, tmp_path: Path) -> None:
    port = processes.free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsite", "--port", str(port)],
        cwd=processes.BASE_DIR,
        env=processes.server_env(SAGE_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line)
            if "SAGE is ready" in line:
                break
        assert any(f"http://127.0.0.1:{port}/" in line for line in printed)
        demo_line = next(line for line in printed if line.startswith("Demo account:"))
        password = demo_line.rsplit("password: ", 1)[1].strip()
        assert User.objects.get(email=DEMO_EMAIL).check_password(password)

        health = _wait_for_healthy(f"http://127.0.0.1:{port}/healthz")
        assert health["down"] == [], health

        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 5  # supervisord, its output listener, daphne, celery worker, celery beat
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert process.wait(60) == 0
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [], f"still running after Ctrl-C: {alive}"
    finally:
        if process.poll() is None:
            # supervisord gives each program its own process group: kill them by pid, not just our group.
            leftovers = psutil.Process(process.pid).children(recursive=True)
            os.killpg(process.pid, signal.SIGKILL)
            for child in leftovers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            process.wait(10)


def _wait_for_healthy(url: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = requests.get(url, timeout=10)
        body = response.json()
        if response.status_code == 200:
            return body
        time.sleep(0.5)
    return body
