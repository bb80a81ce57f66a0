"""Store the sentences (and their vectors) of the search windows written before windows kept them,
a batch at a time: in the foreground, or queued for the workers with `--queue`. Run it, stop it and
run it again at will: windows that have them are skipped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sage.queueing import TaskRef
from videos.window_sentences import chunks_without_sentences, store_window_sentences

STORE_SENTENCES_OF_WINDOWS = TaskRef[[list[int]]]("videos.tasks.store_sentences_of_windows")


class Command(BaseCommand):
    help = "Store the sentences and sentence vectors of search windows written without them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="windows a batch (default 500)")
        parser.add_argument("--queue", action="store_true", help="queue each batch for the workers")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = max(1, options["batch"])
        after, stored, queued = 0, 0, 0
        while batch := chunks_without_sentences(after=after, limit=batch_size):
            after = batch[-1]
            if options["queue"]:
                STORE_SENTENCES_OF_WINDOWS.delay_on_commit(batch)
                queued += len(batch)
            else:
                stored += store_window_sentences(batch)
                self.stdout.write(f"up to window {after}: {stored} stored")
        said = f"{queued} windows queued" if options["queue"] else f"{stored} windows given their sentences"
        self.stdout.write(self.style.SUCCESS(said + "."))
