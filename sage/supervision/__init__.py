"""`make run`'s processes under supervisord: the Procfile read, supervisord's configuration written.

The `Procfile` stays the one list of processes and their command lines (what production's process
managers run too, docs/operations.md). supervisord (the `supervisor` package) runs them in the
foreground and starts again, within a second, any that exits; honcho, which ran them before, stopped
all of them when one died. The configuration is made at each start from the Procfile and written under
the data directory, never committed, so a line added to the Procfile is supervised with no other edit.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Heroku's and honcho's Procfile: `name: command`, one a line; `#` starts a comment line.
_PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>\S.*)$")

# A program that stays up this long has started well; one that exits sooner is retried with a
# growing wait (1 s, 2 s, ...) this many times, then given up as FATAL (a broken command line says
# so in the terminal instead of looping for ever).
START_SECONDS = 1
START_RETRIES = 5

# How long each program is given to finish after SIGTERM before it is killed with its process group.
# daphne closes its connections; a Celery worker finishes its running tasks (warm shutdown): a video
# still processing after that is taken over from its lease on the next start (Crash recovery in
# docs/operations.md), so Ctrl-C never waits for a whole video. Beat has nothing to finish. The
# programs are one group, so they are stopped together: Ctrl-C waits for the slowest, not the sum.
STOP_WAIT_SECONDS = {"web": 10, "worker": 10, "beat": 5}
DEFAULT_STOP_WAIT_SECONDS = 10

# SIGTERM goes to the program's whole process group (the web process's embedding child, a line
# without `exec`'s shell), except to the worker's: its main process stops its pool itself, after the
# running tasks (warm shutdown); a pool process sent SIGTERM too dies in the middle of its task.
# On a timeout SIGKILL goes to every program's whole group (`killasgroup`), so nothing is left.
SIGNAL_MAIN_PROCESS_ONLY = {"worker"}

_RPC_INTERFACE = "supervisor.rpcinterface:make_main_rpcinterface"  # what supervisorctl speaks to

# supervisorctl names the programs `sage:web`, `sage:worker`, `sage:beat`.
GROUP = "sage"

# Output events waiting for the listener that prints them (sage.supervision.output); supervisord
# drops events past this many (a burst of logging while the listener restarts), never blocks.
OUTPUT_EVENT_BUFFER = 10_000


class ProcfileError(ValueError):
    """A Procfile line that is neither `name: command`, a comment nor blank, or a name given twice."""


@dataclass(frozen=True)
class ProcfileEntry:
    name: str
    command: str


def procfile_entries(procfile: Path) -> list[ProcfileEntry]:
    """The Procfile's processes, in its order."""
    entries: list[ProcfileEntry] = []
    for number, line in enumerate(procfile.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PROCFILE_LINE.match(stripped)
        if match is None:
            raise ProcfileError(f"{procfile.name}, line {number}: expected `name: command`, got {stripped!r}")
        if any(entry.name == match["name"] for entry in entries):
            raise ProcfileError(f"{procfile.name}, line {number}: {match['name']!r} is named twice")
        entries.append(ProcfileEntry(match["name"], match["command"]))
    if not entries:
        raise ProcfileError(f"{procfile.name} names no process")
    return entries


@dataclass(frozen=True)
class SupervisorFiles:
    """Where supervisord keeps its configuration, control socket, pid file and own log."""

    data_dir: Path

    @property
    def config(self) -> Path:
        return self.data_dir / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.data_dir / "supervisord.sock"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "supervisord.pid"

    @property
    def log(self) -> Path:
        return self.data_dir / "supervisord.log"

    def write_config(self, text: str) -> None:
        """The configuration, readable by its owner only: it holds the control socket's password."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config.touch(mode=0o600)
        self.config.chmod(0o600)
        self.config.write_text(text)


def supervisord_config(
    *, entries: Sequence[ProcfileEntry], port: int, files: SupervisorFiles, directory: Path, python: Path
) -> str:
    """supervisord's configuration for `entries`, the first (web) serving on `port`.

    Each line runs under `/bin/sh -c` as honcho and Heroku run it (the shell expands `$PORT`, `port`
    for the first line and 100 more for each next one as honcho gave, and the environment; the
    Procfile's `exec` makes the supervised pid the server itself). Each program is started again when
    it exits, however; stopped with SIGTERM (SIGNAL_MAIN_PROCESS_ONLY), then killed with its whole
    process group (`killasgroup`); its output, stderr merged, goes to the listener that prints it
    with the program's name (supervisord has no prefix of its own)."""
    # The control socket is the owner's only (0700); a password made at each start keeps supervisord
    # from warning, at every start, that it has none.
    password = secrets.token_urlsafe(16)
    sections: list[tuple[str, Mapping[str, str | int]]] = [
        (
            "supervisord",
            {
                "nodaemon": "true",  # in the foreground, a child of `make run`
                "directory": str(directory),
                "pidfile": str(files.pidfile),
                "logfile": str(files.log),
                "logfile_maxbytes": "1MB",
                "logfile_backups": 1,
                "childlogdir": str(files.data_dir),
                # Root runs it as root (a container): said so, rather than warned about at each start.
                **({"user": "root"} if os.geteuid() == 0 else {}),
            },
        ),
        # `supervisorctl -c <data dir>/supervisord.conf status` (or `restart web`): a socket only its
        # owner may use, no TCP port.
        (
            "unix_http_server",
            {"file": str(files.socket), "chmod": "0700", "username": "sage", "password": password},
        ),
        ("rpcinterface:supervisor", {"supervisor.rpcinterface_factory": _RPC_INTERFACE}),
        ("supervisorctl", {"serverurl": f"unix://{files.socket}", "username": "sage", "password": password}),
        ("group:" + GROUP, {"programs": ",".join(entry.name for entry in entries)}),
        (
            "eventlistener:output",
            {
                "command": _command([str(python), "-m", "sage.supervision.output"]),
                "events": "PROCESS_LOG",
                "buffer_size": OUTPUT_EVENT_BUFFER,
                "priority": 1,  # started first and stopped last: it prints the others' last words
                "autorestart": "true",
                "stderr_logfile": "/dev/stdout",  # what it prints; its stdout speaks to supervisord
                "stderr_logfile_maxbytes": 0,  # a terminal or pipe cannot be rotated
                "environment": _environment({"PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}),
            },
        ),
    ]
    for index, entry in enumerate(entries):
        sections.append(
            (
                f"program:{entry.name}",
                {
                    "command": _command(["/bin/sh", "-c", entry.command]),
                    "directory": str(directory),
                    # honcho's ports: the first line gets `port`, each next one 100 more.
                    "environment": _environment({"PORT": str(port + 100 * index), "PYTHONUNBUFFERED": "1"}),
                    "priority": 10 + index,
                    "autostart": "true",
                    "autorestart": "true",
                    "startsecs": START_SECONDS,
                    "startretries": START_RETRIES,
                    "stopsignal": "TERM",  # daphne's graceful stop; Celery's warm shutdown
                    "stopwaitsecs": STOP_WAIT_SECONDS.get(entry.name, DEFAULT_STOP_WAIT_SECONDS),
                    "stopasgroup": "false" if entry.name in SIGNAL_MAIN_PROCESS_ONLY else "true",
                    "killasgroup": "true",
                    "redirect_stderr": "true",
                    "stdout_logfile": "NONE",
                    "stdout_events_enabled": "true",
                },
            )
        )
    return "".join(_section(name, options) for name, options in sections)


def supervisord_command(files: SupervisorFiles) -> list[str]:
    """supervisord from this interpreter's environment, in the foreground, on `files.config`."""
    return [str(Path(sys.executable).parent / "supervisord"), "--configuration", str(files.config)]


def _command(argv: Sequence[str]) -> str:
    return _escaped(shlex.join(argv))  # supervisord splits it with shlex


def _environment(values: Mapping[str, str]) -> str:
    return ",".join(f'{key}="{_escaped(value)}"' for key, value in values.items())


def _escaped(value: str) -> str:
    # supervisord expands `%(name)s` in values: a literal `%` (Celery's `--hostname worker@%h`) doubles.
    return value.replace("%", "%%")


def _section(name: str, options: Mapping[str, str | int]) -> str:
    lines = [f"[{name}]", *(f"{key}={value}" for key, value in options.items())]
    return "\n".join(lines) + "\n\n"
