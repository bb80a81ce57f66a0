"""The site's stylesheets are whole: a rule block left open (a `@media` without its closing brace)
would quietly put every rule after it inside that media query, so they would apply only on phones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

STYLESHEETS = sorted((Path(settings.BASE_DIR) / "static").rglob("*.css"))


def _open_blocks(css: str) -> list[int]:
    """The line of every `{` that is never closed (comments and strings set aside)."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), css, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', "''", text)
    opened: list[int] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char == "{":
                opened.append(line_number)
            elif char == "}":
                assert opened, f"line {line_number}: a `}}` closes nothing"
                opened.pop()
    return opened


def test_there_are_stylesheets() -> None:
    assert any(path.name == "site.css" for path in STYLESHEETS)


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_every_block_of_a_stylesheet_is_closed(path: Path) -> None:
    assert _open_blocks(path.read_text()) == [], f"{path.name}: blocks opened on these lines are never closed"
