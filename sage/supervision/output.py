"""supervisord's output listener under `make run`: every program's output, line by line, prefixed with
the time and the program's name as honcho printed it (`12:03:04 web    | ...`).

supervisord sends each chunk a program writes as a PROCESS_LOG event (`stdout_events_enabled`); this
process receives them through supervisor's own listener protocol (`supervisor.childutils`) and writes
the lines to its stderr, which supervisord copies to its own stdout, the terminal. A chunk may end
mid-line: the rest of that line is kept until the next chunk from the same process.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from supervisor import childutils

# Wide enough for the Procfile's names, so the lines' text starts in one column.
NAME_WIDTH = 6


class LinePrefixer:
    """Whole lines of each process's output, prefixed; a process's unfinished line waits for its end."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._partial: dict[tuple[str, str], str] = {}

    def feed(self, name: str, pid: str, data: str) -> None:
        key = (name, pid)
        text = self._partial.pop(key, "") + data
        *lines, rest = text.split("\n")
        if rest:
            self._partial[key] = rest
        stamp = time.strftime("%H:%M:%S")
        for line in lines:
            self._out.write(f"{stamp} {name:<{NAME_WIDTH}} | {line}\n")
        self._out.flush()


def main() -> None:
    prefixer = LinePrefixer(sys.stderr)
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"].startswith("PROCESS_LOG"):
            event, data = childutils.eventdata(payload)  # its own header line, then what was written
            prefixer.feed(event["processname"], event["pid"], data)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
