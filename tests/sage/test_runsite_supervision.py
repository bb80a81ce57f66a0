"""`make run`'s command: it says where the site is and the demo account's password, serves with every
part up, and supervises its processes: web, the worker (or one of its pool processes) and beat, each
killed outright, are started again and serve, while the embedded Redis that `make run` started keeps
running; Ctrl-C then stops every process it started, that Redis included.

One `manage.py runsite` serves the whole module (its start is the slow part), on the suite's test
database (already migrated) and a Redis of its own under its own data directory, so the refcount of
the embedded servers is `make run`'s own, as on a developer's machine. The tests run in file order.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests
from celery import Celery
from django.conf import settings
from django.db import connection
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from accounts.models import User
from accounts.services import DEMO_EMAIL
from billing.models import Plan
from billing.plans import create_default_plans
from devtools import processes
from sage.services import embedded
from sage.supervision import ProcfileError, SupervisorFiles, procfile_entries, supervisord_config
from tests import emptying

pytestmark = pytest.mark.worker

# Failure guards, not goals (bench/supervision.py measures how fast): a process's start on a machine
# the rest of the suite keeps busy, migrate and supervisord's own start included for the first.
STARTED_WITHIN = 240.0
BACK_WITHIN = 120.0
ALL_GONE_WITHIN = 60.0


@dataclass
class Site:
    process: subprocess.Popen[str]
    url: str
    files: SupervisorFiles
    redis_pid: int
    env: dict[str, str]
    output: list[str] = field(default_factory=list)
    # Every process seen under runsite, the replaced ones too: none may outlive Ctrl-C.
    seen: dict[int, psutil.Process] = field(default_factory=dict)

    def program_pid(self, name: str) -> int:
        """The pid supervisord gives for `name`, asked through its control socket (0: not running)."""
        answer = subprocess.run(
            [str(processes.VENV_BIN / "supervisorctl"), "-c", str(self.files.config), "pid", f"sage:{name}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return int(answer.stdout.strip()) if answer.stdout.strip().isdigit() else 0

    def note_processes(self) -> None:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            self.seen.setdefault(child.pid, child)

    def replaced(self, name: str, old_pid: int) -> int:
        """The new pid of `name` once supervisord has started it again after `old_pid` died."""
        new_pid = _wait_for(lambda: (pid := self.program_pid(name)) not in (0, old_pid) and pid, BACK_WITHIN)
        assert isinstance(new_pid, int), f"{name} was not started again after {old_pid} was killed"
        self.note_processes()
        return new_pid

    def celery(self) -> Celery:
        """A Celery client on the worker's own broker (runsite's Redis, not the suite's)."""
        redis_url = psutil.Process(self.program_pid("worker")).environ()["REDIS_URL"]
        return Celery("probe", broker=redis_url, backend=redis_url, set_as_current=False)

    def runs_a_task(self) -> bool:
        client = self.celery()
        try:
            result = client.send_task("videos.tasks.take_over_lapsed_videos", queue="default")
            return result.get(timeout=BACK_WITHIN) == [0, 0]
        finally:
            client.close()


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with django_db_blocker.unblock():
        create_default_plans(Plan)  # the demo account's wallet needs them (another module may have emptied them)
    data_dir = tmp_path_factory.mktemp("runsite")
    port = processes.free_port()
    # The web process's embedding child loads the model as web starts, as under `make run`, from
    # the suite's copy of the exported model (exporting it again would cost a minute).
    env = processes.server_env(
        SAGE_DATA_DIR=str(data_dir),
        TEXT_EMBEDDING_WARM_AT_START="true",
        TEXT_MODEL_CACHE_DIR=str(settings.TEXT_MODEL_CACHE_DIR),
    )
    del env["REDIS_URL"]  # runsite starts its own embedded Redis and is its one user, as under `make run`
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsite", "--port", str(port), "--no-demo"],
        cwd=processes.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert process.stdout is not None
    output: list[str] = []
    ready = threading.Event()

    def read_to_the_end(stream: Iterator[str]) -> None:  # supervisord shares the pipe: a full one would stall it
        for line in stream:
            output.append(line)
            if "SAGE is ready" in line:
                ready.set()
        ready.set()  # runsite ended: no use waiting

    threading.Thread(target=read_to_the_end, args=(process.stdout,), daemon=True).start()
    site = None
    try:
        ready.wait(STARTED_WITHIN)
        assert any("SAGE is ready" in line for line in output), "runsite did not get ready:\n" + "".join(output[-40:])
        redis_pid = embedded.status(data_dir)["redis_pid"]
        assert isinstance(redis_pid, int), "runsite started no embedded Redis of its own"
        site = Site(process, f"http://127.0.0.1:{port}", SupervisorFiles(data_dir), redis_pid, env, output)
        site.note_processes()
        yield site
    finally:
        if process.poll() is None:
            leftovers = psutil.Process(process.pid).children(recursive=True)
            os.killpg(process.pid, signal.SIGKILL)
            for leftover in leftovers:  # supervisord gives each program its own process group
                with contextlib.suppress(psutil.NoSuchProcess):
                    leftover.kill()
            process.wait(10)
        for seen in site.seen.values() if site else ():
            with contextlib.suppress(psutil.NoSuchProcess):
                seen.kill()  # the module's own leftovers must not outlive it
        embedded.stop_servers(data_dir)
        with django_db_blocker.unblock():
            emptying.empty_tables_with_rows(connection)  # the demo account runsite made


