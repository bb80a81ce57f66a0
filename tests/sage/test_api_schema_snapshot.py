"""The API's contract does not move by accident: the schema the code describes is the committed one."""

from __future__ import annotations

import difflib
from pathlib import Path

from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_schema_is_the_committed_one(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated))

    expected, actual = COMMITTED.read_text().splitlines(), generated.read_text().splitlines()
    changes = list(difflib.unified_diff(expected, actual, "docs/openapi.yaml", "generated", lineterm="", n=1))
    assert not changes, "The API changed; if on purpose, run `make schema`:\n" + "\n".join(changes[:80])
