"""Every setting sage/settings.py reads from the environment is in docs/operations.md's configuration,
by name or through a `PREFIX_*` row whose page names it (`STRIPE_*`: docs/payments.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# sage.env's readers (env_str, env_int, env_bool…) and os.environ.get / os.getenv.
_READERS = re.compile(r"env_\w+|getenv|get")


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        if function.attr == "get" and not (
            isinstance(function.value, ast.Attribute) and function.value.attr == "environ"
        ):
            return ""  # a dict's get, not the environment's
        return function.attr
    return ""


def variables_read() -> set[str]:
    """The environment variables the settings read, by name (the first argument of each reader)."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "sage" / "settings.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _READERS.fullmatch(_call_name(node)) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isupper():
                names.add(first.value)
    return names


def documented(operations: str, name: str) -> bool:
    if f"`{name}`" in operations:
        return True
    # A row for a family of variables (`STRIPE_*`) that sends the reader to the page naming each one.
    for prefix, page in re.findall(r"\| `([A-Z_]+)\*` \|[^\n]*\]\(([\w.]+\.md)\)", operations):
        if name.startswith(prefix) and f"`{name}`" in (ROOT / "docs" / page).read_text(encoding="utf-8"):
            return True
    return False


def test_every_variable_the_settings_read_is_documented_in_operations() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    names = variables_read()
    assert {"DEBUG", "DATABASE_URL", "SCREEN_TEXT_THREADS", "STRIPE_SECRET_KEY"} <= names  # the reading works
    assert sorted(name for name in names if not documented(operations, name)) == []
