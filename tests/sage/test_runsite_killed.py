"""`make run`'s command killed outright (SIGKILL: no handler of its own runs) takes web, worker and
beat with it: supervisord is told by the kernel (its parent-death signal) and stops them as on Ctrl-C,
instead of leaving them serving on servers nobody may be keeping up any more."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from devtools import processes

READY_WITHIN = 240.0  # migrate, then web, worker and beat, on a machine the rest of the suite keeps busy
# supervisord's SIGTERM to each program, then SIGKILL after its stopwaitsecs (10 s at most), on a loaded machine.
ALL_GONE_WITHIN = 30.0


@pytest.mark.worker
def test_killing_runsite_outright_stops_web_worker_and_beat(transactional_db, tmp_path: Path) -> None:
    port = processes.free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsite", "--port", str(port), "--no-demo"],
        cwd=processes.BASE_DIR,
        env=processes.server_env(SAGE_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = process.stdout
    assert output is not None
    ready = threading.Event()

    def read_to_the_end() -> None:  # supervisord shares the pipe: a full one would stall it
        for line in output:
            if "SAGE is ready" in line:
                ready.set()

    threading.Thread(target=read_to_the_end, daemon=True).start()
    under_it: list[psutil.Process] = []
    try:
        assert ready.wait(READY_WITHIN), "runsite did not say it was ready"
        under_it = psutil.Process(process.pid).children(recursive=True)
        assert len(under_it) >= 5  # supervisord, its output listener, daphne, celery worker, celery beat
        process.send_signal(signal.SIGKILL)
        process.wait(10)

        _gone, alive = psutil.wait_procs(under_it, timeout=ALL_GONE_WITHIN)
        left = [" ".join(orphan.cmdline())[:100] for orphan in alive]
    finally:
        for leftover in under_it:
            with contextlib.suppress(psutil.NoSuchProcess):
                leftover.kill()  # the test's own leftovers must not outlive it
        if process.poll() is None:
            process.kill()
            process.wait(10)

    assert not left, f"outlived runsite: {left}"
