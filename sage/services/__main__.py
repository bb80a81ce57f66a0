"""`python -m sage.services status|stop`: inspect or stop the embedded servers under `.sage/`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sage.services.embedded import status, stop_servers
from sage.services.startup import data_dir


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sage.services", description=__doc__)
    parser.add_argument("action", choices=["status", "stop"])
    parser.add_argument("--data-dir", type=Path, default=data_dir())
    args = parser.parse_args()
    if args.action == "stop":
        stop_servers(args.data_dir)
    print(json.dumps(status(args.data_dir), indent=2))  # noqa: T201  (a command-line tool)


if __name__ == "__main__":
    main()