def test_runsite_prints_its_url_and_demo_account_and_serves_with_every_part_up(site: Site, django_db_blocker) -> None:
    printed = "".join(site.output)
    assert f"Starting SAGE at {site.url}/" in printed and f"SAGE is ready: open {site.url}/" in printed
    demo_line = next(line for line in site.output if line.startswith("Demo account:"))
    password = demo_line.rsplit("password: ", 1)[1].strip()
    with django_db_blocker.unblock():
        assert User.objects.get(email=DEMO_EMAIL).check_password(password)

    # "ready" means a worker answers too (an upload made then is processed at once): /healthz, which
    # asks the database, Redis and a worker, passes the first time it is asked.
    health = requests.get(f"{site.url}/healthz", timeout=10)
    assert health.json()["down"] == [] and health.ok


def test_a_killed_web_process_is_started_again_and_its_embedding_child_goes_with_it(site: Site) -> None:
    web = psutil.Process(site.program_pid("web"))
    under_it = web.children(recursive=True)
    assert under_it, "the web process has no embedding child to check"

    web.send_signal(signal.SIGKILL)

    site.replaced("web", web.pid)
    assert _wait_for(lambda: _answers(f"{site.url}/healthz/live"), BACK_WITHIN), "web does not answer again"
    _gone, orphans = psutil.wait_procs(under_it, timeout=ALL_GONE_WITHIN)
    assert not orphans, f"outlived the web process: {[' '.join(o.cmdline())[:100] for o in orphans]}"
    assert embedded.status(site.files.data_dir)["redis_pid"] == site.redis_pid


def test_a_killed_worker_is_started_again_and_runs_tasks(site: Site) -> None:
    worker = psutil.Process(site.program_pid("worker"))
    pool = worker.children()

    worker.send_signal(signal.SIGKILL)

    site.replaced("worker", worker.pid)
    assert site.runs_a_task()
    _gone, orphans = psutil.wait_procs(pool, timeout=ALL_GONE_WITHIN)
    assert not orphans, "the killed worker's pool processes outlived it"
    assert embedded.status(site.files.data_dir)["redis_pid"] == site.redis_pid


def test_a_killed_pool_process_is_replaced_and_the_worker_runs_tasks(site: Site) -> None:
    worker = psutil.Process(site.program_pid("worker"))
    _wait_for(lambda: len(worker.children()) == 2, BACK_WITHIN)  # the Procfile's --concurrency 2
    pool_process = worker.children()[0]

    pool_process.send_signal(signal.SIGKILL)

    replaced = _wait_for(
        lambda: len(children := worker.children()) == 2 and pool_process.pid not in {c.pid for c in children},
        BACK_WITHIN,
    )
    assert replaced, "the worker did not replace its pool process"
    site.note_processes()
    assert site.program_pid("worker") == worker.pid  # Celery replaced it; supervisord had nothing to do
    assert site.runs_a_task()


