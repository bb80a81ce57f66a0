"""`make run`: migrate, the demo account and its demo pair, then the Procfile's web + worker + beat under
supervisord, which starts again any of them that dies (sage/supervision)."""

from __future__ import annotations

import compileall
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import demo_account_ensure
from sage.health import check_celery_workers
from sage.supervision import ProcfileError, SupervisorFiles, procfile_entries, supervisord_command, supervisord_config
from showcase.services import demo_pair_ensure, sample_ensure

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# How long "ready" waits for the worker once web listens (its first start on a busy machine).
WORKER_WAIT_SECONDS = 120
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _stop_with_parent(parent_pid: int) -> Callable[[], None]:
    """supervisord's preexec: the kernel sends it SIGTERM when this command dies, however it dies (even
    SIGKILL), and supervisord then stops web, worker and beat as on Ctrl-C. Without it they outlived a
    killed `make run`, on servers that command's exit may have stopped. The signal follows the thread
    that started supervisord, here the main thread, which waits for it until the end."""

    def set_parent_death_signal() -> None:
        if _libc is None:
            return
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before the signal was asked for
            os.kill(os.getpid(), signal.SIGTERM)

    return set_parent_death_signal


def _answers(unix_socket: Path) -> bool:
    """Whether a supervisord listens on `unix_socket` (a file left by a crash does not answer)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(unix_socket))
        except OSError:
            return False
        return True


def _compile_bytecode(base_dir: Path) -> None:
    """Compile the site's packages once, as a deploy does: each process the supervisor (re)starts
    then reads them instead of compiling 200-odd modules itself (0.7 s of a web start on 2 cores),
    even where PYTHONDONTWRITEBYTECODE keeps Python from caching what it compiles. Only changed
    files are compiled again."""
    for package in sorted(base_dir.glob("*/__init__.py")):
        if package.parent.name != "tests":  # the suite's, not the site's
            compileall.compile_dir(package.parent, quiet=2)


class Command(BaseCommand):
    help = "Serve SAGE for development: web (daphne), a Celery worker and beat, until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Make neither the demo pair nor the shared sample (each generates two videos for the worker).",
        )

    def handle(self, *args: Any, port: int, no_demo: bool, **options: Any) -> None:
        files = SupervisorFiles(settings.DATA_DIR)
        try:
            entries = procfile_entries(settings.BASE_DIR / "Procfile")
        except ProcfileError as error:
            raise CommandError(str(error)) from error
        supervisord = supervisord_command(files)
        if not Path(supervisord[0]).exists():
            raise CommandError("supervisor is not installed; run `make install`.")
        if _answers(files.socket):
            # A second one would rewrite the first's configuration and then fail to take its socket.
            raise CommandError(f"SAGE is already running on {files.data_dir}: stop it first (Ctrl-C in its terminal).")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("Database is up to date."))
        self._sync_stripe_catalogue()
        url = f"http://127.0.0.1:{port}/"
        if settings.DEBUG:
            demo = demo_account_ensure(credentials_file=settings.DATA_DIR / "demo-credentials")
            self.stdout.write(f"Demo account: {demo.email} / password: {demo.password}")
            if not no_demo:
                self._give_demo_pair(demo.email, url)
        if not no_demo:
            self._make_sample()

        settings.STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing STATIC_ROOT
        _compile_bytecode(settings.BASE_DIR)
        self.stdout.write(f"Starting SAGE at {url} (web, worker, beat). Ctrl-C stops everything.")
        self.stdout.write(
            "A process that exits is started again; "
            f"`supervisorctl -c {files.config} status` lists them (`restart sage:worker` after a code change)."
        )

        files.write_config(
            supervisord_config(
                entries=entries, port=port, files=files, directory=settings.BASE_DIR, python=Path(sys.executable)
            )
        )
        self.stdout.flush()  # before supervisord's lines, in a pipe too
        # The programs inherit the embedded servers' URLs but are not their users: this process is,
        # so a program that dies and is started again finds Postgres and Redis as it left them.
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        # Started before any thread of ours: a preexec function runs between fork and exec, where a
        # lock held by another thread would never be let go.
        process = subprocess.Popen(
            supervisord,
            cwd=settings.BASE_DIR,
            env=env,
            preexec_fn=_stop_with_parent(os.getpid()),  # no other thread runs yet
        )
        threading.Thread(target=self._announce_when_ready, args=(port, url, process), daemon=True).start()
        # Ctrl-C reaches supervisord too (same process group; its programs each have a group of their
        # own); it stops web, worker and beat. We wait for that, then exit, and the last user of the
        # embedded servers stops them.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signal.SIGTERM))
        process.wait()
        self.stdout.write("SAGE stopped.")

    def _sync_stripe_catalogue(self) -> None:
        """The plans and packs in Stripe (billing.catalogue), when Stripe keys are set (the command
        does nothing otherwise). Stripe out of reach does not stop the site: it is said, and the
        prices stored last time are used."""
        try:
            call_command("stripe_catalogue", stdout=self.stdout)
        except CommandError as error:
            self.stderr.write(f"The Stripe catalogue was not synced: {error}")

    def _give_demo_pair(self, email: str, url: str) -> None:
        """The demo account's demo pair, the first time; a failure is logged and the site starts anyway."""
        try:
            pair = demo_pair_ensure(user=User.objects.get(email=email), marker_file=settings.DATA_DIR / "demo-pair")
        except Exception:
            logger.exception("could not make the demo videos")
            self.stderr.write("The demo videos could not be made (the error is logged above); starting anyway.")
            return
        if pair is not None:
            self.stdout.write(
                f"Demo videos queued: their comparison is ready to open at {url}compare/ in about a minute."
            )

    def _make_sample(self) -> None:
        """The shared sample every account can open, made once; a failure is logged and the site starts anyway."""
        try:
            status = sample_ensure()
        except Exception:
            logger.exception("could not make the shared sample")
            self.stderr.write("The shared sample could not be made (the error is logged above); starting anyway.")
            return
        if status.state != "ready":
            self.stdout.write("The shared sample is being prepared: every account can open it in about a minute.")

    def _announce_when_ready(self, port: int, url: str, supervisord: subprocess.Popen[bytes]) -> None:
        """Say so once web listens and a worker answers (an upload made then is processed at once),
        however long a first start takes (a minute and more on a busy machine, when web exports the
        text model the first time); nothing if supervisord stops first. A worker that does not
        answer in WORKER_WAIT_SECONDS after web listens is said to be missing instead."""
        listening_since: float | None = None
        while supervisord.poll() is None:
            if listening_since is None:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        listening_since = time.monotonic()
                except OSError:
                    time.sleep(0.3)
                    continue
            if check_celery_workers() is None:
                self.stdout.write(self.style.SUCCESS(f"SAGE is ready: open {url}"))
                self.stdout.flush()
                return
            if time.monotonic() - listening_since > WORKER_WAIT_SECONDS:
                self.stdout.write(
                    self.style.WARNING(
                        f"SAGE serves at {url}, but no worker answers yet: uploads wait for one "
                        "(its lines above say why)."
                    )
                )
                self.stdout.flush()
                return
            time.sleep(0.3)
