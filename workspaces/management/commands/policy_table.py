"""`manage.py policy_table [--write]`: the role table docs/api.md holds, rendered from the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from workspaces.policy import policy_table_markdown, with_policy_table

API_DOC = Path(settings.BASE_DIR) / "docs" / "api.md"


class Command(BaseCommand):
    help = "Print the role table from workspaces/policy.py, or write it into docs/api.md (--write)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="Rewrite the table in docs/api.md.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["write"]:
            self.stdout.write(policy_table_markdown())
            return
        API_DOC.write_text(with_policy_table(API_DOC.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"Wrote the role table into {API_DOC.name}.")
