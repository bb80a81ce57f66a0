"""Recompute every comparison an older engine made, in the foreground, a line per row (what the beat's
sweep does a batch at a time; run it, stop it and run it again at will: done rows are not picked)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from videos.compare.recompute import Recomputed, comparisons_recompute


class Command(BaseCommand):
    help = "Recompute the comparisons made by an older engine with the current one."

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int, comparison_id: int, outcome: Recomputed) -> None:
            self.stdout.write(f"[{done}/{total}] comparison {comparison_id}: {outcome}")

        outcomes = comparisons_recompute(progress=progress)
        said = ", ".join(f"{outcomes[outcome]} {outcome}" for outcome in Recomputed if outcomes[outcome])
        self.stdout.write(self.style.SUCCESS(f"Recomputed: {said or 'nothing to do'}."))
