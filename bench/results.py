"""The table in bench/RESULTS.md, and the one call a bench makes to refresh its own rows after a run.

    from bench.results import Row, record

    record(bench="review", rows=[Row(goal="page p95 ≤ 300 ms", figure="47.4 ms", met=True), ...])

replaces every row of `review.py` in the table (the others stay as they are) with these, each
stamped with this machine, today's date (UTC), the commit checked out (`+dirty` when the work tree
differs from it) and the command that ran. Benches call it only when given `--record`
(`add_record_option`), so a trial run never rewrites the committed figures; `--record PATH` writes
a copy of the table elsewhere instead. A bench that can run part of its goals (`pipeline.py --only`)
passes `partial=True`: only the goals it measured are replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN = "<!-- results: begin (bench/results.py rewrites the rows below) -->"
END = "<!-- results: end -->"
COLUMNS = ("bench", "goal", "figure", "met?", "machine", "date", "commit", "command")


@dataclass(frozen=True)
class Row:
    """One goal of a bench and what the run measured against it; `met` is None for a figure printed
    without a goal (a baseline), kept beside the goals it explains."""

    goal: str
    figure: str
    met: bool | None


def add_record_option(parser: argparse.ArgumentParser) -> None:
    """`--record`: write the run's figures into bench/RESULTS.md (`--record PATH`: into that copy)."""
    parser.add_argument(
        "--record",
        nargs="?",
        const=RESULTS,
        default=None,
        type=Path,
        metavar="PATH",
        help="write the figures into bench/RESULTS.md (or into the copy of it at PATH)",
    )


def record(
    *,
    bench: str,
    rows: Sequence[Row],
    command: str | None = None,
    path: Path = RESULTS,
    partial: bool = False,
) -> None:
    """Rewrite `bench`'s rows of the table in `path` with `rows`, in the order given; with `partial`,
    only its rows of the same goals (the others stay, and new goals go after them)."""
    name = bench if bench.endswith(".py") else f"{bench}.py"
    stamp = (machine(), datetime.now(UTC).date().isoformat(), commit(), command or this_command())
    text = path.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    table, after = rest.split(END, 1)
    fresh: list[tuple[str, ...]] = [
        (f"`{name}`", row.goal, row.figure, _verdict(row.met), stamp[0], stamp[1], f"`{stamp[2]}`", f"`{stamp[3]}`")
        for row in rows
    ]
    if partial:
        by_goal = {cells[1]: cells for cells in fresh}
        kept = [by_goal.pop(cells[1], cells) if cells[0] == f"`{name}`" else cells for cells in _rows(table)]
        fresh = list(by_goal.values())
    else:
        kept = [cells for cells in _rows(table) if cells[0] != f"`{name}`"]
    merged = sorted(kept + fresh, key=lambda cells: cells[0])  # stable: a bench's rows keep their order
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(cell) for cell in cells) + " |" for cells in merged]
    path.write_text(f"{before}{BEGIN}\n" + "\n".join(lines) + f"\n{END}{after}", encoding="utf-8")


def machine() -> str:
    """Cores, memory, OS and Python: what a figure depends on besides the code."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = platform.system()
    if sys.platform == "linux":
        system = platform.freedesktop_os_release().get("PRETTY_NAME", system)
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {system}, Python {platform.python_version()}"


def commit() -> str:
    """The commit checked out, `+dirty` when the tracked files differ from it."""
    root = RESULTS.parent.parent
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run([git, "diff", "--quiet", "HEAD", "--"], cwd=root).returncode != 0
    return head.stdout.strip() + ("+dirty" if dirty else "")


def this_command() -> str:
    """How the bench was run, as a reader would type it again (`--record` and its PATH left out)."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(RESULTS.parent.parent))
    except ValueError:
        shown = str(script)
    arguments: list[str] = []
    given = iter(sys.argv[1:])
    for argument in given:
        if argument == "--record":
            following = next(given, None)  # --record's PATH, if one was given
            if following is not None and following.startswith("-"):
                arguments.append(following)
        elif not argument.startswith("--record="):
            arguments.append(argument)
    return shlex.join([".venv/bin/python", shown, *arguments])


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**not met**")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(table: str) -> list[tuple[str, ...]]:
    """The table's data rows as cells, unescaped (header and rule skipped)."""
    rows = []
    for line in table.strip().splitlines():
        if not line.startswith("|") or line.startswith("|---") or line.startswith("| bench |"):
            continue
        cells = [cell.strip().replace("\0", "|") for cell in line.replace("\\|", "\0").strip("|").split("|")]
        rows.append(tuple(cells))
    return rows