def test_a_killed_beat_is_started_again_and_schedules_tasks(site: Site) -> None:
    beat = psutil.Process(site.program_pid("beat"))
    printed_before = len(site.output)

    beat.send_signal(signal.SIGKILL)

    site.replaced("beat", beat.pid)
    # Its output reaches the terminal under its name; `count-out-quiet-session-participants` is due every 15 s.
    sent = _wait_for(
        lambda: any("beat   |" in line and "Sending due task" in line for line in site.output[printed_before:]),
        BACK_WITHIN,
    )
    assert sent, "the new beat sent no task:\n" + "".join(site.output[-20:])
    assert embedded.status(site.files.data_dir)["redis_pid"] == site.redis_pid


def test_a_second_runsite_on_the_same_data_directory_is_refused(site: Site) -> None:
    second = subprocess.run(
        [sys.executable, "manage.py", "runsite", "--port", str(processes.free_port()), "--no-demo"],
        cwd=processes.BASE_DIR,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=STARTED_WITHIN,
    )

    assert second.returncode != 0
    assert "SAGE is already running" in second.stderr
    assert site.program_pid("web") in {p.pid for p in psutil.Process(site.process.pid).children(recursive=True)}


def test_ctrl_c_stops_every_process_runsite_started_embedded_redis_included(site: Site) -> None:
    site.note_processes()
    redis = psutil.Process(site.redis_pid)

    os.killpg(site.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does

    assert site.process.wait(ALL_GONE_WITHIN) == 0
    _gone, alive = psutil.wait_procs([*site.seen.values(), redis], timeout=ALL_GONE_WITHIN)
    assert alive == [], f"still running after Ctrl-C: {[' '.join(p.cmdline())[:100] for p in alive]}"
    assert "SAGE stopped." in "".join(site.output)


def test_supervisord_runs_each_procfile_line_as_written(tmp_path: Path) -> None:
    # What supervisord itself makes of the configuration: each line, `%` and quotes included, for
    # /bin/sh to run, with honcho's ports in the environment (the first line's, then 100 more each).
    procfile = tmp_path / "Procfile"
    web = "exec daphne --bind 127.0.0.1 --port $PORT sage.asgi:application"
    worker = """exec celery --app sage worker --hostname 'worker@%h' --queues "default,media\""""
    procfile.write_text(f"# a comment\n\nweb: {web}\nworker: {worker}\n")
    files = SupervisorFiles(tmp_path)
    files.write_config(
        supervisord_config(
            entries=procfile_entries(procfile), port=8123, files=files, directory=tmp_path, python=Path(sys.executable)
        )
    )
    options = ServerOptions()
    options.realize(args=["--configuration", str(files.config)])

    group = next(group for group in options.process_group_configs if group.name == "sage")
    programs = {program.name: program for program in group.process_configs}
    assert programs["web"].command == f"/bin/sh -c {shlex.quote(web)}"
    assert programs["worker"].command == f"/bin/sh -c {shlex.quote(worker)}"
    assert (programs["web"].environment["PORT"], programs["worker"].environment["PORT"]) == ("8123", "8223")
    assert all(program.autorestart is RestartUnconditionally for program in programs.values())
    assert all(program.startsecs == 1 and program.killasgroup for program in programs.values())
    # SIGTERM to web's whole group (its embedding child); to the worker's main process only (warm stop).
    assert (programs["web"].stopasgroup, programs["worker"].stopasgroup) == (True, False)
    assert files.config.stat().st_mode & 0o077 == 0  # it holds the control socket's password


def test_a_procfile_line_that_is_not_name_and_command_is_named(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: exec daphne sage.asgi:application\nworker celery --app sage worker\n")

    with pytest.raises(ProcfileError, match="line 2"):
        procfile_entries(procfile)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _wait_for(check: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess):
            if value := check():
                return value
        time.sleep(0.3)
    return None
