"""Fill `search_vector` for the chunks written before it existed, in batches, as videos.chunks
writes it for new ones: numbers in digits, stemmed in the transcript's language."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from videos.chunks import fill_search_vectors
from videos.text_search.words import search_config

BATCH = 2_000


def fill(apps: Any, schema_editor: Any) -> None:
    chunk_model = apps.get_model("videos", "TranscriptChunk")
    transcript_model = apps.get_model("videos", "Transcript")
    last_id = 0
    while True:
        rows = list(
            chunk_model.objects.filter(search_vector__isnull=True, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "video_id", "text")[:BATCH]
        )
        if not rows:
            return
        videos = {video_id for _, video_id, _ in rows}
        languages = dict(transcript_model.objects.filter(video_id__in=videos).values_list("video_id", "language"))
        by_config: dict[str, tuple[list[int], list[str]]] = {}
        for pk, video_id, text in rows:
            ids, texts = by_config.setdefault(search_config(languages.get(video_id) or ""), ([], []))
            ids.append(pk)
            texts.append(text)
        for config, (ids, texts) in by_config.items():
            fill_search_vectors(ids, texts, config)
        last_id = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("videos", "0016_screen_text_and_hybrid_search")]

    operations = [
        # pgvector stores a vector EXTERNAL: once the words made a row longer than Postgres' ~2 kB
        # TOAST threshold, each row's 1.5 kB vector went out of line, so every distance an exact
        # search computes read it back from the TOAST table (bench/search.py, a million chunks: the
        # exact path's p95 from 8.7 to 38.5 ms). PLAIN keeps the vector in the row; the text and its
        # words are compressed or moved out instead, and only the few rows a search returns read them.
        # Before the fill, so the rows it rewrites are stored this way.
        migrations.RunSQL(
            "ALTER TABLE videos_transcriptchunk ALTER COLUMN embedding SET STORAGE PLAIN",
            "ALTER TABLE videos_transcriptchunk ALTER COLUMN embedding SET STORAGE EXTERNAL",
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
